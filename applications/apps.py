from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = pgettext_lazy("app", "Aanvragen")
