"""Reconciliation: what must always hold, checked against the database (``manage.py reconcile``, and daily).

- every event has the letters and e-mails it owes: an outbox row for each (the
  ``workflow`` says which), a delivered letter row for each delivered letter, and
  nothing owed for longer than ``STUCK_AFTER`` or failed;
- the money: for each opening, the ledger's movements, the opening's running
  totals and the sum over its applications agree (reserved, committed, paid, recovered);
- the queue: each opening's queue positions run 1..N without gaps or doubles.

Every finding is kept (``Finding``, shown in the admin); the command exits non-zero
when there is one. Everything is computed with grouped queries, so a run stays
cheap at a million applications.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from schemes.models import LedgerEntry, Opening

from . import workflow
from .models import Application, AuditEvent, Finding, Letter, Outbox

STUCK_AFTER = datetime.timedelta(hours=1)
ZERO = Decimal("0.00")


def run(*, now: datetime.datetime | None = None) -> list[Finding]:
    """Check everything, keep and return the findings of this run."""
    now = now or timezone.now()
    found = [*owed(now), *money(), *queues()]
    for finding in found:
        finding.run_at = now
    Finding.objects.bulk_create(found)
    return found


# --- letters and e-mails -------------------------------------------------------------------


def owed(now: datetime.datetime) -> list[Finding]:
    findings = []
    owing = [e.name for e in (*workflow.ACTIONS, *workflow.EVENTS) if e.letter or e.email]
    missing = AuditEvent.objects.filter(action__in=owing, owed__isnull=True).values_list(
        "pk", "action", "application_id"
    )
    for pk, action, application_id in missing[:500]:
        if _owes_nothing(pk):
            continue
        findings.append(
            Finding(
                kind=Finding.Kind.OWED,
                subject=f"gebeurtenis {pk}",
                detail=f"{action} van aanvraag {application_id} heeft geen uitgaand bericht",
            )
        )
    stuck = Outbox.objects.filter(
        Q(status=Outbox.Status.FAILED) | Q(status=Outbox.Status.OWED, created_at__lt=now - STUCK_AFTER)
    ).values_list("key", "status", "attempts", "last_error")
    for key, status, attempts, error in stuck[:500]:
        findings.append(
            Finding(kind=Finding.Kind.OWED, subject=key, detail=f"{status} na {attempts} pogingen: {error[:300]}")
        )
    delivered = Outbox.objects.filter(kind=Outbox.Kind.LETTER, status=Outbox.Status.DONE).values_list("key", flat=True)
    rendered = set(Letter.objects.filter(status=Letter.Status.RENDERED).values_list("key", flat=True))
    for key in delivered.iterator(chunk_size=5000):
        if key.removeprefix("letter:") not in rendered:
            findings.append(Finding(kind=Finding.Kind.OWED, subject=key, detail="geleverd, maar de brief is er niet"))
    return findings


def _owes_nothing(event_id: int) -> bool:
    """An event whose declaration may owe a letter that, for this event, it does not (a tranche decision's e-mail)."""
    event = AuditEvent.objects.select_related("application").get(pk=event_id)
    declared = workflow.BY_NAME[event.action]
    return not declared.email and (declared.letter is None or declared.letter(event) is None)


# --- money -----------------------------------------------------------------------------------

_SIGNED = {
    "reserved": {"reserve": 1, "release": -1},
    "committed": {"commit": 1, "decommit": -1},
    "paid": {"pay": 1},
    "recovered": {"recover": 1},
}


def money() -> list[Finding]:
    ledger: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in LedgerEntry.objects.values("opening_id", "kind").annotate(total=Sum("amount")):
        for total, signs in _SIGNED.items():
            if row["kind"] in signs:
                ledger[row["opening_id"]][total] += signs[row["kind"]] * row["total"]
    applications = {
        row["opening_id"]: row
        for row in Application.objects.values("opening_id").annotate(
            reserved=Sum("amount_reserved"),
            committed=Sum("amount_committed"),
            paid=Sum("amount_paid"),
            recovered=Sum("amount_recovered"),
        )
    }
    findings = []
    for opening in Opening.objects.only("id", "code", "reserved", "committed", "paid", "recovered"):
        for total in _SIGNED:
            on_row = getattr(opening, total)
            booked = ledger[opening.pk][total]
            summed = (applications.get(opening.pk) or {}).get(total) or ZERO
            if not on_row == booked == summed:
                findings.append(
                    Finding(
                        kind=Finding.Kind.LEDGER,
                        subject=f"{opening.code}: {total}",
                        detail=f"openstelling {on_row}, grootboek {booked}, som van de aanvragen {summed}",
                    )
                )
    return findings


# --- the queue -------------------------------------------------------------------------------


def queues() -> list[Finding]:
    findings = []
    positions = (
        Application.objects.filter(queue_position__isnull=False)
        .values("opening_id")
        .annotate(n=Count("id"), low=Min("queue_position"), high=Max("queue_position"))
    )
    lengths = dict(Opening.objects.values_list("pk", "queue_length"))
    codes = dict(Opening.objects.values_list("pk", "code"))
    for row in positions:
        length = lengths.get(row["opening_id"], 0)
        if not (row["low"] == 1 and row["high"] == row["n"] == length):
            findings.append(
                Finding(
                    kind=Finding.Kind.QUEUE,
                    subject=codes.get(row["opening_id"], str(row["opening_id"])),
                    detail=f"{row['n']} plaatsen van {row['low']} tot {row['high']}, wachtrij {length} lang",
                )
            )
    return findings
