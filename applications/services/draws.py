"""Runs of a distribution that hold up in court: the seed fixed before the draw, four eyes on every run by staff,
previews on record, and a first come, first served day drawn by itself when it ends (Awb 4:25-4:27).

- A lottery, a tender or a pro rata division runs after the window has closed, once: one case worker of the
  scheme proposes it (a tender with the committee's advice), another approves it; only the approval reserves the
  money, and only if the outcome is still the one proposed. The seed is the system's (``seeds``), the same for a
  preview, the proposal and the approval; it is shown with the result.
- First come, first served: the applications complete on the day the ceiling is crossed are ranked by lottery when
  that day has ended, by the daily clocks, without anyone pressing a button; their places in the queue follow the
  draw, so money that comes free later goes to them in that order.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schemes import budget
from schemes.formatting import datum_tijd
from schemes.models import Opening

from .. import clocks
from ..errors import Conflict, Forbidden, Invalid
from ..models import Allocation, LotterySeed, User
from ..roles import REVIEWING_ROLES, Role
from . import allocation, inputs, queue, seeds

Status = Allocation.Status


def allowed(opening: Opening, user: User | None) -> bool:
    """Who prepares, approves and reads a run: case workers of the scheme who assess — not finance staff, who pay
    what the run decides (separation of duties). The screen and the API ask this too."""
    return user is not None and user.role in REVIEWING_ROLES and user.handles_scheme(opening.scheme_id)


def refusal(user: User | None) -> str:
    """What a refused user reads: finance staff are told why (separation of duties)."""
    if user is not None and user.role == Role.FINANCE:
        return _("Een verdeling voert een behandelaar uit, niet een financieel medewerker (functiescheiding).")
    return _("Alleen behandelaars van deze regeling kunnen de verdeling voorbereiden en goedkeuren.")


def _staff_of(opening: Opening, user: User) -> None:
    if not allowed(opening, user):
        raise Forbidden(refusal(user))


def _may_run(opening: Opening, now: datetime.datetime) -> None:
    if opening.distribution == "fcfs":
        raise Conflict(
            _(
                "Bij 'wie het eerst komt, het eerst maalt' verdeelt de wachtrij het budget. Op de dag dat het plafond "
                "wordt bereikt, loot het systeem zelf onder de aanvragen van die dag, als die dag voorbij is."
            )
        )
    if opening.status_at(now) != Opening.Status.CLOSED:
        raise Conflict(_("Loting, tender en evenredige verdeling gebeuren pas na het sluiten van de openstelling."))
    done = allocation.last_approved(opening)
    if done is not None:
        raise Conflict(
            _("De verdeling van deze openstelling is al uitgevoerd (%(at)s); zij wordt niet opnieuw gedaan.")
            % {"at": datum_tijd(done.approved_at)}
        )


def _all_scored(opening: Opening, apps=None) -> None:
    """A tender ranked by the committee's consensus runs only when every candidate has its consensus score."""
    missing = allocation.unscored(opening, apps)
    if missing:
        raise Conflict(
            _(
                "De commissie rangschikt op haar consensusscore; die ontbreekt nog bij %(count)s aanvraag/aanvragen: "
                "%(refs)s. Leg de consensusscore vast op het tabblad Beoordeling van de aanvraag."
            )
            % {"count": len(missing), "refs": ", ".join(a.reference for a in missing)}
        )


def _record(opening: Opening, seed: LotterySeed, rows: list[dict], **fields) -> Allocation:
    return Allocation.objects.create(
        opening=opening,
        method=opening.distribution,
        lottery_seed=seed,
        seed=seed.seed,
        order=rows,
        summary=allocation.summary_of(opening, rows),
        **fields,
    )


@transaction.atomic
def preview(*, opening: Opening, user: User) -> Allocation:
    """The outcome as it would be now, recorded (who looked, when, what it showed); nothing is reserved."""
    _staff_of(opening, user)
    now = timezone.now()
    _may_run(opening, now)
    _all_scored(opening)
    seed = seeds.commit(opening, at=now)
    rows = allocation.plan(opening, seed.seed)
    return _record(opening, seed, rows, status=Status.PREVIEW, run_by=user, run_at=now)


@transaction.atomic
def propose(*, opening: Opening, user: User, data: dict | None = None) -> Allocation:
    """One case worker proposes the run; a tender's proposal carries the committee's advice."""
    data = data or {}
    _staff_of(opening, user)
    now = timezone.now()
    locked = budget.lock_opening(opening.pk)
    _may_run(locked, now)
    pending = locked.allocations.filter(status=Status.PROPOSED).first()
    if pending is not None:
        raise Conflict(
            _("Er ligt al een voorstel voor deze verdeling (%(at)s). Keur het goed of stuur het terug.")
            % {"at": datum_tijd(pending.run_at)}
        )
    advice = inputs.text(data, "advice", max_length=10000)
    if locked.distribution == "tender" and not advice:
        message = _("Leg het advies van de commissie vast: het hoort bij de rangschikking van een tender.")
        raise Invalid(message, {"advice": [message]})
    note = inputs.text(data, "note", max_length=5000)
    _all_scored(locked)
    seed = seeds.commit(locked, at=now)
    rows = allocation.plan(locked, seed.seed)
    return _record(locked, seed, rows, status=Status.PROPOSED, run_by=user, run_at=now, advice=advice, note=note)


def _pending(allocation_id: int) -> Allocation:
    row = Allocation.objects.select_for_update().filter(pk=allocation_id).first()
    if row is None:
        raise Conflict(_("Dit voorstel bestaat niet."))
    if row.status != Status.PROPOSED:
        raise Conflict(_("Dit voorstel is al afgehandeld (%(status)s).") % {"status": row.get_status_display()})
    return row


@transaction.atomic
def approve(*, proposal: Allocation, user: User) -> Allocation:
    """A second case worker approves: the run is carried out, once, if its outcome is still the one proposed."""
    _staff_of(proposal.opening, user)
    locked = budget.lock_opening(proposal.opening_id)
    proposal = _pending(proposal.pk)
    if proposal.run_by_id == user.pk:
        raise Forbidden(
            _(
                "Vier ogen: u heeft deze verdeling zelf voorgesteld; een andere behandelaar van de regeling keurt haar goed."
            )
        )
    now = timezone.now()
    _may_run(locked, now)
    apps = allocation.candidates_locked(locked)
    _all_scored(locked, apps)
    rows = allocation.plan(locked, proposal.seed, apps)
    if allocation.outcome_of(rows) != allocation.outcome_of(proposal.order):
        raise Conflict(
            _(
                "Sinds het voorstel zijn de aanvragen of het budget veranderd: de uitkomst is niet meer dezelfde. "
                "Stuur het voorstel terug en laat de verdeling opnieuw voorstellen."
            )
        )
    allocation.execute(locked, apps, rows, seed=proposal.seed, user=user, now=now)
    proposal.status = Status.APPROVED
    proposal.approved_by = user
    proposal.approved_at = now
    proposal.order = rows
    proposal.summary = allocation.summary_of(locked, rows)
    proposal.save(update_fields=["status", "approved_by", "approved_at", "order", "summary"])
    LotterySeed.objects.filter(pk=proposal.lottery_seed_id, revealed_at__isnull=True).update(revealed_at=now)
    return proposal


@transaction.atomic
def return_proposal(*, proposal: Allocation, user: User, data: dict | None = None) -> Allocation:
    """The proposal goes back, with the reason; the proposer may withdraw it, another may refuse it."""
    _staff_of(proposal.opening, user)
    budget.lock_opening(proposal.opening_id)
    proposal = _pending(proposal.pk)
    note = inputs.text(data or {}, "note", max_length=5000)
    proposal.status = Status.RETURNED
    proposal.approved_by = user
    proposal.approved_at = timezone.now()
    proposal.note = "\n".join(filter(None, [proposal.note, note]))
    proposal.save(update_fields=["status", "approved_by", "approved_at", "note"])
    return proposal


def draw_ended_days(today: datetime.date | None = None) -> list[Allocation]:
    """First come, first served: every day on which the ceiling was crossed and that has ended is drawn, once."""
    today = today or clocks.local_date()
    due = LotterySeed.objects.filter(opening__distribution="fcfs", day__lt=today, revealed_at__isnull=True)
    return [drawn for seed in due.order_by("day", "id") if (drawn := _draw_day(seed)) is not None]


@transaction.atomic
def _draw_day(seed: LotterySeed) -> Allocation | None:
    locked = budget.lock_opening(seed.opening_id)
    if allocation.last_approved(locked, day=seed.day) is not None:
        return None
    now = timezone.now()
    apps = allocation.candidates_locked(locked)
    rows = allocation.plan(locked, seed.seed, apps, day=seed.day)
    allocation.execute(locked, apps, rows, seed=seed.seed, user=None, now=now)
    by_ref = {app.reference: app for app in apps}
    drawn = [
        by_ref[row["reference"]] for row in rows if clocks.local_date(by_ref[row["reference"]].complete_at) == seed.day
    ]
    queue.reorder(locked, drawn)
    LotterySeed.objects.filter(pk=seed.pk).update(revealed_at=now)
    return _record(locked, seed, rows, status=Status.APPROVED, day=seed.day, run_by=None, run_at=now, approved_at=now)


__all__ = ["allowed", "approve", "draw_ended_days", "preview", "propose", "refusal", "return_proposal"]
