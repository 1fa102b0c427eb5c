"""The money of an application: commitment at the grant, advances, payments, settlement, recovery.

Every amount moves through ``schemes.budget`` under the opening's row lock, so
what is reserved and committed never exceeds the ceiling; payments and
recoveries are ``Payment`` rows due six weeks after the decision (Awb 4:87).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from schemes import budget
from schemes.formatting import euro
from schemes.rules import ACCOUNTANT_ABOVE, ACCOUNTANT_STATEMENT, ACTIVITY_REPORT

from .. import audit, checks, clocks
from ..errors import Conflict, Forbidden, Invalid
from ..models import Application, DeMinimisAid, IbanChange, Organisation, Payment, Tranche, Unit, User
from ..roles import PAYMENT_ROLES
from ..states import State
from . import actions, inputs, queue, tranches
from .actions import Context, handles

# A report of the activities is more than a word: at least a sentence.
MIN_REPORT_CHARS = 20


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
    allocated = (decision.data or {}).get("allocated")
    if allocated is not None and app.amount_reserved > Decimal(allocated):
        # proposed "voor zover" the distribution then reached; money came free since and topped it up (queue.move_up)
        raise Conflict(
            _(
                "Sinds het voorstel kreeg deze aanvraag meer budget: %(now)s in plaats van %(then)s. Stuur het voorstel "
                "terug, zodat de behandelaar de verlening opnieuw voorstelt voor wat nu beschikbaar is."
            )
            % {"now": euro(app.amount_reserved), "then": euro(Decimal(allocated))}
        )
    result = checks.check_limits(app, amount=decision.amount, on=ctx.today)
    hardship = (decision.data or {}).get("hardship")
    if hardship:  # approved under four eyes: the departure the proposal names, and no other
        checks.waive(result, hardship.get("rules", []))
    checks.refuse_if(result, _("De verlening kan zo niet worden goedgekeurd."))
    opening = budget.lock_opening(app.opening_id)
    held = app.amount_reserved
    budget.set_commitment(opening, app, decision.amount, note="verlening", at=ctx.now)
    if decision.amount < held:  # granted less than was reserved: the rest is free for the next in line
        queue.move_up(opening, at=ctx.now, besides=app)
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
    outstanding = app.amount_paid - app.amount_recovered + in_flight(app) - keep  # a recorded payment will be paid
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
    outstanding = app.amount_paid - app.amount_recovered + in_flight(app)  # a recorded payment will be paid
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


def fixed_as_granted(app: Application) -> bool:
    """The scheme fixes a small grant ex officio, as granted, without a report (``ex_officio_below``; sample checks
    follow). Every other ex officio settlement follows what is known (``settlement_amount``)."""
    rules = app.opening.published_rules
    granted = app.amount_granted
    return rules.ex_officio_below is not None and granted is not None and granted < rules.ex_officio_below


def settlement_amount(app: Application, *, state: str | None = None) -> Decimal:
    """What the rules give for what was realised, never more than was granted (4:46).

    ``state``: the state the application is judged in (the one before the action that asks). Ex officio, after a
    missed settlement request and its reminder (4:44, 4:47): what is known — the trajecten reported completed, the
    costs reported, the tranches released — and so usually lower, or nil; as granted only where the scheme fixes
    small grants so by design (``fixed_as_granted``).
    """
    granted = app.amount_granted or Decimal("0.00")
    if app.opening.published_rules.shape == "programme":
        released = app.tranches.filter(status=Tranche.Status.RELEASED).aggregate(  # less what a reduction withheld
            s=Sum(F("amount") - F("withheld_amount"))
        )["s"]
        return min(granted, released or Decimal("0.00")) if app.tranches.exists() else granted
    if (state or app.state) == State.GRANTED and app.settlement_requested_at is None:
        if fixed_as_granted(app):
            return granted  # small, by the scheme's design: as granted, with sample checks
        if app.opening.published_rules.shape == "share_of_costs" and app.actual_costs is None:
            return Decimal("0.00")  # no costs accounted for: nothing is known to have been spent
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
    difference = amount - (app.amount_paid - app.amount_recovered) - in_flight(app)
    if difference:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.FINAL if difference > 0 else Payment.Kind.RECOVERY,
            amount=abs(difference),
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    return difference


def in_flight(app: Application) -> Decimal:
    """Recorded and not yet confirmed: paid out (less recovered) once a second person confirms it."""
    total = Decimal("0.00")
    for payment in app.payments.filter(status=Payment.Status.RECORDED):
        total += -payment.amount if payment.kind == Payment.Kind.RECOVERY else payment.amount
    return total


def pending_iban_change(organisation: Organisation) -> IbanChange | None:
    """A change of the bank account not yet approved by a second person: the organisation's payments wait for it."""
    return organisation.iban_changes.filter(approved_at__isnull=True).order_by("requested_at", "id").first()


def held_payments(organisation: Organisation | None = None):
    """Payments due to an organisation whose changed bank account waits for approval (recoveries are not held)."""
    pending = IbanChange.objects.filter(organisation=OuterRef("application__organisation"), approved_at__isnull=True)
    held = Payment.objects.filter(Exists(pending), status=Payment.Status.DUE).exclude(kind=Payment.Kind.RECOVERY)
    if organisation is not None:
        held = held.filter(application__organisation=organisation)
    return held.select_related("application", "application__organisation").order_by("due_date", "id")


def record(app: Application, payment: Payment, ctx: Context) -> None:
    """The first of four eyes: finance staff record a payment made (or a recovery received), to the account on
    record; it counts as paid once a second person confirms it (``confirm``)."""
    if payment.status != Payment.Status.DUE:
        raise Conflict(_("Deze betaling is al vastgelegd."))
    organisation = app.organisation
    if payment.kind != Payment.Kind.RECOVERY:
        change = pending_iban_change(organisation)
        if change is not None:
            raise Conflict(
                _(
                    "Betaling aangehouden: het rekeningnummer van %(organisation)s is gewijzigd en nog niet "
                    "goedgekeurd door een tweede medewerker. Na de goedkeuring kan de betaling weer."
                )
                % {"organisation": organisation.name}
            )
        if not organisation.iban:
            raise Conflict(
                _("Er is geen rekeningnummer bekend van %(organisation)s.") % {"organisation": organisation.name}
            )
    payment.iban = organisation.iban
    payment.status = Payment.Status.RECORDED
    payment.recorded_by = ctx.user
    payment.recorded_at = ctx.now
    payment.save()
    if ctx.user is None:  # the system's own bookkeeping (no door passes no user): nothing to confirm
        confirm(app, payment, ctx)


def confirm(app: Application, payment: Payment, ctx: Context) -> None:
    """The second pair of eyes: someone other than who recorded it confirms the payment; now it counts as paid."""
    if payment.status != Payment.Status.RECORDED:
        raise Conflict(_("Deze betaling is niet vastgelegd, of al bevestigd."))
    if ctx.user is not None and payment.recorded_by_id == ctx.user.pk:
        raise Forbidden(
            _(
                "Vier ogen: u heeft deze betaling zelf vastgelegd; een andere financieel medewerker bevestigt haar "
                "voordat zij als betaald telt."
            )
        )
    payment.confirmed_by = ctx.user
    mark_paid(app, payment, ctx)
    if payment.kind != Payment.Kind.RECOVERY:
        set_off(app, payment, ctx)


def set_off(app: Application, payment: Payment, ctx: Context) -> Decimal:
    """Set-off (Awb 4:93): a payment to an organisation whose recovery is overdue (its term to pay passed) pays that
    recovery first, oldest first; only the rest goes to its account. Returns the amount set off."""
    left = payment.amount
    owed = Payment.objects.select_for_update().filter(
        application__organisation_id=app.organisation_id,
        kind=Payment.Kind.RECOVERY,
        status=Payment.Status.DUE,
        due_date__lt=ctx.today,
    )
    total = Decimal("0.00")
    for recovery in owed.order_by("due_date", "id"):
        part = min(left, recovery.amount - recovery.set_off)
        if part <= 0:
            continue
        debtor = app if recovery.application_id == app.pk else recovery.application
        opening = budget.lock_opening(debtor.opening_id)
        budget.book_recovery(opening, debtor, part, note="verrekend (Awb 4:93)", at=ctx.now)
        if debtor is not app:
            debtor.save(update_fields=["amount_recovered"])
        recovery.set_off += part
        if recovery.set_off >= recovery.amount:
            recovery.status = Payment.Status.PAID
            recovery.paid_at = ctx.now
        recovery.save()
        left -= part
        total += part
        if left <= 0:
            break
    if total:
        payment.set_off = total
        payment.save(update_fields=["set_off"])
    return total


def mark_paid(app: Application, payment: Payment, ctx: Context) -> None:
    opening = budget.lock_opening(app.opening_id)
    if payment.kind == Payment.Kind.RECOVERY:
        budget.book_recovery(
            opening, app, payment.amount - payment.set_off, note="terugvordering ontvangen", at=ctx.now
        )
    else:
        budget.book_payment(opening, app, payment.amount, note=payment.get_kind_display(), at=ctx.now)
    payment.status = Payment.Status.PAID
    payment.paid_at = ctx.now
    payment.save()


@handles("pay_advance")
def _pay_advance(ctx: Context) -> None:
    """The advance's payment recorded; a second member of the finance staff confirms it (``confirm_payment``)."""
    payment = ctx.application.payments.get(kind=Payment.Kind.ADVANCE)
    record(ctx.application, payment, ctx)
    ctx.event_data = {"payment": payment.pk, "amount": payment.amount, "iban": payment.iban}


def _payment_asked(ctx: Context, status: str) -> Payment:
    number = ctx.data.get("payment")
    payments = ctx.application.payments.select_for_update().filter(status=status)
    if number in (None, ""):
        payment = payments.order_by("recorded_at", "due_date", "id").first()
    elif isinstance(number, int) and not isinstance(number, bool) or (isinstance(number, str) and number.isdigit()):
        payment = payments.filter(pk=int(number)).first()
    else:
        payment = None
    if payment is None:
        message = _("Geef het nummer van een betaling van deze aanvraag die hierop wacht.")
        raise Invalid(message, {"payment": [message]})
    return payment


@handles("record_payment")
def _record_payment(ctx: Context) -> None:
    payment = _payment_asked(ctx, Payment.Status.DUE)
    record(ctx.application, payment, ctx)
    ctx.event_data = {"payment": payment.pk, "kind": payment.kind, "amount": payment.amount, "iban": payment.iban}


@handles("confirm_payment")
def _confirm_payment(ctx: Context) -> None:
    payment = _payment_asked(ctx, Payment.Status.RECORDED)
    confirm(ctx.application, payment, ctx)
    ctx.event_data = {
        "payment": payment.pk,
        "kind": payment.kind,
        "amount": payment.amount,
        "iban": payment.iban,
        "recorded_by": payment.recorded_by_id,
        "set_off": payment.set_off,
    }


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
    _accounted_for(app, rules, report)
    app.settlement_report = report
    app.settlement_requested_at = ctx.now
    app.settlement_decision_due = clocks.settlement_decision_due(ctx.today, term_weeks=rules.settlement_term_weeks)


@handles("report_start")
def _report_start(ctx: Context) -> None:
    """The recipient reports which trajecten began, before the settlement: the reports count them as started.

    The event keeps every traject begun so far (this report and the earlier ones), so the last one says all.
    """
    app = ctx.application
    known = set(app.units.values_list("id", flat=True))
    started = _units_started(ctx.data.get("units_started"), known)
    if not started:
        message = _("Kies de trajecten die zijn begonnen.")
        raise Invalid(message, {"units_started": [message]})
    before = set(app.units.filter(status=Unit.Status.STARTED).values_list("id", flat=True))
    app.units.filter(id__in=started - before).update(status=Unit.Status.STARTED)
    ctx.event_data = {"units_started": sorted(started | before)}


def _accounted_for(app: Application, rules, report: str) -> None:
    """The scheme's tier of accounting (``Rules.accounting_tier``), enforced at the request: a report of the
    activities from the scheme's threshold on, and above the accountant threshold an accountant's statement.
    A per-unit scheme (Omscholing) accounts per traject: completed or not, with its certificate."""
    if rules.shape == "per_unit":
        return
    tier = rules.accounting_tier(app.amount_granted)
    if tier in (ACTIVITY_REPORT, ACCOUNTANT_STATEMENT) and len(report.strip()) < MIN_REPORT_CHARS:
        message = _(
            "Bij een subsidie van %(amount)s hoort bij de aanvraag tot vaststelling een verslag van de activiteiten: "
            "wat is er gedaan en wat heeft het opgeleverd."
        ) % {"amount": euro(app.amount_granted or 0)}
        raise Invalid(message, {"report": [message]})
    if tier == ACCOUNTANT_STATEMENT and not app.documents.filter(kind="accountant").exists():
        message = _(
            "Bij een subsidie van meer dan %(limit)s hoort bij de aanvraag tot vaststelling een accountantsverklaring. "
            "Voeg die verklaring toe (als document van de soort accountantsverklaring) en vraag dan de vaststelling aan."
        ) % {"limit": euro(rules.accountant_above or ACCOUNTANT_ABOVE)}
        raise Invalid(message, {"accountant_statement": [message]})


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


def record_payment(*, payment: Payment, user: User | None, now: datetime.datetime | None = None) -> Payment:
    """A due payment made, or a recovery received, recorded (``now``: a historical moment); it counts as paid once
    another member of the finance staff confirms it (``confirm_payment``)."""
    actions.perform(payment.application, "record_payment", user, {"payment": payment.pk}, now=now)
    return Payment.objects.get(pk=payment.pk)


def confirm_payment(*, payment: Payment, user: User | None, now: datetime.datetime | None = None) -> Payment:
    """The second pair of eyes on a recorded payment: now it counts as paid."""
    actions.perform(payment.application, "confirm_payment", user, {"payment": payment.pk}, now=now)
    return Payment.objects.get(pk=payment.pk)


def concerns_my_schemes(organisation: Organisation, user: User) -> bool:
    """The organisation has an application in a scheme this member of staff works on (an administrator: any)."""
    if user.role == "administrator":
        return True
    return Application.objects.filter(organisation=organisation, opening__scheme__in=user.schemes.all()).exists()


def iban_changes_for(user: User):
    """The changed bank accounts waiting for approval that this member of staff may see: of organisations with an
    application in their schemes (an administrator: all)."""
    changes = IbanChange.objects.filter(approved_at__isnull=True).select_related("organisation", "requested_by")
    if user.role != "administrator":
        mine = Application.objects.filter(opening__scheme__in=user.schemes.all()).values("organisation_id")
        changes = changes.filter(organisation_id__in=mine)
    return changes.order_by("requested_at", "id")


@transaction.atomic
def approve_iban_change(*, change: IbanChange, user: User, now: datetime.datetime | None = None) -> list[Payment]:
    """A second person approves a changed bank account: the held payments are released (returned, to be recorded
    again to the new account)."""
    moment = now or timezone.now()
    change = IbanChange.objects.select_for_update().select_related("organisation").get(pk=change.pk)
    if change.approved_at is not None:
        raise Conflict(_("Deze wijziging van het rekeningnummer is al goedgekeurd."))
    if not (user.is_active and user.role in PAYMENT_ROLES):
        raise Forbidden(_("Een gewijzigd rekeningnummer keurt een financieel medewerker goed."))
    if not concerns_my_schemes(change.organisation, user):
        raise Forbidden(_("Deze organisatie heeft geen aanvraag in uw regelingen."))
    if change.requested_by_id == user.pk:
        raise Forbidden(
            _("Vier ogen: u heeft het rekeningnummer zelf gewijzigd; een andere medewerker keurt de wijziging goed.")
        )
    released = list(held_payments(change.organisation))
    change.approved_by = user
    change.approved_at = moment
    change.save(update_fields=["approved_by", "approved_at"])
    for payment in released:
        audit.record(
            payment.application,
            user,
            "iban_change_approved",
            data={"payment": payment.pk, "iban": change.new_iban, "old_iban": change.old_iban},
            at=moment,
        )
    return released
