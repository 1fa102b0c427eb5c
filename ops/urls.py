"""The hosting team's URLs: the health probes. No login; no personal data."""

from django.urls import path

from . import health

urlpatterns = [
    path("gezondheid/", health.Health.as_view(), name="health"),
    path("gezondheid/live/", health.Live.as_view(), name="health-live"),
    path("gezondheid/klaar/", health.Ready.as_view(), name="health-ready"),
]
