"""Delivering what events owe: the outbox's dispatcher.

An ``Outbox`` row is written with its event (``audit.record``). It is delivered
by ``deliver(key)``: kicked through Celery right after the commit, and swept
every minute (Celery beat, and the daily ``run_clocks``) for anything owed longer
than a minute — so a lost broker message, a Redis restart or a worker killed
mid-render delays a letter by minutes, never loses it.

A delivery first claims its row with a lease (``locked_until``), so two workers
never deliver one row at once and a worker that dies frees it when the lease
runs out. Delivery itself is idempotent by key: the letter's own row and its
``emailed_at``, an e-mail's (also a message's) ``Notification``. A failure is kept on the row
(attempts, error) and retried with a back-off; after ``MAX_ATTEMPTS`` the row
is ``failed`` and waits for an administrator's retry (the admin shows it).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import letters, workflow
from .models import Outbox

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SWEEP_LIMIT = 200


def lease() -> datetime.timedelta:
    """How long a worker's claim on a row lasts: far longer than rendering one letter takes (2 minutes)."""
    return datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def sweep_after() -> datetime.timedelta:
    """How long a row may be owed before the sweep delivers it: the kick after the commit gets the first minute."""
    return datetime.timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, … minutes after the failed attempt, at most an hour."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def deliver(key: str, *, now: datetime.datetime | None = None) -> str | None:
    """Deliver one owed row if it is due and free; returns its status afterwards (None: not ours to deliver now)."""
    now = now or timezone.now()
    claimed = Outbox.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        key=key,
        status=Outbox.Status.OWED,
        next_attempt_at__lte=now,
    ).update(locked_until=now + lease(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    row = Outbox.objects.select_related("event__application").get(key=key)
    try:
        _deliver(row)
    except Exception as exc:  # kept on the row and retried later: one bad letter never stops the others
        logger.exception("delivery of %s failed (attempt %s)", key, row.attempts)
        failed = row.attempts >= MAX_ATTEMPTS
        Outbox.objects.filter(pk=row.pk).update(
            status=Outbox.Status.FAILED if failed else Outbox.Status.OWED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + backoff(row.attempts),
            locked_until=None,
        )
        return Outbox.Status.FAILED if failed else Outbox.Status.OWED
    Outbox.objects.filter(pk=row.pk).update(
        status=Outbox.Status.DONE, done_at=timezone.now(), locked_until=None, last_error=""
    )
    return Outbox.Status.DONE


def _deliver(row: Outbox) -> None:
    if row.kind == Outbox.Kind.LETTER:
        payload = row.payload
        spec = workflow.LetterSpec(payload["kind"], payload["letter_key"], payload.get("decision"))
        letters.issue(row.event, spec)
    elif row.kind == Outbox.Kind.EMAIL:
        letters.announce_event(row.event)
    elif row.kind == Outbox.Kind.MESSAGE:
        letters.announce_message(row.event)
    else:
        raise ValueError(f"unknown outbox kind {row.kind!r}")


def due(now: datetime.datetime | None = None, *, older_than: datetime.timedelta | None = None):
    """Owed rows the sweeper delivers: due, free, and owed longer than ``older_than`` (default ``sweep_after``)."""
    now = now or timezone.now()
    older_than = sweep_after() if older_than is None else older_than
    return Outbox.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        status=Outbox.Status.OWED,
        next_attempt_at__lte=now,
        created_at__lte=now - older_than,
    ).order_by("next_attempt_at", "id")


def sweep(*, now: datetime.datetime | None = None, older_than: datetime.timedelta | None = None) -> dict:
    """Deliver what is owed and was not delivered by its kick: every minute (beat) and daily (``run_clocks``)."""
    counts = {"delivered": 0, "still_owed": 0, "failed": 0}
    for key in list(due(now, older_than=older_than).values_list("key", flat=True)[:SWEEP_LIMIT]):
        status = deliver(key, now=now)
        if status == Outbox.Status.DONE:
            counts["delivered"] += 1
        elif status == Outbox.Status.FAILED:
            counts["failed"] += 1
        elif status == Outbox.Status.OWED:
            counts["still_owed"] += 1
    return counts


def retry(row: Outbox) -> str | None:
    """An administrator's retry of a failed (or stuck) row: a fresh set of attempts, delivered now."""
    Outbox.objects.filter(pk=row.pk).exclude(status=Outbox.Status.DONE).update(
        status=Outbox.Status.OWED, attempts=0, next_attempt_at=timezone.now(), locked_until=None
    )
    return deliver(row.key)
