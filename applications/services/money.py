"""The money of an application: commitment at the grant, advances, payments, settlement, recovery.

Every amount moves through ``schemes.budget`` under the opening's row lock, so
what is reserved and committed never exceeds the ceiling; payments and
recoveries are ``Payment`` rows due six weeks after the decision (Awb 4:87).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from schemes import budget

from .. import audit, checks, clocks, workflow
from .. import permissions as perms
from ..errors import Conflict, Forbidden, Invalid
from ..models import Application, DeMinimisAid, Payment, Tranche, Unit, User
from ..states import State
from . import inputs, queue, tranches
from .actions import Context, handles


def release_reservation(app: Application, ctx: Context, note: str) -> None:
    """What was reserved for an application that will not be granted goes back to the ceiling."""
    if app.amount_reserved:
        opening = budget.lock_opening(app.opening_id)
        budget.set_reservation(opening, app, Decimal("0.00"), note=note, at=ctx.now)
        queue.move_up(opening, at=ctx.now, besides=app)  # while open, the next in line; after the close: vrijval


def _book_advance(app: Application, amount: Decimal, ctx: Context) -> None:
    """The advance of a grant of ``amount`` (the scheme's ``advance_pct``), due six weeks on; one per application."""
    rules = app.opening.published_rules
    if rules.advance_pct and not app.payments.filter(kind=Payment.Kind.ADVANCE).exists():
        advance = (amount * rules.advance_pct / Decimal(100)).quantize(Decimal("0.01"))
        if advance > 0:
            Payment.objects.create(
                application=app,
                kind=Payment.Kind.ADVANCE,
                amount=advance,
                due_date=clocks.payment_due(ctx.today),
                created_at=ctx.now,
            )


def grant(app: Application, decision, ctx: Context) -> None:
    """The grant's money: committed against the ceiling, the advance due, the tranches planned, de-minimis kept."""
    result = checks.check_limits(app, amount=decision.amount, on=ctx.today)
    hardship = (decision.data or {}).get("hardship")
    if hardship:  # approved under four eyes: the departure the proposal names, and no other
        checks.waive(result, hardship.get("rules", []))
    checks.refuse_if(result, _("De verlening kan zo niet worden goedgekeurd."))
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(opening, app, decision.amount, note="verlening", at=ctx.now)
    app.amount_granted = decision.amount
    app.over_ceiling = False
    end = app.project_end()
    if end:
        app.settlement_due = clocks.settlement_request_due(end)
    _book_advance(app, decision.amount, ctx)
    rules = app.opening.published_rules
    if rules.shape == "programme" and not app.tranches.exists():
        tranches.plan(app, decision.amount, start=ctx.today)
    if rules.de_minimis:
        DeMinimisAid.objects.create(
            organisation=app.organisation,
            application=app,
            granted_on=ctx.today,
            amount=decision.amount,
            provider=app.opening.scheme.executing_agency,
            declared=False,
        )


def revoke(app: Application, ctx: Context, *, to: Decimal | None = None) -> None:
    """A revoked grant commits nothing; a changed one (``to``) commits the lower amount; what was paid beyond it is
    recovered (Awb 4:57)."""
    keep = to or Decimal("0.00")
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(opening, app, keep, note="wijziging" if keep else "intrekking", at=ctx.now)
    queue.move_up(opening, at=ctx.now, besides=app)  # what came free: the next in line while open, else vrijval
    app.payments.filter(status=Payment.Status.DUE).exclude(kind=Payment.Kind.RECOVERY).delete()
    outstanding = app.amount_paid - app.amount_recovered - keep
    if outstanding > 0:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.RECOVERY,
            amount=outstanding,
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    if to is None:
        app.amount_settled = Decimal("0.00")
    elif app.settled_at is not None:
        app.amount_settled = keep
    else:
        app.amount_granted = keep


def undo_revocation(app: Application, ctx: Context, revocation=None) -> dict:
    """An upheld objection against a revocation (or a change to a lower amount): the grant or settlement stands again
    at the amount before it, and the recovery is cancelled."""
    cancelled = app.payments.filter(status=Payment.Status.DUE, kind=Payment.Kind.RECOVERY)
    cancelled_amount = sum((p.amount for p in cancelled), Decimal("0.00"))
    cancelled.delete()
    before = (revocation.data or {}).get("from") if revocation is not None else None
    restored = Decimal(str(before)) if before not in (None, "") else app.amount_granted or Decimal("0.00")
    if app.settled_at is not None:
        if before in (None, ""):
            previous = (
                app.decisions.filter(kind="settlement", status="approved").order_by("-approved_at", "-id").first()
            )
            restored = previous.amount if previous is not None else restored
        app.amount_settled = restored
    else:
        app.amount_granted = restored
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(opening, app, restored, note="bezwaar gegrond: intrekking herroepen", at=ctx.now)
    if app.settled_at is None:
        _book_advance(app, restored, ctx)  # the intrekking dropped it
    return {"recovery_cancelled": cancelled_amount, "committed": restored}


def undo_grant(app: Application, ctx: Context, note: str) -> None:
    """A grant taken back and not given again (an objection upheld, then rejected or not considered): nothing stays
    committed, no advance stays due, and what was paid is recovered."""
    if app.amount_committed:
        opening = budget.lock_opening(app.opening_id)
        budget.set_commitment(opening, app, Decimal("0.00"), note=note, at=ctx.now)
    app.payments.filter(status=Payment.Status.DUE).exclude(kind=Payment.Kind.RECOVERY).delete()
    app.tranches.filter(status__in=[Tranche.Status.PLANNED, Tranche.Status.DUE]).update(status=Tranche.Status.WITHHELD)
    outstanding = app.amount_paid - app.amount_recovered
    already = sum(
        (p.amount for p in app.payments.filter(status=Payment.Status.DUE, kind=Payment.Kind.RECOVERY)), Decimal("0.00")
    )
    if outstanding - already > 0:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.RECOVERY,
            amount=outstanding - already,
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    DeMinimisAid.objects.filter(application=app, declared=False).delete()
    app.amount_granted = None
    app.settlement_due = None


def settlement_amount(app: Application, *, state: str | None = None) -> Decimal:
    """What the rules give for what was realised, never more than was granted (4:46).

    ``state``: the state the application is judged in (the one before the action that asks).
    """
    granted = app.amount_granted or Decimal("0.00")
    if app.opening.published_rules.shape == "programme":
        released = app.tranches.filter(status=Tranche.Status.RELEASED).aggregate(  # less what a reduction withheld
            s=Sum(F("amount") - F("withheld_amount"))
        )["s"]
        return min(granted, released or Decimal("0.00")) if app.tranches.exists() else granted
    if (state or app.state) == State.GRANTED and app.settlement_requested_at is None:
        return granted  # ex officio, nothing reported: as granted
    result = checks.compute_amount(app, completed_only=True)
    if not result.ok:
        return Decimal("0.00")
    return min(granted, result.amount)


def settle(app: Application, amount: Decimal, ctx: Context) -> Decimal:
    """Fix the final amount: the commitment becomes it, and the difference with what was paid is paid or recovered."""
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(opening, app, amount, note="vaststelling", at=ctx.now)
    queue.move_up(opening, at=ctx.now, besides=app)  # a lower vaststelling frees money: the next in line, or vrijval
    budget.book_settlement(opening, app, amount, note="vastgesteld", at=ctx.now)
    app.amount_settled = amount
    app.settled_at = ctx.now
    app.payments.filter(status=Payment.Status.DUE, kind__in=[Payment.Kind.ADVANCE, Payment.Kind.TRANCHE]).delete()
    difference = amount - (app.amount_paid - app.amount_recovered)
    if difference:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.FINAL if difference > 0 else Payment.Kind.RECOVERY,
            amount=abs(difference),
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    return difference


def mark_paid(app: Application, payment: Payment, ctx: Context) -> None:
    opening = budget.lock_opening(app.opening_id)
    if payment.kind == Payment.Kind.RECOVERY:
        budget.book_recovery(opening, app, payment.amount, note="terugvordering ontvangen", at=ctx.now)
    else:
        budget.book_payment(opening, app, payment.amount, note=payment.get_kind_display(), at=ctx.now)
    payment.status = Payment.Status.PAID
    payment.paid_at = ctx.now
    payment.save()


@handles("pay_advance")
def _pay_advance(ctx: Context) -> None:
    payment = ctx.application.payments.get(kind=Payment.Kind.ADVANCE)
    mark_paid(ctx.application, payment, ctx)
    ctx.event_data = {"payment": payment.pk, "amount": payment.amount}


@handles("request_settlement")
def _request_settlement(ctx: Context) -> None:
    """The recipient reports what was done: per traject completed or not, or the real costs."""
    app = ctx.application
    rules = app.opening.published_rules
    report = inputs.text(ctx.data, "report")
    if rules.shape == "per_unit":
        ctx.event_data = _units_completed(app, ctx.data.get("units_completed"), ctx.data.get("units_started"))
    else:
        app.actual_costs = inputs.money(ctx.data, "actual_costs", required=rules.shape == "share_of_costs")
        ctx.event_data = {"actual_costs": app.actual_costs}
    app.settlement_report = report
    app.settlement_requested_at = ctx.now
    app.settlement_decision_due = clocks.settlement_decision_due(ctx.today, term_weeks=rules.settlement_term_weeks)


def _units_completed(app: Application, done, started=None) -> dict:
    """Each traject completed (with its contract extended, by default) or cancelled.

    ``started`` (optional): the ids of the trajecten that began but were not
    completed (drop-outs); a completed traject began. The reports count the
    trajecten started, completed and settled from this event's data.
    """
    if not isinstance(done, list):
        raise Invalid(
            _("Geef per traject aan of het is afgerond: 'units_completed' is een lijst met id's."),
            {"units_completed": [_("Een lijst met de id's van de afgeronde trajecten.")]},
        )
    ids, extended = set(), set()
    for item in done:
        unit_id = item.get("id") if isinstance(item, dict) else item
        if not isinstance(unit_id, int) or isinstance(unit_id, bool):  # a list or an object was a 500
            raise Invalid(
                _("Elk traject in 'units_completed' is een id (een getal) of een object met een id."),
                {"units_completed": [_("Een lijst met de id's van de afgeronde trajecten.")]},
            )
        if not isinstance(item, dict) or item.get("contract_extended", True):
            extended.add(unit_id)
        ids.add(unit_id)
    known = set(app.units.values_list("id", flat=True))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise Invalid(
            _("Deze trajecten horen niet bij deze aanvraag: %(ids)s.") % {"ids": unknown},
            {"units_completed": [_("Onbekende trajecten.")]},
        )
    dropped_out = _units_started(started, known) - ids
    for unit in app.units.all():
        unit.status = Unit.Status.COMPLETED if unit.id in ids else Unit.Status.CANCELLED
        unit.contract_extended = unit.id in extended and unit.id in ids
        unit.save(update_fields=["status", "contract_extended"])
    return {
        "units_completed": sorted(ids),
        "contract_extended": sorted(extended & ids),
        "units_started": sorted(ids | dropped_out),
    }


def _units_started(started, known: set[int]) -> set[int]:
    """The trajecten that began, as the recipient reports them: a list of ids of this application."""
    if started in (None, ""):
        return set()
    message = _("'units_started' is een lijst met de id's van de trajecten die zijn begonnen.")
    if not isinstance(started, list) or any(not isinstance(i, int) or isinstance(i, bool) for i in started):
        raise Invalid(message, {"units_started": [message]})
    unknown = sorted(set(started) - known)
    if unknown:
        raise Invalid(
            _("Deze trajecten horen niet bij deze aanvraag: %(ids)s.") % {"ids": unknown},
            {"units_started": [_("Onbekende trajecten.")]},
        )
    return set(started)


@transaction.atomic
def record_payment(*, payment: Payment, user: User | None, now: datetime.datetime | None = None) -> Payment:
    """A due payment made, or a recovery received (``now``: a historical moment)."""
    moment = now or timezone.now()
    app = Application.objects.select_for_update().get(pk=payment.application_id)
    if user is not None and not perms.handles_payments(app, user):
        raise Forbidden(_("U mag geen betalingen vastleggen voor deze regeling."))
    if user is not None and not workflow.PAYMENTS(app, user):
        raise Forbidden(workflow.PAYMENTS.refuse(app, user))
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.PAID:
        raise Conflict(_("Deze betaling is al vastgelegd."))
    ctx = Context(application=app, user=user, data={}, now=moment, today=clocks.local_date(moment))
    mark_paid(app, payment, ctx)
    app.save()
    audit.record(
        app,
        user,
        "record_payment",
        data={"payment": payment.pk, "kind": payment.kind, "amount": payment.amount},
        at=moment,
    )
    return payment
