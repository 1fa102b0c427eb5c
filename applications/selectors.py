"""Reads of applications: what a user may see, and the lists built on it."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from . import clocks
from .models import Application, Mandate, Role, User


def visible_applications(user: User) -> QuerySet[Application]:
    """Exactly the applications this user may see; nothing of other organisations."""
    if not user.is_authenticated or not user.is_active:
        return Application.objects.none()
    if user.role == Role.APPLICANT:
        if not user.organisation_id:
            return Application.objects.none()
        return Application.objects.filter(organisation_id=user.organisation_id)
    if user.role == Role.INTERMEDIARY:
        if not user.organisation_id:
            return Application.objects.none()
        today = clocks.local_date()
        mandates = Mandate.objects.filter(
            principal_id=OuterRef("organisation_id"),
            agent_id=user.organisation_id,
            schemes__id=OuterRef("opening__scheme_id"),
            revoked_at__isnull=True,
            valid_from__lte=today,
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        return Application.objects.filter(Exists(mandates), opening__rules__intermediaries_allowed=True)
    if user.role == Role.ADMINISTRATOR:
        return Application.objects.all()
    if user.role in (Role.REVIEWER, Role.SENIOR_REVIEWER):
        return Application.objects.filter(opening__scheme__in=user.schemes.all())
    return Application.objects.none()


def active_mandates(organisation_id: int):
    today = clocks.local_date()
    return (
        Mandate.objects.filter(agent_id=organisation_id, revoked_at__isnull=True, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("principal")
        .prefetch_related("schemes")
    )
