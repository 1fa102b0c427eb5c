"""Reads of applications: what a user may see, and the lists built on it."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from schemes.formatting import datum

from . import clocks
from . import permissions as perms
from .models import Application, Mandate, Role, User
from .states import OPEN_STATES, SETTLEMENT_WAITING, WAITING_FOR_US, State


def visible_applications(user: User) -> QuerySet[Application]:
    """Exactly the applications this user may see; nothing of other organisations."""
    if not user.is_authenticated or not user.is_active:
        return Application.objects.none()
    if user.role == Role.APPLICANT:
        if not user.organisation_id:
            return Application.objects.none()
        return Application.objects.filter(organisation_id=user.organisation_id)
    if user.role == Role.INTERMEDIARY:
        if not user.organisation_id:
            return Application.objects.none()
        mandates = Mandate.objects.active().filter(
            principal_id=OuterRef("organisation_id"),
            agent_id=user.organisation_id,
            schemes__id=OuterRef("opening__scheme_id"),
        )
        represented = perms.represents(user)  # an eHerkenning machtiging for this session
        mandated = Exists(mandates) | Q(organisation_id=represented) if represented else Exists(mandates)
        return Application.objects.filter(mandated, opening__rules__intermediaries_allowed=True)
    if user.role == Role.ADMINISTRATOR:
        return Application.objects.all()
    if user.role in (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.FINANCE):
        return Application.objects.filter(opening__scheme__in=user.schemes.all())
    return Application.objects.none()


def active_mandates(organisation_id: int):
    """The mandates an intermediary holds today, with the employers and schemes they cover."""
    return (
        Mandate.objects.active()
        .filter(agent_id=organisation_id)
        .select_related("principal")
        .prefetch_related("schemes")
    )


@dataclass(frozen=True)
class Deadline:
    """One date of the law that matters for an application now, for staff and (where it is theirs) the applicant."""

    label: str  # for staff
    due: datetime.date
    days_left: int
    note: str = ""  # the rule behind it
    public_label: str = ""  # for the applicant; empty: not the applicant's to watch

    @property
    def days(self) -> int:
        return self.days_left

    @property
    def overdue(self) -> int:
        return -self.days_left if self.days_left < 0 else 0


def deadlines(application: Application, today: datetime.date | None = None) -> list[Deadline]:
    """Every running term of an application, the applicant's first: the case screen shows all, the portal the first."""
    return list(_deadlines(application, today or clocks.local_date()))


def next_deadline(application: Application, today: datetime.date | None = None) -> Deadline | None:
    """The one date the applicant has to watch now, in the applicant's words, or None (reads no further than needed)."""
    found = next((d for d in _deadlines(application, today or clocks.local_date()) if d.public_label), None)
    return dataclasses.replace(found, label=found.public_label) if found else None


TERM_FROM = {
    clocks.TERM_FROM_SUBMISSION: _("na ontvangst"),
    clocks.TERM_FROM_COMPLETENESS: _("na de volledige aanvraag"),
    clocks.TERM_FROM_CLOSE: _("na het sluiten van de openstelling"),
    clocks.TERM_FROM_DATE: _("na de datum die de regeling noemt"),
}


def decision_term_note(application: Application, *, suspended: bool = False) -> str:
    """The rule behind the decision due date: the term, where it starts, suspension and postponement."""
    rules = application.opening.published_rules
    weeks = application.decision_term_weeks or rules.decision_term_weeks
    parts = [_("%(weeks)s weken %(start)s (Awb 4:13)") % {"weeks": weeks, "start": TERM_FROM[rules.decision_term_from]}]
    if application.suspended_days and clocks.counts_suspension(rules.decision_term_from):
        parts.append(_("+ %(days)s dagen opgeschort (Awb 4:15)") % {"days": application.suspended_days})
    if application.postponed_days:
        parts.append(_("verdaagd met %(days)s dagen (Awb 4:14)") % {"days": application.postponed_days})
    if suspended:
        parts.append(_("opgeschort zolang de aanvulling loopt: niet te laat"))
    return " ".join(str(p) for p in parts)


def _deadlines(application: Application, today: datetime.date) -> Iterator[Deadline]:
    def term(label, due, note="", public_label=""):
        return Deadline(str(label), due, clocks.days_left(due, today), str(note), str(public_label))

    state = application.state
    open_request = None
    if state == State.DRAFT:
        yield term(
            _("Indienen uiterlijk"), clocks.local_date(application.opening.closes_at), "", _("indienen uiterlijk")
        )
    if state == State.SUPPLEMENT_REQUESTED:
        unanswered = [r for r in application.supplement_requests.all() if r.answered_on is None]
        open_request = unanswered[-1] if unanswered else None
    if open_request:
        yield term(_("Aanvulling uiterlijk"), open_request.due_date, _("Awb 4:5"), _("aanvullen uiterlijk"))
    if state in OPEN_STATES and application.decision_due:
        yield term(
            _("Uiterste beslisdatum"),
            application.decision_due,
            decision_term_note(application, suspended=open_request is not None),
            _("besluit uiterlijk") if state in WAITING_FOR_US else "",
        )
    if open_request:
        yield term(
            _("Buiten behandeling stellen kan tot"),
            clocks.not_considered_deadline(open_request.due_date),
            _("vier weken na de termijn"),
        )
    if application.objection_due:
        pending = [o for o in application.objections.all() if o.outcome == "pending"]
        can_object = today <= application.objection_due and not pending
        yield term(
            _("Bezwaartermijn tot en met"),
            application.objection_due,
            _("zes weken (Awb 6:7)"),
            _("bezwaar maken uiterlijk") if can_object else "",
        )
        for objection in pending:
            yield term(_("Beslissen op bezwaar uiterlijk"), objection.decide_by, _("Awb 7:10"))
    if state in SETTLEMENT_WAITING and application.settlement_decision_due:
        weeks = application.opening.published_rules.settlement_term_weeks or clocks.SETTLEMENT_DECISION_WEEKS
        yield term(
            _("Vaststelling uiterlijk"),
            application.settlement_decision_due,
            _("%(weeks)s weken na de aanvraag tot vaststelling") % {"weeks": weeks},
            _("vaststelling uiterlijk"),
        )
    for notice in application.default_notices.all():
        start = clocks.in_default_after(notice.received_on, notice.term_due)
        if notice.ended_on is None and notice.fixed_on is None:
            yield term(
                _("Dwangsom loopt vanaf"),
                start + datetime.timedelta(days=1),
                _("ingebrekestelling ontvangen %(on)s (Awb 4:17)") % {"on": datum(notice.received_on)},
            )
        if notice.fixed_on is None and (notice.ended_on is None or notice.amount_owed):
            last = clocks.penalty_last_day(notice.received_on, notice.term_due, notice.ended_on)
            yield term(
                _("Dwangsom vaststellen uiterlijk"),
                clocks.penalty_fixing_due(last),
                _("twee weken na de laatste dag (Awb 4:18)"),
            )
    if state == State.GRANTED and application.settlement_due:
        yield term(
            _("Vaststelling aanvragen uiterlijk"),
            application.settlement_due,
            _("13 weken na het einde (Awb 4:44)"),
            _("vaststelling aanvragen uiterlijk"),
        )
    for payment in application.payments.all():
        if payment.status == "due":
            yield term(
                _("Betaling %(kind)s uiterlijk") % {"kind": payment.get_kind_display()},
                payment.due_date,
                _("Awb 4:87"),
            )
