"""The applications behind a report, one row each, for the exports."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone

from applications.models import Application, AuditEvent, Unit
from applications.states import State

from .base import DECISION_STATES, money
from .scope import Scope

EXPORT_COLUMNS = (
    ("reference", "kenmerk"),
    ("opening", "openstelling"),
    ("state_at", "status op peildatum"),
    ("channel", "kanaal"),
    ("sector", "sector"),
    ("size_class", "grootteklasse"),
    ("province", "provincie"),
    ("units", "eenheden"),
    ("amount_requested", "aangevraagd bedrag"),
    ("amount_granted", "verleend bedrag"),
    ("submitted_at", "ingediend"),
    ("decided_at", "besluit"),
    ("demo_batch", "demo-reeks"),
)


def report_applications(scope: Scope, end: datetime.datetime):
    """The applications of a scope as they stood at the moment, with only what a figure needs.

    No names of people or contact details: the organisation appears only by
    its sector, size class and province. ``state_at`` comes from the audit
    trail, like the figures.
    """
    last = (
        AuditEvent.objects.filter(application_id=OuterRef("pk"), at__lt=end)
        .exclude(to_state=F("from_state"))
        .order_by("-at", "-id")
    )
    submitted = AuditEvent.objects.filter(application_id=OuterRef("pk"), action="submit", at__lt=end)
    decided = AuditEvent.objects.filter(
        application_id=OuterRef("pk"),
        action__in=["approve_decision", "declare_not_considered"],
        to_state__in=DECISION_STATES,
        at__lt=end,
    ).order_by("at", "id")
    units = Unit.objects.filter(application_id=OuterRef("pk")).order_by().values("application_id")
    return (
        Application.objects.filter(opening_id__in=scope.opening_ids or [0], created_at__lt=end)
        .annotate(
            state_at=Subquery(last.values("to_state")[:1]),
            closed_from=Subquery(last.values("from_state")[:1]),
            submitted_event=Subquery(submitted.values("at")[:1]),
            decided_event=Subquery(decided.values("at")[:1]),
            unit_count=Subquery(units.annotate(n=Count("id")).values("n")[:1]),
        )
        .filter(state_at__isnull=False)
        .order_by("id")
        .values_list(
            "reference",
            "opening__code",
            "state_at",
            "closed_from",
            "channel",
            "organisation__sector",
            "organisation__size_class",
            "organisation__province",
            "unit_count",
            "amount_requested",
            "amount_granted",
            "submitted_event",
            "decided_event",
            "demo_batch",
        )
    )


def export_row(values: tuple) -> list:
    """One application with typed values (the order of EXPORT_COLUMNS): codes, amounts as Decimal, dates."""
    (reference, opening, state, closed_from, channel, sector, size, province, units, requested, granted, sub, dec) = (
        values[:13]
    )
    if state == State.CLOSED:
        state = f"{State.CLOSED} ({closed_from})"
    return [
        reference,
        opening,
        state,
        channel,
        sector,
        size,
        province or "",
        units or 0,
        None if requested is None else Decimal(money(requested)),
        None if granted is None else Decimal(money(granted)),
        None if sub is None else timezone.localtime(sub).date(),
        None if dec is None else timezone.localtime(dec).date(),
        values[13] if len(values) > 13 else "",
    ]
