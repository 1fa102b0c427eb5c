"""The terms of the law as acts on a file: postponement (Awb 4:14), notice of default and penalty (4:17, 4:18).

A term of ours runs while an application waits for a decision (``WAITING_FOR_US``) and while a
settlement request waits for one (``SETTLEMENT_WAITING``). Within it, a reviewer may postpone it once
more with reasons and a new date, which the letter states and every screen shows. After it, the
applicant may give notice of default; two weeks later the penalty runs (``clocks.penalty_days``)
until the decision is sent, for at most 42 days; what ran stays owed and is fixed by a decision of its
own (4:18).
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from schemes.formatting import datum

from .. import clocks
from .. import permissions as perms
from ..errors import Invalid
from ..models import Application, DefaultNotice, SupplementRequest
from ..states import SETTLEMENT_WAITING
from . import inputs
from .actions import Context, handles


def term_start(application: Application) -> datetime.date | None:
    """Where this application's decision term starts, by its scheme's rule (``clocks.decision_term_start``)."""
    if application.submitted_at is None:
        return None
    opening = application.opening
    rule = opening.published_rules.decision_term_from
    complete_on = clocks.local_date(application.complete_at or application.submitted_at)
    if rule == clocks.TERM_FROM_COMPLETENESS:  # complete again on the day the last supplement arrived
        answered = application.supplement_requests.exclude(answered_on=None).values_list("answered_on", flat=True)
        complete_on = max([complete_on, *answered])
    return clocks.decision_term_start(
        rule,
        submitted_on=clocks.local_date(application.submitted_at),
        complete_on=complete_on,
        closes_on=clocks.local_date(opening.closes_at),
        named_on=opening.decision_term_starts_on,
    )


def decision_term_end(application: Application) -> datetime.date | None:
    """The last day of the decision term before it rolls to a working day (the Atw's)."""
    start = term_start(application)
    if start is None:
        return None
    rules = application.opening.published_rules
    suspended = application.suspended_days if clocks.counts_suspension(rules.decision_term_from) else 0
    weeks = application.decision_term_weeks or rules.decision_term_weeks
    return start + datetime.timedelta(weeks=weeks, days=suspended + application.postponed_days)


def decision_due(application: Application) -> datetime.date | None:
    """Awb 4:13: the scheme's decision term from its start, plus the days suspended (4:15) and postponed (4:14)."""
    end = decision_term_end(application)
    return clocks.next_working_day(end) if end is not None else None


def count_suspension(application: Application, request: SupplementRequest, until: datetime.date) -> None:
    """One request's days of suspension, capped at its term (4:15 lid 1 a), and the application's total."""
    request.days_suspended = clocks.suspension_days(
        request.requested_on, until, due_on=request.due_date, term_start=term_start(application)
    )
    request.save()
    application.suspended_days = sum(
        r.days_suspended if r.pk != request.pk else request.days_suspended
        for r in application.supplement_requests.all()
    )
    application.decision_due = decision_due(application)


def running_term_due(app: Application, state: str) -> datetime.date | None:
    """The due date of the term that runs in ``state`` (the state the action was taken in)."""
    return app.settlement_decision_due if state in SETTLEMENT_WAITING else app.decision_due


def paused_periods(app: Application) -> tuple[tuple[datetime.date, datetime.date], ...]:
    """The periods the applicant had to supplement: no penalty runs while waiting for the applicant."""
    return tuple((r.requested_on, min(r.answered_on or r.due_date, r.due_date)) for r in app.supplement_requests.all())


def penalty_days(notice: DefaultNotice, until: datetime.date) -> int:
    return clocks.penalty_days(
        notice.received_on, until, term_due=notice.term_due, paused=paused_periods(notice.application)
    )


def end_penalties(app: Application, ctx: Context) -> None:
    """The decision is sent: the penalty stops the day before; what ran is owed (and fixed under 4:18)."""
    for notice in app.default_notices.filter(ended_on__isnull=True):
        notice.ended_on = ctx.today
        if notice.fixed_on is None:
            notice.penalty_days = penalty_days(notice, ctx.today - datetime.timedelta(days=1))
            notice.amount_owed = clocks.penalty(notice.penalty_days)
        notice.save()
    app.default_notice_on = None


@handles("postpone_decision")
def _postpone_decision(ctx: Context) -> None:
    app = ctx.application
    new_due = inputs.date(ctx.data, "new_due", required=True)
    reason = inputs.text(ctx.data, "reason", required=True)
    current = running_term_due(app, ctx.from_state)
    if new_due <= current:
        message = _("De nieuwe uiterste beslisdatum moet na %(due)s liggen, de huidige.") % {"due": datum(current)}
        raise Invalid(message, {"new_due": [message]})
    if ctx.from_state in SETTLEMENT_WAITING:
        app.settlement_decision_due = clocks.next_working_day(new_due)
        term = DefaultNotice.Term.SETTLEMENT
    else:
        app.postponed_days += (new_due - decision_term_end(app)).days
        app.decision_due = decision_due(app)
        term = DefaultNotice.Term.DECISION
    ctx.reason = reason
    ctx.event_data = {
        "term": term,
        "old_due": current,
        "new_due": running_term_due(app, ctx.from_state),
        "postponed_days": app.postponed_days,
    }


@handles("register_default_notice")
def _register_default_notice(ctx: Context) -> None:
    app = ctx.application
    received_on = inputs.date(ctx.data, "received_on", required=True)
    due = running_term_due(app, ctx.from_state)
    if received_on <= due:
        message = _(
            "Een ingebrekestelling kan pas na de uiterste beslisdatum (%(due)s): een eerdere heeft geen gevolg."
        ) % {"due": datum(due)}
        raise Invalid(message, {"received_on": [message]})
    if received_on > ctx.today:
        message = _("De datum van ontvangst kan niet in de toekomst liggen.")
        raise Invalid(message, {"received_on": [message]})
    term = DefaultNotice.Term.SETTLEMENT if ctx.from_state in SETTLEMENT_WAITING else DefaultNotice.Term.DECISION
    notice = DefaultNotice.objects.create(
        application=app,
        term=term,
        received_on=received_on,
        term_due=due,
        registered_by=ctx.user,
        registered_at=ctx.now,
        note=inputs.text(ctx.data, "note"),
    )
    app.default_notice_on = received_on
    start = clocks.in_default_after(received_on, due)
    ctx.reason = notice.note
    ctx.event_data = {
        "notice": notice.pk,
        "term": term,
        "received_on": received_on,
        "term_due": due,
        "penalty_from": start + datetime.timedelta(days=1),
    }


@handles("fix_penalty")
def _fix_penalty(ctx: Context) -> None:
    app = ctx.application
    notice = perms.penalty_to_fix(app, ctx.today)
    last = clocks.penalty_last_day(notice.received_on, notice.term_due, notice.ended_on)
    notice.penalty_days = penalty_days(notice, last)
    notice.amount_owed = clocks.penalty(notice.penalty_days)
    notice.fixed_on = ctx.today
    notice.fixed_by = ctx.user
    notice.save()
    ctx.reason = inputs.text(ctx.data, "note")
    ctx.event_data = {
        "notice": notice.pk,
        "term": notice.term,
        "penalty_days": notice.penalty_days,
        "amount": notice.amount_owed,
        "last_day": last,
        "payment_due": clocks.payment_due(ctx.today),
    }
