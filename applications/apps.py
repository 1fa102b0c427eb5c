from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = pgettext_lazy("app", "Aanvragen")

    def ready(self) -> None:
        # Wiring, not logic: the audit trail's consumers subscribe once the models are loaded
        # (importing them at module level would load models before the app registry is ready).
        from . import audit, tasks  # noqa: PLC0415

        audit.subscribe(tasks.queue_side_effects)
