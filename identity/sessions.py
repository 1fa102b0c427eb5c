"""What a login leaves on the session, what every request reads back from it, and the login log.

A login writes ``LOGIN`` on the session: the means (password, password and code, eHerkenning, single
sign-on), the level of assurance, the KVK number and branch it came with and, for a representative, the
organisation it represents under an eHerkenning machtiging. ``SignInMiddleware`` puts the parts the rules
read on ``request.user`` (``assurance_level``, ``represented_organisation_id``), so the permissions of
``applications`` judge a login without knowing sessions. A representation lasts as long as the session:
nothing of it is stored as a mandate.
"""

from __future__ import annotations

import time

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from config.signin import LOGIN, client_address, login_of, needs_second_factor

from .models import LoginEvent, Means

__all__ = ["LOGIN", "PENDING", "SignInMiddleware", "login_of", "record"]

PENDING = "_os_pending_login"  # attribute on the user an OIDC backend signed in: what the login brought


@receiver(user_logged_in)
def remember_the_login(sender, request, user, **kwargs):
    """Every login, whatever the way in: on the session and in the log."""
    pending = getattr(user, PENDING, None)
    if pending is None:
        means = Means.PASSWORD_TOTP if needs_second_factor(user) else Means.PASSWORD
        pending = {"means": means, "level": "", "kvk": getattr(user.organisation, "kvk", "") or ""}
    login = {**pending, "at": int(time.time())}
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN] = login
    LoginEvent.objects.create(
        kind=LoginEvent.Kind.LOGIN,
        user=user,
        username=user.get_username(),
        means=login["means"],
        level=login.get("level", ""),
        kvk=login.get("kvk", ""),
        branch=login.get("branch", ""),
        represented_kvk=login.get("represented_kvk", ""),
        service=login.get("service", ""),
        address=client_address(request) if request is not None else None,
    )


@receiver(user_logged_out)
def log_the_logout(sender, request, user, **kwargs):
    if user is None:
        return
    login = login_of(request)
    record(request, LoginEvent.Kind.LOGOUT, user=user, login=login, reason=getattr(request, "_os_logout_reason", ""))


@receiver(user_login_failed)
def log_the_refusal(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username") or ""
    record(request, LoginEvent.Kind.REFUSED, username=username, reason="wachtwoord" if username else "")


def record(request, kind: str, *, user=None, username: str = "", login: dict | None = None, reason: str = "") -> None:
    login = login or {}
    LoginEvent.objects.create(
        kind=kind,
        user=user,
        username=user.get_username() if user is not None else username[:150],
        means=login.get("means", ""),
        level=login.get("level", ""),
        kvk=login.get("kvk", ""),
        branch=login.get("branch", ""),
        represented_kvk=login.get("represented_kvk", ""),
        service=login.get("service", ""),
        reason=reason,
        address=client_address(request) if request is not None else None,
    )


class SignInMiddleware:
    """Puts the login's level and representation on ``request.user`` for the rules to read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            login = login_of(request)
            user.assurance_level = login.get("level", "")
            user.represented_organisation_id = login.get("represented_id")
            user.signed_in_with = login.get("means", "")
        return self.get_response(request)
