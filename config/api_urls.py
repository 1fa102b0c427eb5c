"""Every /api/v1/ route, gathered from the apps."""

from django.urls import include, path

urlpatterns = [
    path("", include("schemes.api_urls")),
    path("", include("applications.api_urls")),
]
