"""API tokens: stored hashed (a SHA-512 digest, django-rest-knox), with an expiry, shown once when made.

``manage.py create_api_token USERNAME [--expires-days N]`` makes one. Knox's own lookup reads every other
token of the user on each request to clear expired ones; this one reads the token with its user and the
user's organisation in one query, and refuses an expired token with a message that says so.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.throttling import SimpleRateThrottle


class FailedTokenThrottle(SimpleRateThrottle):
    """Wrong tokens per address (the rate ``token_failure``): DRF's throttles run only after authentication
    succeeded, so guessing is counted here, and past the rate every token from that address waits."""

    scope = "token_failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def exhausted(self, request) -> bool:
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record(self) -> None:
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate(self, request):
        scheme = get_authorization_header(request).split()[:1]
        if not scheme or scheme[0].lower() != self.authenticate_header(request).lower().encode():
            return None  # no token: the session's, or anonymous
        throttle = FailedTokenThrottle()
        if throttle.exhausted(request):
            raise exceptions.Throttled(throttle.wait())
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record()
            raise

    def authenticate_credentials(self, token: bytes):
        try:
            token = token.decode("ascii")
            digest = hash_token(token)
        except (UnicodeDecodeError, TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(_("Ongeldig token.")) from None
        candidates = get_token_model().objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in candidates.select_related("user__organisation"):
            if compare_digest(digest, auth_token.digest):
                if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
                    raise exceptions.AuthenticationFailed(_("Dit token is verlopen. Vraag een nieuw token aan."))
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(_("Ongeldig token."))


class TokenScheme(OpenApiAuthenticationExtension):
    """In the OpenAPI schema: ``Authorization: Token <token>``, as DRF's own token scheme was named."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
