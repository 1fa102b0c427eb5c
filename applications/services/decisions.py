"""Decisions with four eyes: proposed by one reviewer, approved or returned by another.

A grant, a rejection, a settlement, a revocation and a tranche decision are each
a ``Decision`` that waits for a second reviewer. Approving one takes its effect
(money, dates); the letter follows from the audit event after the commit.
Objections against a decision are lodged and decided here too (Awb 6:7, 7:10).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from schemes.formatting import euro

from .. import audit, checks, clocks, workflow
from ..errors import Conflict, Invalid
from ..models import Application, Decision, Objection, Payment, Tranche
from ..reasons import NOT_A_REJECTION, REASON_CODES, SETTLEMENT_GROUNDS, revocation_grounds
from ..states import State
from . import hearing, inputs, money, terms, tranches
from .actions import Context, handles


def decided(app: Application, ctx: Context) -> None:
    """A decision was sent today: the six weeks to object start tomorrow (Awb 6:7, 6:8); a penalty stops (4:17)."""
    app.decided_at = ctx.now
    app.objection_due = clocks.objection_due(ctx.today)
    terms.end_penalties(app, ctx)


def propose(
    ctx: Context,
    kind: str,
    *,
    amount: Decimal | None = None,
    reason_code: str = "",
    tranche: Tranche | None = None,
    data: dict | None = None,
) -> Decision:
    note = inputs.text(ctx.data, "note")
    decision = Decision.objects.create(
        application=ctx.application,
        kind=kind,
        amount=amount,
        reason_code=reason_code,
        note=note,
        proposed_by=ctx.user,
        proposed_at=ctx.now,
        tranche=tranche,
        data=audit.jsonable({"from_state": ctx.from_state, **(data or {})}),
    )
    ctx.reason = note
    ctx.event_data = {
        "decision": decision.pk,
        "kind": kind,
        "amount": amount,
        "reason_code": reason_code,
        **(data or {}),
    }
    return decision


def _approved(decision: Decision, ctx: Context) -> None:
    decision.status = Decision.Status.APPROVED
    decision.approved_by = ctx.user
    decision.approved_at = ctx.now
    decision.save()


@handles("propose_grant")
def _propose_grant(ctx: Context) -> None:
    app = ctx.application
    amount = inputs.money(ctx.data, "amount")
    result = checks.check_limits(app, amount=amount, on=ctx.today)
    reasons = inputs.text(ctx.data, "hardship", max_length=5000)
    hardship = None
    if reasons:  # the hardship clause: a departure from a rule of the scheme in this one case, with reasons
        departed = [r for r in result.refusals if r.field not in checks.NOT_WAIVABLE]
        if not departed:
            message = _("De aanvraag haalt alle regels die u opzij kunt zetten: de hardheidsclausule is niet nodig.")
            raise Invalid(message, {"hardship": [message]})
        hardship = {"rules": sorted({r.field for r in departed}), "departs_from": [r.message for r in departed]}
        hardship["reasons"] = reasons
        checks.waive(result, hardship["rules"])
    checks.refuse_if(result, _("Dit besluit kan zo niet worden voorgesteld."))
    if result.amount <= 0:
        raise Invalid(_("Een verlening moet een bedrag hoger dan € 0 hebben."), {"amount": [_("Hoger dan € 0.")]})
    data = {"steps": result.steps, **({"hardship": hardship} if hardship else {})}
    cap = checks.allocated_less(app)
    if cap is not None and result.amount >= cap:  # held to what the distribution gave: a top-up later changes it
        data["allocated"] = cap
    propose(ctx, Decision.Kind.GRANT, amount=result.amount, data=data)


@handles("propose_rejection")
def _propose_rejection(ctx: Context) -> None:
    code = ctx.data.get("reason_code")
    if code in NOT_A_REJECTION:
        message = _(
            "Een onvolledige aanvraag wijst u niet af: vraag om aanvulling en stel haar buiten behandeling als "
            "de aanvulling niet op tijd komt (artikel 4:5 Awb)."
        )
        raise Invalid(message, {"reason_code": [message]})
    if code not in REASON_CODES:
        raise Invalid(
            _("Kies een geldige reden van afwijzing."),
            {"reason_code": [_("Een van: %(codes)s.") % {"codes": ", ".join(REASON_CODES)}]},
        )
    heard = hearing.hearing_status(ctx.application, "rejection", departs=code in hearing.DEPARTS_FROM_APPLICATION)
    propose(ctx, Decision.Kind.REJECTION, reason_code=code, data={"hearing": heard})


@handles("approve_decision")
def _approve_decision(ctx: Context) -> None:
    app = ctx.application
    decision = app.pending_decision()
    if decision.kind == Decision.Kind.SETTLEMENT:
        raise Conflict(_("Een vaststelling keurt u goed met 'approve_settlement'."))
    if decision.kind == Decision.Kind.GRANT:
        money.grant(app, decision, ctx)
        decided(app, ctx)
    elif decision.kind == Decision.Kind.REJECTION:
        money.release_reservation(app, ctx, "afgewezen")
        money.undo_grant(app, ctx, "afgewezen na bezwaar")  # decided again after an objection: nothing stays booked
        app.rejection_reason = decision.reason_code
        decided(app, ctx)
    elif decision.kind == Decision.Kind.REVOCATION:
        money.revoke(app, ctx, to=decision.amount)
        decided(app, ctx)
    elif decision.kind in tranches.DECISION_KINDS:
        tranches.decide(app, decision, ctx)
        if decision.kind in tranches.OBJECTABLE:  # withheld or reduced: a decision with its letter and six weeks
            app.objection_due = clocks.objection_due(ctx.today)  # (the first decision's moment stays as it was)
    _approved(decision, ctx)
    ctx.event_data = {
        "decision": decision.pk,
        "kind": decision.kind,
        "amount": decision.amount,
        "reason_code": decision.reason_code,
        "proposed_by": decision.proposed_by_id,
    }


@handles("return_decision")
def _return_decision(ctx: Context) -> None:
    decision = ctx.application.pending_decision()
    note = inputs.text(ctx.data, "note", required=True)
    decision.status = Decision.Status.RETURNED
    decision.returned_by = ctx.user
    decision.returned_at = ctx.now
    decision.return_note = note
    decision.save()
    if decision.tranche_id:
        Tranche.objects.filter(pk=decision.tranche_id).update(status=Tranche.Status.DUE)
    ctx.reason = note
    ctx.event_data = {"decision": decision.pk, "kind": decision.kind}


@handles("propose_settlement")
def _propose_settlement(ctx: Context) -> None:
    app = ctx.application
    ex_officio = ctx.from_state == State.GRANTED
    computed = money.settlement_amount(app, state=ctx.from_state)
    amount = inputs.money(ctx.data, "amount")
    if amount is None:
        amount = computed
    granted = app.amount_granted or Decimal("0.00")
    if amount > granted:
        raise Invalid(
            _("De vaststelling (%(amount)s) kan niet hoger zijn dan de verlening (%(granted)s).")
            % {"amount": euro(amount), "granted": euro(granted)},
            {"amount": [_("Ten hoogste de verlening.")]},
        )
    ground = ctx.data.get("ground") or ""
    if amount < granted:  # a lower settlement rests on a ground of 4:46 lid 2; computed lower: not all was done (a)
        ground = ground or "4:46-a"
        if ground not in SETTLEMENT_GROUNDS:
            message = _("Kies de grond van de lagere vaststelling: %(grounds)s (artikel 4:46 Awb).") % {
                "grounds": ", ".join(SETTLEMENT_GROUNDS)
            }
            raise Invalid(message, {"ground": [message]})
    else:
        ground = ""
    propose(
        ctx,
        Decision.Kind.SETTLEMENT,
        amount=amount,
        reason_code=ground,
        data={
            "computed": computed,
            "ex_officio": ex_officio,
            "ground": ground,
            # lower than what the recipient's own report gives: a departure the recipient may answer first (4:7)
            "hearing": hearing.hearing_status(app, "lower_settlement", departs=amount < computed),
        },
    )


@handles("approve_settlement")
def _approve_settlement(ctx: Context) -> None:
    app = ctx.application
    decision = app.pending_decision()
    if decision.kind != Decision.Kind.SETTLEMENT:
        raise Conflict(_("Het voorgestelde besluit is geen vaststelling."))
    difference = money.settle(app, decision.amount, ctx)
    decided(app, ctx)
    _approved(decision, ctx)
    ctx.event_data = {
        "decision": decision.pk,
        "amount": decision.amount,
        "difference": difference,
        "proposed_by": decision.proposed_by_id,
    }


@handles("revoke")
def _revoke(ctx: Context) -> None:
    """Revoke wholly, or change to a lower amount (partly), on a coded ground: 4:48 before the settlement, 4:49 after."""
    app = ctx.application
    settled = ctx.from_state == State.SETTLED
    grounds = revocation_grounds(settled)
    ground = ctx.data.get("ground")
    if ground not in grounds:
        message = _("Kies de grond van de intrekking: %(grounds)s (artikel %(article)s Awb).") % {
            "grounds": ", ".join(grounds),
            "article": "4:49" if settled else "4:48",
        }
        raise Invalid(message, {"ground": [message]})
    reason = inputs.text(ctx.data, "reason", required=True)
    current = (app.amount_settled if settled else app.amount_granted) or Decimal("0.00")
    amount = inputs.money(ctx.data, "amount")
    if amount is not None and not Decimal("0.00") < amount < current:
        message = _("Een wijziging verlaagt het bedrag: meer dan € 0 en minder dan %(current)s.") % {
            "current": euro(current)
        }
        raise Invalid(message, {"amount": [message]})
    decision = propose(
        ctx,
        Decision.Kind.REVOCATION,
        amount=amount,
        reason_code=ground,
        data={"ground": ground, "from": current, "hearing": hearing.hearing_status(app, "revocation")},
    )
    ctx.reason = reason
    Decision.objects.filter(pk=decision.pk).update(note=reason)


@handles("propose_tranche")
def _propose_tranche(ctx: Context) -> None:
    app = ctx.application
    number = ctx.data.get("tranche")
    if isinstance(number, bool) or not (isinstance(number, int) or (isinstance(number, str) and number.isdigit())):
        # an object or a list was a 500
        raise Invalid(_("Geef het nummer van de tranche."), {"tranche": [_("Een getal.")]})
    tranche = app.tranches.filter(number=number, gated=True, status__in=["planned", "due"]).first()
    if tranche is None:
        raise Invalid(
            _("Geef het nummer van een voorwaardelijke tranche die beoordeeld moet worden."),
            {"tranche": [_("Onbekende of al beoordeelde tranche.")]},
        )
    release = ctx.data.get("release")
    if not isinstance(release, bool):
        raise Invalid(
            _("Geef aan of de tranche wordt vrijgegeven (release: true) of ingehouden (release: false)."),
            {"release": [_("true of false.")]},
        )
    kpi_values = tranches.kpi_values(app, ctx.data.get("kpi_values"))
    reduced = inputs.money(ctx.data, "amount")
    data = {"kpi_values": kpi_values, "tranche": tranche.number}
    if reduced is None:
        kind = Decision.Kind.TRANCHE_RELEASE if release else Decision.Kind.TRANCHE_WITHHOLD
        amount = tranche.amount
    else:  # released at a lower amount: the rest is withheld, by a decision with reasons (its letter says them)
        tranches.check_reduction(tranche, reduced, release=release)
        if not inputs.text(ctx.data, "note"):
            message = _("Geef de redenen van de verlaging in de toelichting: zij staan in de brief.")
            raise Invalid(message, {"note": [message]})
        kind, amount = Decision.Kind.TRANCHE_REDUCE, reduced
        data.update({"from": tranche.amount, "withheld": tranche.amount - reduced})
    propose(ctx, kind, amount=amount, tranche=tranche, data=data)
    tranche.status = Tranche.Status.DUE
    tranche.save()


@handles("close")
def _close(ctx: Context) -> None:
    ctx.application.closed_at = ctx.now


@handles("lodge_objection")
def _lodge_objection(ctx: Context) -> None:
    app = ctx.application
    reason = inputs.text(ctx.data, "reason", required=True)
    contested = app.decisions.filter(status=Decision.Status.APPROVED).order_by("-approved_at", "-id").first()
    objection = Objection.objects.create(
        application=app,
        against_state=ctx.from_state,
        decision=contested,
        reason=reason,
        lodged_by=ctx.user,
        lodged_on=ctx.today,
        decide_by=clocks.objection_decision_due(app.objection_due or ctx.today),
    )
    ctx.reason = reason
    ctx.event_data = {"objection": objection.pk, "decide_by": objection.decide_by}


OUTCOMES = {
    workflow.UPHELD: Objection.Outcome.UPHELD,
    workflow.PARTLY_UPHELD: Objection.Outcome.PARTLY_UPHELD,
    workflow.UNFOUNDED: Objection.Outcome.DISMISSED,
    workflow.INADMISSIBLE: Objection.Outcome.INADMISSIBLE,
}


@handles("propose_objection_decision")
def _propose_objection_decision(ctx: Context) -> None:
    """The first of four eyes on an objection: an uninvolved reviewer proposes the outcome, amount and reasons."""
    app = ctx.application
    outcome = workflow.objection_outcome(ctx.data)
    if outcome is None:
        message = _("Kies de beslissing op het bezwaar: gegrond, deels gegrond, ongegrond of niet-ontvankelijk.")
        raise Invalid(
            message, {"outcome": [_("Een van: %(keys)s.") % {"keys": ", ".join(workflow.OBJECTION_OUTCOMES)}]}
        )
    note = inputs.text(ctx.data, "note", required=True)
    amount = inputs.money(ctx.data, "amount")
    objection = app.objections.get(outcome=Objection.Outcome.PENDING)
    contested = objection.decision
    if outcome in (workflow.UPHELD, workflow.PARTLY_UPHELD):  # refused now, not when the second reviewer approves
        if contested is not None and contested.kind in tranches.OBJECTABLE:
            tranches.check_release_on_objection(contested, amount if outcome == workflow.PARTLY_UPHELD else None)
        elif ctx.from_state == State.SETTLED and (contested is None or contested.kind != Decision.Kind.REVOCATION):
            _check_settle_again(app, amount)
    objection.proposed_outcome = outcome
    objection.proposed_amount = amount
    objection.proposed_note = note
    objection.proposed_by = ctx.user
    objection.proposed_at = ctx.now
    objection.save(update_fields=["proposed_outcome", "proposed_amount", "proposed_note", "proposed_by", "proposed_at"])
    ctx.reason = note
    ctx.event_data = {"objection": objection.pk, "outcome": outcome, "amount": amount}


@handles("decide_objection")
def _decide_objection(ctx: Context) -> None:
    """The second reviewer approves the proposed decision on the objection, and its outcome takes effect (Awb 7:11):
    a revocation undone, a rejection or grant decided again, a settlement fixed anew with its balance; unfounded
    and inadmissible leave the decision as it is."""
    app = ctx.application
    objection = app.objections.get(outcome=Objection.Outcome.PENDING)
    outcome = objection.proposed_outcome
    note = objection.proposed_note
    amount = objection.proposed_amount
    upheld = outcome in (workflow.UPHELD, workflow.PARTLY_UPHELD)
    objection.outcome = OUTCOMES[outcome]
    objection.decided_by = ctx.user
    objection.decided_at = ctx.now
    objection.note = note
    objection.save()
    effect: dict = {}
    contested = objection.decision
    if upheld and contested is not None and contested.kind in tranches.OBJECTABLE:
        effect = tranches.release_on_objection(
            app, contested, ctx, amount=amount if outcome == "partly_upheld" else None
        )
    elif upheld and contested is not None and contested.kind == Decision.Kind.REVOCATION:
        effect = money.undo_revocation(app, ctx, contested)
    elif upheld and ctx.from_state == State.SETTLED:
        effect = _settle_again(app, amount, ctx)
    if app.state == State.IN_REVIEW:  # decided again: the old decision no longer stands
        app.objection_due = None
        app.rejection_reason = ""
    ctx.reason = note
    ctx.event_data = {
        "objection": objection.pk,
        "outcome": outcome,
        "upheld": upheld,
        "reopened": app.state == State.IN_REVIEW,
        "restored": app.state if ctx.from_state == State.REVOKED and upheld else "",
        "proposed_by": objection.proposed_by_id,
        **effect,
    }


def _check_settle_again(app: Application, amount: Decimal | None) -> None:
    granted = app.amount_granted or Decimal("0.00")
    if amount is None or amount <= (app.amount_settled or Decimal("0.00")) or amount > granted:
        message = _(
            "Geef het nieuwe vastgestelde bedrag: hoger dan %(settled)s en ten hoogste de verlening (%(granted)s)."
        ) % {
            "settled": euro(app.amount_settled or 0),
            "granted": euro(granted),
        }
        raise Invalid(message, {"amount": [message]})


def _settle_again(app: Application, amount: Decimal | None, ctx: Context) -> dict:
    """An objection against a (lower) settlement upheld: a new settlement, and a new balance to pay or recover."""
    _check_settle_again(app, amount)
    previous = app.amount_settled
    app.payments.filter(status=Payment.Status.DUE, kind__in=[Payment.Kind.FINAL, Payment.Kind.RECOVERY]).delete()
    difference = money.settle(app, amount, ctx)
    return {"previous_amount": previous, "amount": amount, "difference": difference}


# --- handling an objection as the law wants it (Awb 6:9, 7:2, 7:3, 7:10) ---------------------------------------


@handles("register_objection")
def _register_objection(ctx: Context) -> None:
    """An objection received on paper: its date of receipt and postmark decide whether it was in time (6:9)."""
    app = ctx.application
    received_on = inputs.date(ctx.data, "received_on", required=True)
    postmarked_on = inputs.date(ctx.data, "postmarked_on")
    if received_on > ctx.today or (postmarked_on is not None and postmarked_on > received_on):
        message = _("De ontvangst ligt niet in de toekomst en het poststempel niet na de ontvangst.")
        raise Invalid(message, {"received_on": [message]})
    reason = inputs.text(ctx.data, "reason", required=True)
    timely = clocks.objection_timely(app.objection_due, received_on, postmarked_on)
    contested = app.decisions.filter(status=Decision.Status.APPROVED).order_by("-approved_at", "-id").first()
    objection = Objection.objects.create(
        application=app,
        against_state=ctx.from_state,
        decision=contested,
        reason=reason,
        lodged_by=ctx.user,
        lodged_on=received_on,
        decide_by=clocks.objection_decision_due(app.objection_due),
        on_paper=True,
        postmarked_on=postmarked_on,
        timely=timely,
    )
    ctx.reason = reason
    ctx.event_data = {
        "objection": objection.pk,
        "received_on": received_on,
        "postmarked_on": postmarked_on,
        "timely": timely,
        "decide_by": objection.decide_by,
    }


@handles("record_objection_hearing")
def _record_objection_hearing(ctx: Context) -> None:
    """The objector was heard (7:2), or hearing was waived with its reason (7:3)."""
    objection = ctx.application.objections.get(outcome=Objection.Outcome.PENDING)
    held_on = inputs.date(ctx.data, "held_on")
    waived = inputs.text(ctx.data, "waived", max_length=5000)
    if (held_on is None) == (not waived):
        message = _("Geef de datum van de hoorzitting, of waarom van horen is afgezien (Awb 7:3) — één van beide.")
        raise Invalid(message, {"held_on": [message]})
    if held_on is not None and held_on > ctx.today:
        message = _("Een hoorzitting legt u vast nadat zij is gehouden.")
        raise Invalid(message, {"held_on": [message]})
    objection.hearing_on = held_on
    objection.hearing_waived = waived
    objection.save(update_fields=["hearing_on", "hearing_waived"])
    ctx.reason = waived
    ctx.event_data = {"objection": objection.pk, "held_on": held_on, "waived": bool(waived)}


EXTENSIONS = ("committee", "postpone")


@handles("extend_objection_term")
def _extend_objection_term(ctx: Context) -> None:
    """An advisory committee makes the term twelve weeks (7:10 lid 1); or the decision is postponed six weeks (lid 3)."""
    app = ctx.application
    objection = app.objections.get(outcome=Objection.Outcome.PENDING)
    extension = ctx.data.get("extension")
    if extension not in EXTENSIONS:
        message = _("Kies 'committee' (adviescommissie, 12 weken) of 'postpone' (verdaging, 6 weken).")
        raise Invalid(message, {"extension": [message]})
    reason = inputs.text(ctx.data, "reason", required=True)
    before = objection.decide_by
    if extension == "committee":
        if objection.advisory_committee:
            raise Invalid(_("Dit bezwaar ligt al bij een adviescommissie."), {"extension": [_("Al gedaan.")]})
        objection.advisory_committee = True
        objection.decide_by = clocks.objection_decision_due(app.objection_due or objection.lodged_on, committee=True)
    else:
        objection.postponed = True
        objection.decide_by = clocks.next_working_day(
            objection.decide_by + datetime.timedelta(weeks=clocks.OBJECTION_POSTPONEMENT_WEEKS)
        )
    objection.save(update_fields=["advisory_committee", "postponed", "decide_by"])
    ctx.reason = reason
    ctx.event_data = {
        "objection": objection.pk,
        "extension": extension,
        "old_due": before,
        "new_due": objection.decide_by,
    }
