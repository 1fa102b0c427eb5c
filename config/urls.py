from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config import signin, start
from identity import devprovider, oidc

urlpatterns = [
    # The health probes and /metrics (ops): for the load balancer, the orchestrator and Prometheus.
    path("", include("ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("beheer/", admin.site.urls),
    # The password, then for staff the code of their authenticator app (django-two-factor-auth's wizard).
    path("inloggen/", oidc.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("inloggen/tweestapsverificatie/", include((signin.urlpatterns, "two_factor"))),
    # eHerkenning (employers and intermediaries) and single sign-on (staff) over OpenID Connect: identity/oidc.py
    path("inloggen/eherkenning/", oidc.StartLogin.as_view(purpose="eherkenning"), name="login-eherkenning"),
    path("inloggen/medewerkers/", oidc.StartLogin.as_view(purpose="staff"), name="login-staff"),
    path("inloggen/oidc/terug/", oidc.Callback.as_view(), name="oidc-callback"),
    # out here, and at the identity provider where it offers that
    path("uitloggen/", oidc.logout, name="logout"),
    path("start/", start.start_page, name="start-page"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves Swagger UI's configuration as a script file: no inline script under the CSP
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/v1/", include("config.api_urls")),
    # Each area owns its own URL module.
    path("mijn/", include(("applications.portal.urls", "portal"), namespace="portal")),
    path("behandeling/", include(("applications.review.urls", "review"), namespace="review")),
    path("rapportages/", include(("reporting.urls", "reporting"), namespace="reporting")),
    path("", include("schemes.urls")),
]
if settings.DEV_IDENTITY_PROVIDER:
    # make run and the tests: the local eHerkenning broker and staff IdP (never in production)
    urlpatterns.insert(0, path("dev-idp/", include((devprovider.urlpatterns, "dev-idp"))))

# Uploaded documents and letters are never served from MEDIA_URL, not even with DEBUG
# (make run): only through views that check who may see the application.


def not_found(request, exception):
    """An address under /api/ that matches no endpoint (a code that is not a slug, an id that is not a number)
    answers as the API does, in JSON; elsewhere the page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": _("Dit adres bestaat niet in de API.")}, status=404)
    return page_not_found(request, exception)


handler404 = not_found
