"""Where each role starts after signing in: the page of its daily work, not the catalogue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from applications.roles import Role

START_PAGES = {
    Role.APPLICANT: "portal:home",  # Mijn aanvragen
    Role.INTERMEDIARY: "portal:home",  # the intermediary's dashboard: every mandating employer's applications
    Role.REVIEWER: "review:queue",
    Role.SENIOR_REVIEWER: "review:queue",
    Role.PROGRAM_MANAGER: "reporting:dashboard",  # the portfolio
    Role.ADMINISTRATOR: "admin:index",
    Role.FINANCE: "review:payments",  # payments to record and to confirm, and held by a changed bank account
}


@login_required
def start_page(request):
    """``LOGIN_REDIRECT_URL``: after signing in (without a ``next``), each role lands on its own start page."""
    return redirect(START_PAGES.get(request.user.role, "home"))
