from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("inloggen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import sessions  # noqa: F401, PLC0415 — the login and logout receivers
