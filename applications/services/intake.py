"""From submission to a complete application: submit, withdraw, take into review, supplements, not considered."""

from __future__ import annotations

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from schemes import budget
from schemes.models import Opening

from .. import checks, clocks
from ..errors import Invalid
from ..models import Application, Channel, Decision, Role, SupplementRequest, User
from ..states import State
from . import drafts, inputs, queue
from .actions import Context, handles, perform
from .decisions import decided
from .money import release_reservation, undo_grant
from .terms import count_suspension, decision_due


@handles("submit")
def _submit(ctx: Context) -> None:
    app = ctx.application
    if not app.truthfulness_declared and ctx.data.get("truthfulness_declared"):
        app.truthfulness_declared = True
    if not app.truthfulness_declared:
        raise Invalid(
            _("Verklaar dat u de aanvraag naar waarheid heeft ingevuld."),
            {"truthfulness_declared": [_("Deze verklaring is verplicht.")]},
        )
    # the units are read before the opening's lock (the application's own lock keeps them as they are),
    # so the lock that serialises the whole queue is held only for the checks that need it and the writes
    prefetch_related_objects([app], "units", "documents")
    missing = checks.missing_at_submission(app)  # the documents and declarations the scheme asks for
    opening = budget.lock_opening(app.opening_id)  # serialises the queue and the ceiling
    result = checks.check_limits(app, on=ctx.today)
    result.refusals.extend(missing)
    checks.refuse_if(result, _("De aanvraag kan zo niet worden ingediend."))
    app.amount_requested = result.amount
    app.submitted_at = ctx.now
    app.complete_at = ctx.now
    app.submitted_by = ctx.user
    if ctx.user is not None and ctx.user.role == Role.INTERMEDIARY:
        app.channel = Channel.INTERMEDIARY
    opening.queue_length += 1
    app.queue_position = opening.queue_length
    app.decision_due = decision_due(app)
    totals_saved = False  # the reservation's UPDATE of the opening writes the queue length too
    if opening.distribution == "fcfs":  # strictly in order: not before anyone waiting (services.queue)
        totals_saved = queue.join(opening, app, result.amount, note="indiening", at=ctx.now)
    if not totals_saved:
        Opening.objects.filter(pk=opening.pk).update(queue_length=opening.queue_length)
    ctx.event_data = {
        "amount": result.amount,
        "queue_position": app.queue_position,
        "over_ceiling": app.over_ceiling,
        "steps": result.steps,
    }


@handles("withdraw")
def _withdraw(ctx: Context) -> None:
    ctx.reason = inputs.text(ctx.data, "reason")
    release_reservation(ctx.application, ctx, "ingetrokken")
    pending = ctx.application.pending_decision()
    if pending:
        Decision.objects.filter(pk=pending.pk).update(
            status=Decision.Status.RETURNED, returned_at=ctx.now, return_note=_("aanvraag ingetrokken")
        )


@handles("start_review")
def _start_review(ctx: Context) -> None:
    if ctx.application.assigned_to_id is None and ctx.user is not None:
        ctx.application.assigned_to = ctx.user


@handles("request_supplement")
def _request_supplement(ctx: Context) -> None:
    app = ctx.application
    reason = inputs.text(ctx.data, "reason", required=True)
    days = ctx.data.get("due_days", app.opening.published_rules.supplement_term_days)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid(_("De termijn moet een aantal dagen zijn."), {"due_days": [_("Geef een aantal dagen.")]})
    if not 1 <= days <= 90:
        raise Invalid(_("De termijn voor een aanvulling is 1 tot 90 dagen."), {"due_days": [_("1 tot 90 dagen.")]})
    request = SupplementRequest.objects.create(
        application=app,
        reason=reason,
        requested_by=ctx.user,
        requested_on=ctx.today,
        due_date=clocks.supplement_due(ctx.today, days),
    )
    # until the supplement arrives the due date assumes the whole term is used: it only comes closer
    count_suspension(app, request, request.due_date)
    ctx.reason = reason
    ctx.event_data = {
        "due_date": request.due_date,
        "supplement_request": request.pk,
        "decision_due": app.decision_due,
    }


@handles("supplement")
def _supplement(ctx: Context) -> None:
    app = ctx.application
    request = app.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    changes = {k: v for k, v in ctx.data.items() if k in drafts.DRAFT_FIELDS}
    drafts.apply(app, changes)
    result = checks.compute_amount(app)
    checks.refuse_if(result, _("De aanvulling klopt nog niet."))
    note = inputs.text(ctx.data, "note")
    if request is not None:
        request.answered_on = ctx.today
        request.answer = note
        count_suspension(app, request, ctx.today)
    app.amount_requested = result.amount
    if request is not None:  # complete now: in the queue on this date (fcfs by date of completeness)
        queue.requeue_on_completion(app, at=ctx.now)
    app.decision_due = decision_due(app)
    ctx.reason = note
    ctx.event_data = {"changed": sorted(changes), "decision_due": app.decision_due}


@handles("resume_review")
def _resume_review(ctx: Context) -> None:
    """The supplement did not come in time: the term was suspended for the whole term given (4:15), no longer."""
    app = ctx.application
    request = app.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    count_suspension(app, request, request.due_date)
    ctx.reason = inputs.text(ctx.data, "note")
    ctx.event_data = {"supplement_request": request.pk, "decision_due": app.decision_due}


@handles("declare_not_considered")
def _declare_not_considered(ctx: Context) -> None:
    app = ctx.application
    request = app.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    if request is not None:
        count_suspension(app, request, request.due_date)
    release_reservation(app, ctx, "buiten behandeling")
    undo_grant(app, ctx, "buiten behandeling na bezwaar")
    decided(app, ctx)


@transaction.atomic
def create_and_submit(
    *,
    user: User,
    opening: Opening,
    organisation_kvk: str | None = None,
    data: dict | None = None,
    idempotency_key: str | None = None,
) -> Application:
    """A draft submitted at once, in one transaction: both or neither (the API's ``"submit": true``).

    The same services as two requests would take: ``create_draft`` and then the submit action.
    """
    application = drafts.create_draft(
        user=user, opening=opening, organisation_kvk=organisation_kvk, data=data, idempotency_key=idempotency_key
    )
    if application.state != State.DRAFT:  # the same idempotency key again: the first request's application
        return application
    return perform(application, "submit", user, {})
