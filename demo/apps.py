from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo users, demo openings and the Omscholing replay: data for trying the system, never for production."""

    name = "demo"
    verbose_name = "Demo"
