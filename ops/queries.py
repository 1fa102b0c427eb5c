"""The figures operations watches, read from the database: counts and ages only, no personal data."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min
from django.utils import timezone

from applications.models import Application, AuditEvent, Outbox
from applications.states import WAITING_FOR_US

# The second reviewer's approvals: the acts that make a decision (a grant or a rejection, a settlement).
DECISION_ACTIONS = ("approve_decision", "approve_settlement")


def oldest_owed_at() -> datetime.datetime | None:
    """When the oldest letter or e-mail still owed was written (``None`` when nothing is owed)."""
    return Outbox.objects.filter(status=Outbox.Status.OWED).aggregate(oldest=Min("created_at"))["oldest"]


def oldest_owed_age(now: datetime.datetime | None = None) -> datetime.timedelta:
    """How long the oldest owed row has waited; zero when nothing is owed."""
    oldest = oldest_owed_at()
    if oldest is None:
        return datetime.timedelta(0)
    return max((now or timezone.now()) - oldest, datetime.timedelta(0))


def outbox_by_kind(status: str) -> dict[str, int]:
    """Outbox rows of one status by kind, every kind present (zero when none)."""
    counts = dict.fromkeys(Outbox.Kind.values, 0)
    rows = Outbox.objects.filter(status=status).values("kind").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["kind"]] = row["n"]
    return counts


def submissions() -> int:
    """Applications ever submitted (a withdrawn or decided one still counts)."""
    return Application.objects.filter(submitted_at__isnull=False).count()


def decisions() -> dict[str, int]:
    """Approved decisions and settlements, by the approving action."""
    counts = dict.fromkeys(DECISION_ACTIONS, 0)
    rows = AuditEvent.objects.filter(action__in=DECISION_ACTIONS).values("action").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["action"]] = row["n"]
    return counts


def past_decision_date(today: datetime.date | None = None) -> int:
    """Applications waiting for us whose decision date has passed (a suspended clock is never overdue)."""
    today = today or timezone.localdate()
    return Application.objects.filter(state__in=WAITING_FOR_US, decision_due__lt=today).count()
