"""Who may see which reports: program managers for their team's schemes, administrators for all."""

from __future__ import annotations

from django.utils.translation import gettext

from applications.models import Role

from .queries import ReportError, Scope, build_report, end_of_day, parse_as_of, resolve_scope

REPORT_ROLES = (Role.PROGRAM_MANAGER, Role.ADMINISTRATOR)


def sees_reports(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in REPORT_ROLES)


def team_schemes(user):
    """The schemes a user reports on: ``None`` means all of them (an administrator)."""
    if user.role == Role.ADMINISTRATOR:
        return None
    return list(user.schemes.all())


def check_scope(user, scope: Scope) -> None:
    """Refuse (403) a report on a scheme outside the user's team."""
    if not sees_reports(user):
        raise ReportError(gettext("Rapportages zijn er voor programmamanagers en functioneel beheerders."), 403)
    allowed = team_schemes(user)
    if allowed is None or scope.kind == "portfolio":
        return
    ids = {s.pk for s in allowed}
    if any(s.pk not in ids for s in scope.schemes):
        raise ReportError(gettext("Deze regeling hoort niet bij uw team; u kunt er geen rapportage van zien."), 403)


def report_for(user, scope_kind: str, code: str, as_of=None) -> tuple[dict, Scope]:
    """The report a user asked for, after checking who asks; raises ReportError (400/403/404)."""
    if not sees_reports(user):
        raise ReportError(gettext("Rapportages zijn er voor programmamanagers en functioneel beheerders."), 403)
    day = parse_as_of(as_of)
    scope = resolve_scope(scope_kind, code, schemes=team_schemes(user))
    check_scope(user, scope)
    return build_report(scope, day, end_of_day(day)), scope
