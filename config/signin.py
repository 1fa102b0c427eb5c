"""Signing in: the second factor for staff, their idle timeout, and what the lockout counts.

Employers and intermediaries sign in with eHerkenning or their password. Staff sign in through the
agency's single sign-on (its IdP asks the second factor), or — break-glass — locally. Every staff role — reviewer, senior reviewer,
program manager, administrator, and anyone with access to the admin — signs in with a code from an
authenticator app too (TOTP, django-otp through django-two-factor-auth), set up at the first sign-in, with
recovery codes for a lost phone. Until the second step is done a staff session reaches nothing but the
set-up pages and the way out; after ``STAFF_IDLE_TIMEOUT_MINUTES`` without a request it ends. Every
session ends after its audience's idle timeout and, whatever the activity, its absolute one.

django-axes counts failed sign-ins per username and address (``config/settings.py``); the login is
django-two-factor-auth's wizard, whose password step names its fields ``auth-username`` and
``auth-password``.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import logout, user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device
from two_factor import views as two_factor

from applications.roles import APPLICANT_ROLES

LAST_SEEN = "os_last_seen"  # session key: the time of the last request, in whole seconds
LOGIN = "os_login"  # session key: the login's means, level, representation and time (identity/sessions.py)
SSO = "sso"  # the means of a staff login through the agency's single sign-on


def login_of(request) -> dict:
    session = getattr(request, "session", None)
    return (session.get(LOGIN) if session is not None else None) or {}


def verified_by_provider(request) -> bool:
    """A staff login through the agency's single sign-on counts as two factors: the IdP asked for them
    (docs/security.md); the login and its means are in the login log (identity.LoginEvent)."""
    return login_of(request).get("means") == SSO


def needs_second_factor(user) -> bool:
    """Staff sign in with two factors: every role but the applicant's side, and anyone with the admin."""
    return user.is_authenticated and (user.is_staff or user.is_superuser or user.role not in APPLICANT_ROLES)


def username_of_attempt(request, credentials) -> str | None:
    """The username django-axes counts: from the backend's credentials, or the wizard's password step."""
    if credentials and credentials.get("username"):
        return credentials["username"]
    if request is not None and request.method == "POST":
        return request.POST.get("auth-username") or request.POST.get("username")
    return None


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind our own proxy the last hop it appended."""
    if settings.BEHIND_PROXY:
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


@receiver(user_logged_in)
def start_the_idle_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


# Where a staff member who has not done the second step may go: signing in, setting the code up
# (/inloggen/tweestapsverificatie/), and out.
OPEN_PREFIXES = ("/static/", "/i18n/", "/gezondheid/", "/uitloggen/", "/inloggen/")


class StaffSessionMiddleware:
    """For everyone: the idle and the absolute timeout of their audience. For staff: then the second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            staff = needs_second_factor(request.user)
            response = self.timeouts(request, staff)
            if response is None and staff:
                response = self.second_factor(request)
            if response is not None:
                return response
        return self.get_response(request)

    def timeouts(self, request, staff: bool):
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN)
        idle = (settings.STAFF_IDLE_TIMEOUT_MINUTES if staff else settings.APPLICANT_IDLE_TIMEOUT_MINUTES) * 60
        longest = (settings.STAFF_SESSION_MAX_HOURS if staff else settings.APPLICANT_SESSION_MAX_HOURS) * 3600
        logged_in_at = login_of(request).get("at")
        if last_seen is not None and now - last_seen > idle:
            message = _("U bent uitgelogd omdat u %(minutes)d minuten niets hebt gedaan. Log opnieuw in.") % {
                "minutes": idle // 60
            }
            return self.signed_out(request, message)
        if logged_in_at is not None and now - logged_in_at > longest:
            message = _("U bent uitgelogd omdat u langer dan %(hours)s uur bent ingelogd. Log opnieuw in.") % {
                "hours": f"{longest / 3600:g}"
            }
            return self.signed_out(request, message)
        # Written at most once a minute: a page costs no session write on every request.
        if last_seen is None or now - last_seen >= 60:
            request.session[LAST_SEEN] = now
        return None

    def signed_out(self, request, message: str):
        request._os_logout_reason = "timeout"
        logout(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=401)
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())

    def second_factor(self, request):
        if request.user.is_verified() or verified_by_provider(request) or request.path_info.startswith(OPEN_PREFIXES):
            return None
        if request.path_info.startswith("/api/"):
            message = _("Medewerkers gebruiken de API met een API-token, of na inloggen met tweestapsverificatie.")
            return JsonResponse({"detail": message}, status=403)
        if not user_has_device(request.user):
            messages.info(request, _("Stel eerst tweestapsverificatie in: medewerkers loggen in met een code."))
            return redirect("two_factor:setup")
        # A session without the second step (from before the requirement): sign in again, with the code.
        logout(request)
        return redirect_to_login(request.get_full_path())


def admin_login(request, extra_context=None):
    """The admin has no login of its own: everyone signs in through the one page, with its lockout and code."""
    if request.user.is_authenticated:
        return redirect("admin:index")
    return redirect_to_login(request.get_full_path().replace(reverse("admin:login"), reverse("admin:index"), 1))


admin.site.login = admin_login

# django-two-factor-auth's views under Dutch addresses, by the names its views reverse (namespace two_factor).
# No way to switch it off: for staff it is required, and an applicant's account has nothing to switch.
urlpatterns = [
    path("", two_factor.ProfileView.as_view(), name="profile"),
    path("instellen/", two_factor.SetupView.as_view(), name="setup"),
    path("instellen/qr/", two_factor.QRGeneratorView.as_view(), name="qr"),
    path("ingesteld/", two_factor.SetupCompleteView.as_view(), name="setup_complete"),
    path("herstelcodes/", two_factor.BackupTokensView.as_view(), name="backup_tokens"),
]
