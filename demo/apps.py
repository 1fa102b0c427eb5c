from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo users, demo openings and the Omscholing replay: data for trying the system, never for production."""

    name = "demo"
    verbose_name = "Demo"

    def ready(self) -> None:
        # Wiring: the reports learn which of the replay's figures are made up (see reporting.queries.illustrative).
        from reporting.queries import illustrative  # noqa: PLC0415

        from . import replay  # noqa: PLC0415

        illustrative.register(replay.BATCH, replay.ILLUSTRATIVE, replay.SOURCE)
