"""Every /api/v1/ route, gathered from the apps."""

from django.urls import include, path

API_MODULES = ["schemes.api_urls", "applications.api.urls", "reporting.api_urls"]

urlpatterns = [path("", include(module)) for module in API_MODULES]
