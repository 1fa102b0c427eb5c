"""Dividing an opening's ceiling among its applications (Awb 4:25-4:27).

Every order that involves chance is an HMAC of the published seed and the
application's reference, sorted: anyone with the seed and the list of
references can recompute it (``recompute``). The result, with the seed, is
stored as an ``Allocation``.

- ``fcfs``: by date of completeness; among the applications completed on the day
  the ceiling is crossed, by lottery; from the first that does not fit, all are out
  (no leapfrogging; ``services.queue`` keeps the same order at submission).
- ``lottery``: all applications of the window, by lottery — those still waiting for
  a supplement after every complete one; from the first that does not fit, all are out.
- ``tender``: by the committee's score — the mean of its assessors' total scores,
  not the best of them — highest first, below the minimum score out; ties by lottery.
- ``pro_rata``: everyone gets the same share of what was asked when the ceiling
  is oversubscribed; an application whose share would fall below the scheme's
  minimum amount is out (the smallest first, then the share is worked out anew
  for the rest), so no grant goes out under the minimum.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext as _

from schemes import budget
from schemes.models import Opening

from .. import audit, clocks
from ..errors import Conflict, Forbidden
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


def _scores(applications) -> dict[int, Decimal | None]:
    """The committee's score of each application: the mean of its assessors' total scores, to two decimals."""
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


def plan(opening: Opening, seed: str, applications: list[Application] | None = None) -> list[dict]:
    """The order and outcome for each application, without changing anything."""
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
        ordered = _fcfs_order(apps, seed, available)
    elif method == "lottery":
        # complete applications first, then those still waiting for a supplement; each group in the drawn order
        ordered = sorted(apps, key=lambda a: (_incomplete(a), lottery_key(seed, a.reference)))
    elif method == "tender":
        scores = _scores(apps)
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
        else:
            rows.append(_row(app, position, seed, Decimal("0.00"), "out", **extra))
            reached = strict  # strictly in order: the ceiling is reached for everyone after it
    return rows


def _incomplete(app: Application) -> bool:
    """Still waiting for a supplement at the draw: it goes after every complete application (SLIM)."""
    return app.state == State.SUPPLEMENT_REQUESTED


def _fcfs_order(apps: list[Application], seed: str, available: Decimal) -> list[Application]:
    """By date of completeness; the day the ceiling is crossed goes by lottery."""
    by_day: dict = {}
    for app in apps:
        by_day.setdefault(clocks.local_date(app.complete_at), []).append(app)
    ordered: list[Application] = []
    running = Decimal("0")
    crossed = False
    for day in sorted(by_day):
        day_apps = sorted(by_day[day], key=lambda a: (a.complete_at, a.queue_position or 0))
        day_total = sum((a.amount_requested or Decimal("0") for a in day_apps), Decimal("0"))
        if not crossed and running + day_total > available:
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


@transaction.atomic
def allocate(*, opening: Opening, seed: str, user: User | None) -> Allocation:
    """Run the opening's distribution: reserve for those who get budget, mark the rest."""
    if user is not None and not (user.is_case_worker and user.handles_scheme(opening.scheme_id)):
        raise Forbidden(_("Alleen behandelaars van deze regeling kunnen de verdeling uitvoeren."))
    if not seed or not str(seed).strip():
        raise Conflict(_("Geef een seed: daarmee kan iedereen de loting narekenen."))
    seed = str(seed).strip()
    now = timezone.now()
    locked = budget.lock_opening(opening.pk)
    if locked.distribution != "fcfs" and locked.status_at(now) != Opening.Status.CLOSED:
        raise Conflict(_("Loting, tender en evenredige verdeling gebeuren pas na het sluiten van de openstelling."))
    apps = list(
        Application.objects.select_for_update()
        .filter(opening=locked, state__in=OPEN_STATES)
        .select_related("organisation")
        .order_by("complete_at", "queue_position")
    )
    for app in apps:  # the candidates' reservations return to the pool first
        if app.amount_reserved:
            budget.set_reservation(locked, app, Decimal("0.00"), note="herverdeling", at=now)
    rows = plan(locked, seed, apps)
    by_ref = {a.reference: a for a in apps}
    for row in rows:
        app = by_ref[row["reference"]]
        amount = Decimal(row["allocated"])
        granted = row["outcome"] == "granted"
        if granted:
            budget.set_reservation(locked, app, amount, note="verdeling", at=now)
        app.over_ceiling = not granted
        if granted and locked.distribution == "pro_rata":
            app.amount_requested = amount
        app.save(update_fields=["over_ceiling", "amount_reserved", "amount_requested", "version"])
        audit.record(
            app,
            user,
            "allocate",
            data={"position": row["position"], "outcome": row["outcome"], "allocated": amount, "seed": seed},
        )
    summary = {
        "ceiling": str(locked.budget_ceiling),
        "candidates": len(rows),
        "granted": sum(1 for r in rows if r["outcome"] == "granted"),
        "out": sum(1 for r in rows if r["outcome"] != "granted"),
        "allocated": str(sum((Decimal(r["allocated"]) for r in rows), Decimal("0.00"))),
    }
    return Allocation.objects.create(
        opening=locked, method=locked.distribution, seed=seed, run_by=user, run_at=now, order=rows, summary=summary
    )


def recompute(allocation: Allocation) -> list[str]:
    """The lottery order anyone can recompute from the stored seed and references (those marked incomplete
    after the complete ones, each group by its key)."""
    incomplete = {row["reference"] for row in allocation.order if row.get("incomplete")}
    return sorted(
        (row["reference"] for row in allocation.order),
        key=lambda ref: (ref in incomplete, lottery_key(allocation.seed, ref)),
    )


def last_allocation(opening: Opening) -> Allocation | None:
    return opening.allocations.order_by("-run_at", "-id").first()


__all__ = ["allocate", "last_allocation", "lottery_key", "lottery_order", "plan", "recompute"]
