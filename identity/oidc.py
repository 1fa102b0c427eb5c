"""OpenID Connect through mozilla-django-oidc, for two providers at once: the eHerkenning broker and the staff IdP.

mozilla-django-oidc reads one provider from the settings; here each view and the backend read theirs from
``IdentityProvider`` instead (``get_settings`` is the library's own hook), chosen by the button the person
pressed and kept on the session until the callback. The endpoints come from the provider's discovery document.
The library checks the state, the nonce, PKCE and the signature of the ID token; the issuer and the audience
are checked here too.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.contrib import auth, messages
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from two_factor import views as two_factor

from . import accounts, sessions
from .models import IdentityProvider, LoginEvent, Purpose

logger = logging.getLogger(__name__)

PURPOSE = "os_oidc_purpose"  # session key: which provider the person went to
DISCOVERY_SECONDS = 600
TIMEOUT_SECONDS = 10


class ProviderUnavailable(Exception):
    pass


def discovery(provider: IdentityProvider) -> dict:
    """The provider's endpoints from its discovery document, cached for ten minutes."""
    key = f"oidc-discovery:{provider.issuer}"
    document = cache.get(key)
    if document is None:
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            logger.warning("OIDC discovery failed for %s: %s", provider.issuer, exc)
            raise ProviderUnavailable(str(exc)) from None
        cache.set(key, document, DISCOVERY_SECONDS)
    return document


def provider_settings(provider: IdentityProvider | None, attr: str, *args):
    """The library's setting ``attr``, for this provider."""
    if provider is None:
        if attr.startswith(("OIDC_OP_", "OIDC_RP_CLIENT")):
            return ""
        return import_from_settings(attr, *args)
    own = {
        "OIDC_RP_CLIENT_ID": provider.client_id,
        "OIDC_RP_CLIENT_SECRET": provider.secret(),
        "OIDC_RP_SIGN_ALGO": provider.sign_algorithm,
        "OIDC_RP_SCOPES": provider.scopes,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc-callback",
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_STORE_ID_TOKEN": True,  # for the logout at the provider (id_token_hint)
        "OIDC_TIMEOUT": TIMEOUT_SECONDS,
        "OIDC_REDIRECT_FIELD_NAME": "next",
    }
    if attr in own:
        return own[attr]
    return import_from_settings(attr, *args)


# --- the backend ------------------------------------------------------------------------------------------


class ProviderBackend(OIDCAuthenticationBackend):
    """Signs in the person the provider vouches for; password logins pass it by (they carry no code)."""

    provider: IdentityProvider | None = None

    def get_settings(self, attr, *args):
        return provider_settings(self.provider, attr, *args)

    def authenticate(self, request, **kwargs):
        if request is None or "code_verifier" not in kwargs:
            return None
        provider = IdentityProvider.active(request.session.get(PURPOSE, ""))
        if provider is None:
            return None
        self.provider = provider
        try:
            endpoints = discovery(provider)
            self.OIDC_OP_TOKEN_ENDPOINT = endpoints["token_endpoint"]
            self.OIDC_OP_USER_ENDPOINT = endpoints.get("userinfo_endpoint", "")
            self.OIDC_OP_JWKS_ENDPOINT = endpoints.get("jwks_uri")
            self.OIDC_RP_CLIENT_ID = provider.client_id
            self.OIDC_RP_CLIENT_SECRET = provider.secret()
            self.OIDC_RP_SIGN_ALGO = provider.sign_algorithm
            return super().authenticate(request, **kwargs)
        except (ProviderUnavailable, KeyError, requests.RequestException, SuspiciousOperation) as exc:
            logger.warning("OIDC login through %s failed: %s", provider.purpose, exc)
            refuse(request, _("De inlogdienst gaf geen geldig antwoord. Probeer het opnieuw."), str(exc))
            return None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token: from our provider, for us
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if payload.get("iss", "").rstrip("/") != self.provider.issuer.rstrip("/"):
                raise SuspiciousOperation("ID token from another issuer")
            if self.provider.client_id not in audiences:
                raise SuspiciousOperation("ID token for another client")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint where there is one."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            claims.update(super().get_userinfo(access_token, id_token, payload))
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        try:
            if self.provider.purpose == Purpose.EHERKENNING:
                return accounts.eherkenning_user(self.provider, claims)
            return accounts.staff_user(self.provider, claims)
        except accounts.Refused as exc:
            refuse(self.request, exc.message, exc.detail, claims=exc.login)
            return None


def refuse(request, message: str, detail: str = "", *, claims: dict | None = None) -> None:
    request._os_refusal = message
    sessions.record(request, LoginEvent.Kind.REFUSED, login=claims or {}, reason=(detail or message)[:2000])


# --- the views ----------------------------------------------------------------------------------------------

URL_NAMES = {Purpose.EHERKENNING: "login-eherkenning", Purpose.STAFF: "login-staff"}


class LoginView(two_factor.LoginView):
    """The one login page: the password (and for staff the code), and the providers configured next to it.

    Named as django-two-factor-auth's own: the wizard's fields carry the class's name ("login_view-…")."""

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form, **kwargs)
        context["identity_providers"] = [
            {"label": p.label, "url_name": URL_NAMES[p.purpose]}
            for p in IdentityProvider.objects.filter(enabled=True).order_by("purpose")
        ]
        return context


class StartLogin(OIDCAuthenticationRequestView):
    """To the provider: eHerkenning (``purpose`` eherkenning) or the agency's single sign-on (staff)."""

    purpose = ""
    provider: IdentityProvider | None = None

    def __init__(self, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)  # the settings come per request

    def get_settings(self, attr, *args):
        return provider_settings(self.provider, attr, *args)

    def get(self, request):
        self.provider = IdentityProvider.active(self.purpose)
        if self.provider is None:
            raise Http404(_("Deze manier van inloggen is hier niet ingesteld."))
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery(self.provider)["authorization_endpoint"]
        except (ProviderUnavailable, KeyError):
            messages.error(request, _("De inlogdienst is nu niet bereikbaar. Probeer het later opnieuw."))
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = self.provider.client_id
        request.session[PURPOSE] = self.purpose
        return super().get(request)


class Callback(OIDCAuthenticationCallbackView):
    """Back from the provider: signed in, or back at the login page with the reason."""

    @property
    def failure_url(self):
        return reverse("login")

    @property
    def success_url(self):
        return self.request.session.get("oidc_login_next") or resolve_url("start-page")

    def login_failure(self):
        messages.error(
            self.request, getattr(self.request, "_os_refusal", None) or _("Inloggen is niet gelukt. Probeer opnieuw.")
        )
        return HttpResponseRedirect(self.failure_url)


@require_POST
def logout(request):
    """Out here, and at the provider too where it offers that (its end_session_endpoint)."""
    login = sessions.login_of(request)
    id_token = request.session.get("oidc_id_token")
    provider = IdentityProvider.active(login.get("provider", "")) if login.get("provider") else None
    auth.logout(request)
    home = request.build_absolute_uri(resolve_url("home"))
    if provider is not None and provider.end_session and id_token:
        try:
            end_session = discovery(provider).get("end_session_endpoint")
        except ProviderUnavailable:
            end_session = None
        if end_session:
            query = urlencode(
                {"id_token_hint": id_token, "post_logout_redirect_uri": home, "client_id": provider.client_id}
            )
            return HttpResponseRedirect(f"{end_session}?{query}")
    return redirect("home")
