"""Dividing an opening's ceiling among its applications (Awb 4:25-4:27).

Every order that involves chance is an HMAC of the seed and the application's
reference, sorted: anyone with the seed and the list of references can recompute
it (``recompute``). The seed is the system's, fixed before the draw
(``services.draws``: committed as a hash, revealed with the result); a run by
staff is proposed by one and approved by another, and only the approval
(``execute``) reserves the money.

- ``fcfs``: by date of completeness; among the applications completed on the day
  the ceiling is crossed, by lottery, drawn when that day ends; from the first that
  does not fit, all are out (no leapfrogging; ``services.queue`` keeps the same
  order at submission).
- ``lottery``: all applications of the window, by lottery — those still waiting for
  a supplement after every complete one; from the first that does not fit, all are out.
- ``tender``: by the committee's score — as the scheme says (``Rules.tender_score``), the mean of its
  assessors' total scores (not the best of them), or the consensus score the committee agreed and a case
  worker recorded (an application without one is not ranked: ``unscored``) — highest first, below the minimum
  score out; ties by lottery.
- ``pro_rata``: everyone gets the same share of what was asked when the ceiling
  is oversubscribed; an application whose share would fall below the scheme's
  minimum amount is out (the smallest first, then the share is worked out anew
  for the rest), so no grant goes out under the minimum.

Where the opening allows it (``Opening.partial_grant``, Awb 4:25 lid 2 "voor
zover"), the first application in a strict order that no longer fits gets what is
left under the ceiling (``partial``), if that is not below the scheme's minimum.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db.models import Avg
from django.utils.translation import gettext as _

from schemes import budget
from schemes.models import Opening

from .. import audit, clocks
from ..errors import Conflict
from ..models import Allocation, Application, Assessment, User
from ..states import OPEN_STATES, State


def lottery_key(seed: str, reference: str) -> str:
    message = f"{settings.LOTTERY_HMAC_CONTEXT}:{reference}".encode()
    return hmac.new(seed.encode(), message, hashlib.sha256).hexdigest()


def lottery_order(seed: str, references: list[str]) -> list[str]:
    return sorted(references, key=lambda ref: lottery_key(seed, ref))


def _candidates(opening: Opening):
    return list(
        Application.objects.filter(opening=opening, state__in=OPEN_STATES)
        .select_related("organisation")
        .order_by("complete_at", "queue_position")
    )


def _scores(opening: Opening, applications) -> dict[int, Decimal | None]:
    """The committee's score of each application: the consensus it recorded where the scheme ranks by consensus,
    else the mean of its assessors' total scores, to two decimals."""
    if opening.published_rules.tender_score == "consensus":
        return {a.pk: a.consensus_score for a in applications if a.consensus_score is not None}
    rows = (
        Assessment.objects.filter(application__in=applications, score__isnull=False)
        .values("application_id")
        .annotate(mean=Avg("score"))
    )
    return {row["application_id"]: Decimal(row["mean"]).quantize(Decimal("0.01")) for row in rows}


def _pro_rata(apps: list[Application], available: Decimal, minimum: Decimal | None, seed: str) -> list[dict]:
    """The same share for all; who would get less than the minimum is out, smallest first, and the rest share anew."""
    share: dict[int, Decimal] = {}
    sharing = sorted(apps, key=lambda a: (a.amount_requested or Decimal("0"), lottery_key(seed, a.reference)))
    while True:
        asked = sum((a.amount_requested or Decimal("0") for a in sharing), Decimal("0"))
        factor = Decimal("1") if asked <= available or asked == 0 else available / asked
        share = {
            a.pk: ((a.amount_requested or Decimal("0")) * factor).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            for a in sharing
        }
        if not sharing or minimum is None or share[sharing[0].pk] >= minimum:
            break
        sharing = sharing[1:]  # the smallest share is below the minimum: out, and the rest share again
    rows = []
    for position, app in enumerate(apps, start=1):
        amount = share.get(app.pk, Decimal("0.00"))
        if app.pk not in share:
            rows.append(_row(app, position, seed, Decimal("0.00"), "below_min_amount", factor=factor))
        else:
            rows.append(_row(app, position, seed, amount, "granted" if amount > 0 else "out", factor=factor))
    return rows


def plan(
    opening: Opening, seed: str, applications: list[Application] | None = None, *, day: datetime.date | None = None
) -> list[dict]:
    """The order and outcome for each application, without changing anything; ``day``: the first come, first
    served day drawn by lottery (else the day the ceiling is crossed)."""
    apps = applications if applications is not None else _candidates(opening)
    # what is committed to others stays committed; the candidates' own reservations return to the pool
    available = (
        opening.budget_ceiling
        - opening.committed
        - (opening.reserved - sum((a.amount_reserved for a in apps), Decimal("0")))
    )
    method = opening.distribution
    rows: list[dict] = []
    if method == "fcfs":
        ordered = _fcfs_order(apps, seed, available, day=day)
    elif method == "lottery":
        # complete applications first, then those still waiting for a supplement; each group in the drawn order
        ordered = sorted(apps, key=lambda a: (_incomplete(a), lottery_key(seed, a.reference)))
    elif method == "tender":
        scores = _scores(opening, apps)
        minimum = opening.min_score
        ranked = sorted(
            apps,
            key=lambda a: (
                -(scores.get(a.pk) if scores.get(a.pk) is not None else Decimal("-1")),
                lottery_key(seed, a.reference),
            ),
        )
        ordered = ranked
        for app in ranked:
            app._score = scores.get(app.pk)
            app._below_min = app._score is None or (minimum is not None and app._score < minimum)
    elif method == "pro_rata":
        ordered = list(apps)
    else:
        raise Conflict(_("Onbekende verdeelmethode '%(method)s'.") % {"method": method})

    if method == "pro_rata":
        return _pro_rata(ordered, available, opening.published_rules.min_amount, seed)

    remaining = available
    # fcfs and lottery keep their order strictly: after the first that does not fit, nobody later is granted
    # (a later, smaller application does not leapfrog it); a tender goes down its ranking as far as money reaches.
    strict = method in ("fcfs", "lottery")
    reached = False
    for position, app in enumerate(ordered, start=1):
        amount = app.amount_requested or Decimal("0")
        if getattr(app, "_below_min", False):
            rows.append(_row(app, position, seed, Decimal("0.00"), "below_min_score", score=app._score))
            continue
        extra = {
            "score": getattr(app, "_score", None),
            "incomplete": (method == "lottery" and _incomplete(app)) or None,
        }
        if amount <= remaining and not reached:
            remaining -= amount
            rows.append(_row(app, position, seed, amount, "granted", **extra))
        elif strict and not reached and partly_fits(opening, remaining):
            rows.append(_row(app, position, seed, remaining, "partial", **extra))  # Awb 4:25 lid 2: "voor zover"
            remaining = Decimal("0.00")
            reached = True
        else:
            rows.append(_row(app, position, seed, Decimal("0.00"), "out", **extra))
            reached = strict  # strictly in order: the ceiling is reached for everyone after it
    return rows


def unscored(opening: Opening, applications: list[Application] | None = None) -> list[Application]:
    """A tender ranked by consensus: the candidates the committee has not yet given their consensus score. No
    ranking runs while there are any (it would leave them out without a score)."""
    if opening.distribution != "tender" or opening.published_rules.tender_score != "consensus":
        return []
    apps = applications if applications is not None else _candidates(opening)
    return [a for a in apps if a.consensus_score is None]


def partly_fits(opening: Opening, remaining: Decimal) -> bool:
    """``remaining`` may go to the marginal application: the opening allows it and it is not below the minimum."""
    if not opening.partial_grant or remaining <= 0:
        return False
    minimum = opening.published_rules.min_amount
    return minimum is None or remaining >= minimum


def _incomplete(app: Application) -> bool:
    """Still waiting for a supplement at the draw: it goes after every complete application (SLIM)."""
    return app.state == State.SUPPLEMENT_REQUESTED


def _fcfs_order(
    apps: list[Application], seed: str, available: Decimal, *, day: datetime.date | None = None
) -> list[Application]:
    """By date of completeness; the day the ceiling is crossed (or ``day``) goes by lottery."""
    by_day: dict = {}
    for app in apps:
        by_day.setdefault(clocks.local_date(app.complete_at), []).append(app)
    ordered: list[Application] = []
    running = Decimal("0")
    crossed = False
    for this_day in sorted(by_day):
        day_apps = sorted(by_day[this_day], key=lambda a: (a.complete_at, a.queue_position or 0))
        day_total = sum((a.amount_requested or Decimal("0") for a in day_apps), Decimal("0"))
        if (day is not None and this_day == day) or (day is None and not crossed and running + day_total > available):
            crossed = True
            by_ref = {a.reference: a for a in day_apps}
            day_apps = [by_ref[r] for r in lottery_order(seed, list(by_ref))]
        running += day_total
        ordered.extend(day_apps)
    return ordered


def _row(app: Application, position: int, seed: str, amount: Decimal, outcome: str, **extra) -> dict:
    row = {
        "position": position,
        "reference": app.reference,
        "organisation": app.organisation.name,
        "complete_at": app.complete_at.isoformat() if app.complete_at else None,
        "requested": str(app.amount_requested or Decimal("0.00")),
        "allocated": str(amount),
        "outcome": outcome,
        "hmac": lottery_key(seed, app.reference),
    }
    for key, value in extra.items():
        if value is not None:
            row[key] = value if isinstance(value, bool) else str(value)
    return row


def candidates_locked(opening: Opening) -> list[Application]:
    """The candidates under their row locks, in the order of completeness (the opening is locked first)."""
    return list(
        Application.objects.select_for_update()
        .filter(opening=opening, state__in=OPEN_STATES)
        .select_related("organisation")
        .order_by("complete_at", "queue_position")
    )


def outcome_of(rows: list[dict]) -> list[tuple]:
    """What a run decides: who, in which place, gets how much. A proposal is approved only if this still holds."""
    return [(r["reference"], r["position"], r["outcome"], r["allocated"]) for r in rows]


def summary_of(opening: Opening, rows: list[dict]) -> dict:
    return {
        "ceiling": str(opening.budget_ceiling),
        "candidates": len(rows),
        "granted": sum(1 for r in rows if r["outcome"] in GRANTED_OUTCOMES),
        "out": sum(1 for r in rows if r["outcome"] not in GRANTED_OUTCOMES),
        "allocated": str(sum((Decimal(r["allocated"]) for r in rows), Decimal("0.00"))),
    }


GRANTED_OUTCOMES = ("granted", "partial")


def execute(opening: Opening, apps: list[Application], rows: list[dict], *, seed: str, user: User | None, now) -> None:
    """Carry a run out (under the opening's lock, the candidates locked): reservations as the rows say, each
    application told its place in the file. Only ``services.draws`` calls this, after the four eyes or at the
    end of a first come, first served day."""
    for app in apps:  # the candidates' reservations return to the pool first
        if app.amount_reserved:
            budget.set_reservation(opening, app, Decimal("0.00"), note="herverdeling", at=now)
    by_ref = {a.reference: a for a in apps}
    for row in rows:
        app = by_ref[row["reference"]]
        amount = Decimal(row["allocated"])
        granted = row["outcome"] in GRANTED_OUTCOMES
        if granted:
            budget.set_reservation(opening, app, amount, note="verdeling", at=now)
        app.over_ceiling = not granted
        if granted and opening.distribution == "pro_rata":
            app.amount_requested = amount
        app.save(update_fields=["over_ceiling", "amount_reserved", "amount_requested", "version"])
        audit.record(
            app,
            user,
            "allocate",
            data={"position": row["position"], "outcome": row["outcome"], "allocated": amount, "seed": seed},
            at=now,
        )


def last_approved(opening: Opening, *, day: datetime.date | None = None) -> Allocation | None:
    rows = opening.allocations.filter(status=Allocation.Status.APPROVED)
    rows = rows.filter(day=day) if day is not None else rows.filter(day__isnull=True)
    return rows.order_by("-approved_at", "-id").first()


def recompute(allocation: Allocation) -> list[str]:
    """The lottery order anyone can recompute from the stored seed and references (those marked incomplete
    after the complete ones, each group by its key)."""
    incomplete = {row["reference"] for row in allocation.order if row.get("incomplete")}
    return sorted(
        (row["reference"] for row in allocation.order),
        key=lambda ref: (ref in incomplete, lottery_key(allocation.seed, ref)),
    )


def last_allocation(opening: Opening) -> Allocation | None:
    """The run that counts: the last one carried out (a window's, or a first come, first served day's)."""
    return opening.allocations.filter(status=Allocation.Status.APPROVED).order_by("-approved_at", "-id").first()


__all__ = [
    "GRANTED_OUTCOMES",
    "candidates_locked",
    "execute",
    "last_allocation",
    "last_approved",
    "lottery_key",
    "lottery_order",
    "outcome_of",
    "partly_fits",
    "plan",
    "recompute",
    "summary_of",
    "unscored",
]
