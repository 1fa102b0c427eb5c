"""The hosting team's side: probes, metrics, logs, SMTP and the process list."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from applications.models import AuditEvent, Outbox, Role

try:  # the tests branch gathers every helper in tests.factories
    from tests.factories import employer, granted, omscholing_scheme, open_opening, staff, submitted
except ImportError:
    from tests.applications.factories import employer, granted, omscholing_scheme, open_opening, staff, submitted

__all__ = ["employer", "granted", "omscholing_scheme", "open_opening", "staff", "submitted"]


@pytest.fixture
def opening(db):
    return open_opening(omscholing_scheme())


@pytest.fixture
def application(opening):
    """A submitted application: its receipt is owed (an outbox row), never delivered (no commit in the test)."""
    return submitted(opening, employer())


def owe_since(application, minutes: float) -> Outbox:
    """The receipt the submission owes, as an outbox row written ``minutes`` ago (and not delivered)."""
    event = AuditEvent.objects.get(application=application, action="submit")
    row, _created = Outbox.objects.get_or_create(  # audit.record writes it where the outbox is wired in
        key=f"letter:receipt:application:{application.pk}",
        defaults={"kind": Outbox.Kind.LETTER, "event": event, "application": application},
    )
    Outbox.objects.filter(pk=row.pk).update(
        status=Outbox.Status.OWED, created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )
    return row


def team(opening):
    scheme = opening.scheme
    return staff(Role.REVIEWER, [scheme], username="ops-behandelaar"), staff(
        Role.SENIOR_REVIEWER, [scheme], username="ops-senior"
    )
