from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = pgettext_lazy("app", "Rapportages")
