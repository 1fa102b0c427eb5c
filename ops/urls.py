"""The hosting team's URLs: the health probes and the metrics. No login; no personal data."""

from django.urls import path

from . import health, metrics

urlpatterns = [
    path("gezondheid/", health.Health.as_view(), name="health"),
    path("gezondheid/live/", health.Live.as_view(), name="health-live"),
    path("gezondheid/klaar/", health.Ready.as_view(), name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
