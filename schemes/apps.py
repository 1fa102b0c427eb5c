from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class SchemesConfig(AppConfig):
    name = "schemes"
    verbose_name = pgettext_lazy("app", "Regelingen")
