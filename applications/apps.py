from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = pgettext_lazy("app", "Aanvragen")

    def ready(self) -> None:
        # Wiring, not logic: the audit trail's consumers subscribe once the models are loaded
        # (importing them at module level would load models before the app registry is ready).
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from . import audit, clocks, tasks  # noqa: PLC0415

        audit.subscribe(tasks.queue_side_effects)
        # a raised ceiling frees money: the next in line, in order, while the opening is open (services.queue)
        from schemes.services import ceiling_changed  # noqa: PLC0415

        from .services import queue  # noqa: PLC0415

        ceiling_changed.connect(queue.on_ceiling_changed, weak=False)
        # a changed equated day (Atw art. 3 lid 3) counts from the next term computed
        for signal in (post_save, post_delete):
            signal.connect(lambda **kwargs: clocks.forget_equated_days(), sender="applications.EquatedDay", weak=False)
