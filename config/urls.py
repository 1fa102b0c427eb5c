from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # The health probes and /metrics (ops): for the load balancer, the orchestrator and Prometheus.
    path("", include("ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("beheer/", admin.site.urls),
    path("inloggen/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    # Each area owns its own URL module.
    path("mijn/", include(("applications.portal.urls", "portal"), namespace="portal")),
    path("behandeling/", include(("applications.review.urls", "review"), namespace="review")),
    path("rapportages/", include(("reporting.urls", "reporting"), namespace="reporting")),
    path("", include("schemes.urls")),
]

# Uploaded documents and letters are never served from MEDIA_URL, not even with DEBUG
# (make run): only through views that check who may see the application.
