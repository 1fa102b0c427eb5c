"""Every action tried by every role in every state: only the allowed ones succeed.

The table below is the specification (DESIGN.md §4): from which states an
action may be taken, and who may take it. A refusal changes nothing: not the
state, not the version, not the audit trail, not the money.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services, workflow
from applications.models import Application, AuditEvent, Decision, Role
from applications.services import ActionError
from applications.states import State
from schemes.models import LedgerEntry
from tests import factories as f
from tests.factories import declare_no_conflict

pytestmark = pytest.mark.django_db

S = State
SOURCES = {
    "submit": {S.DRAFT},
    "withdraw": {S.SUBMITTED, S.IN_REVIEW, S.SUPPLEMENT_REQUESTED, S.DECISION_PROPOSED},
    "start_review": {S.SUBMITTED},
    "request_supplement": {S.IN_REVIEW},
    "supplement": {S.SUPPLEMENT_REQUESTED},
    "declare_not_considered": {S.SUPPLEMENT_REQUESTED},
    "propose_grant": {S.IN_REVIEW},
    "propose_rejection": {S.IN_REVIEW},
    "approve_decision": {S.DECISION_PROPOSED, S.GRANTED, S.SETTLEMENT_REQUESTED, S.SETTLED},
    "return_decision": {S.DECISION_PROPOSED, S.GRANTED, S.SETTLEMENT_REQUESTED, S.SETTLED, S.SETTLEMENT_PROPOSED},
    "pay_advance": {S.GRANTED},
    "record_payment": set(State) - {S.DRAFT, S.CLOSED},
    "confirm_payment": set(State) - {S.DRAFT, S.CLOSED},
    "propose_objection_decision": {S.GRANTED, S.REJECTED, S.NOT_CONSIDERED, S.SETTLED, S.REVOKED},
    "request_settlement": {S.GRANTED},
    "report_start": {S.GRANTED},
    "propose_settlement": {S.SETTLEMENT_REQUESTED, S.GRANTED},
    "approve_settlement": {S.SETTLEMENT_PROPOSED},
    "revoke": {S.GRANTED, S.SETTLEMENT_REQUESTED, S.SETTLED},
    "propose_tranche": {S.GRANTED},
    "close": {S.SETTLED, S.REJECTED, S.NOT_CONSIDERED, S.WITHDRAWN, S.REVOKED},
    "lodge_objection": {S.GRANTED, S.REJECTED, S.NOT_CONSIDERED, S.SETTLED, S.REVOKED},
    "decide_objection": {S.GRANTED, S.REJECTED, S.NOT_CONSIDERED, S.SETTLED, S.REVOKED},
    "resume_review": {S.SUPPLEMENT_REQUESTED},
    # a term of ours runs: the decision's, or the settlement request's
    "postpone_decision": {S.SUBMITTED, S.IN_REVIEW, S.DECISION_PROPOSED, S.SETTLEMENT_REQUESTED, S.SETTLEMENT_PROPOSED},
    "register_default_notice": {
        S.SUBMITTED,
        S.IN_REVIEW,
        S.DECISION_PROPOSED,
        S.SETTLEMENT_REQUESTED,
        S.SETTLEMENT_PROPOSED,
    },
    "fix_penalty": set(State) - {S.DRAFT},  # a penalty stays owed whatever happened since
    "register_objection": {S.GRANTED, S.REJECTED, S.NOT_CONSIDERED, S.SETTLED, S.REVOKED},
    "record_objection_hearing": {S.GRANTED, S.REJECTED, S.NOT_CONSIDERED, S.SETTLED, S.REVOKED},
    "extend_objection_term": {S.GRANTED, S.REJECTED, S.NOT_CONSIDERED, S.SETTLED, S.REVOKED},
}

APPLICANT_SIDE = {"applicant", "intermediary"}
CASE_WORKERS = {"reviewer", "senior_proposer", "senior", "administrator"}
APPROVERS = {"senior", "administrator"}  # never the one who proposed
# the finance staff: they record and confirm payments and take no decisions (separation of duties)
FINANCE = {"payer", "checker"}
PAYERS = FINANCE | {"administrator"}  # the administrator took no decision on these applications
WHO = {
    "submit": APPLICANT_SIDE,
    "withdraw": APPLICANT_SIDE,
    "supplement": APPLICANT_SIDE,
    "request_settlement": APPLICANT_SIDE,
    "report_start": APPLICANT_SIDE,
    "lodge_objection": APPLICANT_SIDE,
    "approve_decision": APPROVERS,
    "return_decision": APPROVERS,
    "approve_settlement": APPROVERS,
    "pay_advance": PAYERS,
    "record_payment": PAYERS,
    "confirm_payment": PAYERS,
    "close": CASE_WORKERS | FINANCE,
    "decide_objection": {"senior", "senior_proposer", "administrator"},  # a second (senior) reviewer
}
PROPOSED_BY_SENIOR_PROPOSER = {S.DECISION_PROPOSED, S.SETTLEMENT_PROPOSED}
# who can never even see the application: refused before anything else
OUTSIDERS = {"other_applicant", "intermediary_revoked", "intermediary_expired", "program_manager"}
ROLES = sorted(APPLICANT_SIDE | CASE_WORKERS | FINANCE | OUTSIDERS | {"other_scheme_reviewer"})

# actions whose condition is met in none of the states built below: no term has passed, no notice of default came,
# no objection is pending
NEVER_MET = {
    "register_default_notice",
    "fix_penalty",
    "record_objection_hearing",
    "extend_objection_term",
    "propose_objection_decision",
    "confirm_payment",  # nothing recorded waits for its second pair of eyes
}
# a payment is due to record only where the advance waits (granted) or a recovery (revoked)
NO_PAYMENT_DUE = set(State) - {S.DRAFT, S.CLOSED, S.GRANTED, S.REVOKED}
# actions whose state is right but whose condition is not met in the states built below
CONDITION_NOT_MET = {
    S.SUPPLEMENT_REQUESTED: {"declare_not_considered", "resume_review"},  # the supplement term has not passed
    S.GRANTED: {"propose_tranche", "decide_objection", "approve_decision", "return_decision"},
    S.SETTLEMENT_REQUESTED: {"approve_decision", "return_decision"},
    S.SETTLED: {"close", "decide_objection", "approve_decision", "return_decision"},  # objection term runs
    S.REJECTED: {"close", "decide_objection"},
    S.NOT_CONSIDERED: {"close", "decide_objection"},
    S.REVOKED: {"close", "decide_objection"},  # the recovery is still due
}

TARGET = {
    "submit": S.SUBMITTED,
    "withdraw": S.WITHDRAWN,
    "start_review": S.IN_REVIEW,
    "request_supplement": S.SUPPLEMENT_REQUESTED,
    "supplement": S.IN_REVIEW,
    "propose_grant": S.DECISION_PROPOSED,
    "propose_rejection": S.DECISION_PROPOSED,
    ("approve_decision", S.DECISION_PROPOSED): S.GRANTED,
    ("return_decision", S.DECISION_PROPOSED): S.IN_REVIEW,
    ("return_decision", S.SETTLEMENT_PROPOSED): S.SETTLEMENT_REQUESTED,
    "request_settlement": S.SETTLEMENT_REQUESTED,
    "report_start": S.GRANTED,
    "propose_settlement": S.SETTLEMENT_PROPOSED,
    "approve_settlement": S.SETTLED,
    "close": S.CLOSED,
}


def data_for(action: str, app: Application) -> dict:
    return {
        "withdraw": {"reason": "Toch geen omscholing."},
        "request_supplement": {"reason": "Het opleidingsplan ontbreekt.", "due_days": 14},
        "supplement": {"note": "Opleidingsplan bijgevoegd."},
        "propose_grant": {"note": "Voldoet."},
        "propose_rejection": {"reason_code": "not_eligible", "note": "Geen tekortberoep."},
        "return_decision": {"note": "Bedrag nakijken."},
        "request_settlement": {"units_completed": list(app.units.values_list("id", flat=True)), "report": "Klaar."},
        "report_start": {"units_started": list(app.units.values_list("id", flat=True))},
        "propose_settlement": {"note": "Alles afgerond."},
        "revoke": {
            "ground": "4:49-b" if app.state == S.SETTLED else "4:48-d",
            "reason": "Subsidie onterecht verleend.",
        },
        "propose_tranche": {"tranche": 1, "release": True, "kpi_values": {"bereik": 10}},
        "lodge_objection": {"reason": "Ik ben het er niet mee eens."},
        "decide_objection": {"upheld": False, "note": "Ongegrond."},
        "propose_objection_decision": {"upheld": False, "note": "Ongegrond."},
        "postpone_decision": {"new_due": _a_week_later(app), "reason": "Advies van de sectorcommissie nodig."},
        "register_default_notice": {"received_on": timezone.localdate().isoformat()},
        "register_objection": {"received_on": timezone.localdate().isoformat(), "reason": "Per post ontvangen."},
    }.get(action, {})


def _a_week_later(app: Application) -> str:
    due = app.settlement_decision_due if app.state in (S.SETTLEMENT_REQUESTED, S.SETTLEMENT_PROPOSED) else None
    return ((due or app.decision_due or timezone.localdate()) + datetime.timedelta(days=7)).isoformat()


def expected(role: str, state: str, action: str) -> int:
    if role in OUTSIDERS:
        return 403
    if state not in SOURCES[action]:
        return 409
    who = WHO.get(action, CASE_WORKERS)
    if who is APPROVERS and state not in PROPOSED_BY_SENIOR_PROPOSER:
        who = APPROVERS | {"senior_proposer"}  # four eyes bars only the proposer of the pending decision
    if role not in who:
        return 403
    if action in CONDITION_NOT_MET.get(state, ()) or action in NEVER_MET:
        return 409
    if action == "record_payment" and state in NO_PAYMENT_DUE:
        return 409
    return 200


class Cast:
    """Everyone who might touch an application of one Omscholing-like opening."""

    def __init__(self):
        # many applications of one employer in one opening: no limit per applicant in the way of the roles
        self.scheme = f.omscholing_scheme(max_units_per_applicant=None, intermediaries_allowed=True)
        self.opening = f.open_opening(self.scheme)
        other_scheme = f.slim_scheme()
        org = f.OrganisationFactory(name="Installatiebedrijf Jansen B.V.")
        agent = f.IntermediaryFactory(name="Opleidingsfonds Techniek")
        late_agent = f.IntermediaryFactory(name="Adviesbureau Laat")
        gone_agent = f.IntermediaryFactory(name="Adviesbureau Weg")
        today = timezone.localdate()
        f.mandate(org, agent, [self.scheme])
        f.mandate(org, gone_agent, [self.scheme], revoked=True)
        f.mandate(
            org,
            late_agent,
            [self.scheme],
            valid_from=today - datetime.timedelta(days=400),
            valid_until=today - datetime.timedelta(days=1),
        )
        self.users = {
            "applicant": f.employer(org, username="werkgever"),
            "other_applicant": f.employer(username="concurrent"),
            "intermediary": f.UserFactory(role=Role.INTERMEDIARY, organisation=agent, username="fonds"),
            "intermediary_revoked": f.UserFactory(role=Role.INTERMEDIARY, organisation=gone_agent, username="weg"),
            "intermediary_expired": f.UserFactory(role=Role.INTERMEDIARY, organisation=late_agent, username="laat"),
            "reviewer": f.staff(Role.REVIEWER, [self.scheme], username="behandelaar"),
            "other_scheme_reviewer": f.staff(Role.REVIEWER, [other_scheme], username="slim-behandelaar"),
            "senior_proposer": f.staff(Role.SENIOR_REVIEWER, [self.scheme], username="senior-voorsteller"),
            "senior": f.staff(Role.SENIOR_REVIEWER, [self.scheme], username="senior"),
            "program_manager": f.staff(Role.PROGRAM_MANAGER, [self.scheme], username="programmamanager"),
            "administrator": f.staff(Role.ADMINISTRATOR, username="beheerder"),
            "payer": f.staff(Role.FINANCE, [self.scheme], username="betaler"),
            "checker": f.staff(Role.FINANCE, [self.scheme], username="controleur"),
        }

    def act(self, app, action, role, data=None, **kwargs):
        if action == "propose_grant":
            f.day_ended(app)  # first come, first served: not on the day the application became complete
        return services.perform(app, action, self.users[role], data or data_for(action, app), **kwargs)

    def build(self, state: str, *, declared: bool = True) -> Application:
        """An application in ``state``; every case worker of the scheme has declared no conflict on it."""
        u = self.users
        app = f.draft(self.opening, u["applicant"])
        if state == S.DRAFT:
            return app
        app = self.act(app, "submit", "applicant")
        if declared:
            declare_no_conflict(app, *(u[role] for role in sorted(CASE_WORKERS | FINANCE)))
        if state == S.SUBMITTED:
            return app
        if state in (S.WITHDRAWN, S.CLOSED):
            app = self.act(app, "withdraw", "applicant")
            return self.act(app, "close", "reviewer") if state == S.CLOSED else app
        app = self.act(app, "start_review", "reviewer")
        if state == S.IN_REVIEW:
            return app
        if state == S.SUPPLEMENT_REQUESTED:
            return self.act(app, "request_supplement", "reviewer")
        if state == S.NOT_CONSIDERED:
            app = self.act(app, "request_supplement", "reviewer", {"reason": "Plan ontbreekt.", "due_days": 1})
            later = timezone.now() + datetime.timedelta(days=10)
            return self.act(app, "declare_not_considered", "reviewer", now=later)
        if state == S.REJECTED:
            app = self.act(app, "propose_rejection", "senior_proposer")
            return self.act(app, "approve_decision", "senior")
        app = self.act(app, "propose_grant", "senior_proposer")
        if state == S.DECISION_PROPOSED:
            return app
        app = self.act(app, "approve_decision", "senior")
        if state == S.GRANTED:
            return app
        app = self.act(app, "pay_advance", "payer")
        app = self.act(app, "confirm_payment", "checker")
        if state == S.REVOKED:
            app = self.act(app, "revoke", "senior_proposer")
            return self.act(app, "approve_decision", "senior")
        app = self.act(app, "request_settlement", "applicant")
        if state == S.SETTLEMENT_REQUESTED:
            return app
        app = self.act(app, "propose_settlement", "senior_proposer")
        if state == S.SETTLEMENT_PROPOSED:
            return app
        app = self.act(app, "approve_settlement", "senior")
        assert state == S.SETTLED
        return app


def snapshot(app: Application) -> tuple:
    app = Application.objects.get(pk=app.pk)
    return (
        app.state,
        app.version,
        app.amount_reserved,
        app.amount_committed,
        app.amount_paid,
        AuditEvent.objects.filter(application=app).count(),
        Decision.objects.filter(application=app).values_list("id", "status").count(),
        list(Decision.objects.filter(application=app).values_list("id", "status")),
        LedgerEntry.objects.filter(application=app).count(),
    )


@pytest.mark.parametrize("state", [s for s in State.values])
def test_every_role_every_action(state):
    cast = Cast()
    shared = cast.build(state)
    assert shared.state == state
    before = snapshot(shared)
    wrong = []
    for action in workflow.ACTION_NAMES:
        for role in ROLES:
            want = expected(role, state, action)
            if want == 200:
                app = cast.build(state)
                events = AuditEvent.objects.filter(application=app).count()
                try:
                    app = cast.act(app, action, role)
                except ActionError as exc:
                    wrong.append((action, role, 200, exc.status, exc.detail))
                    continue
                target = TARGET.get((action, state)) or TARGET.get(action) or state
                new = list(AuditEvent.objects.filter(application=app).order_by("id")[events:])
                if app.state != target or [(e.action, e.from_state, e.to_state) for e in new] != [
                    (action, state, target)
                ]:
                    wrong.append((action, role, "state/audit", app.state, [(e.action, e.to_state) for e in new]))
                continue
            try:
                cast.act(shared, action, role)
            except ActionError as exc:
                if exc.status != want:
                    wrong.append((action, role, want, exc.status, exc.detail))
                assert exc.detail  # every refusal says why
            else:
                wrong.append((action, role, want, 200, "succeeded"))
            assert snapshot(shared) == before, (action, role)
    assert wrong == []


# --- four eyes ------------------------------------------------------------------------


def test_the_proposer_never_approves_their_own_grant_not_even_an_administrator():
    cast = Cast()
    app = cast.build(S.IN_REVIEW)
    app = cast.act(app, "propose_grant", "administrator")
    with pytest.raises(services.Forbidden) as refused:
        cast.act(app, "approve_decision", "administrator")
    assert "Vier ogen" in refused.value.detail
    assert "approve_decision" not in services.available_actions(app, cast.users["administrator"])
    assert "approve_decision" in services.available_actions(app, cast.users["senior"])
    client = APIClient()
    client.force_authenticate(cast.users["administrator"])
    response = client.post(f"/api/v1/applications/{app.reference}/actions/approve_decision/", {}, format="json")
    assert response.status_code == 403
    assert "Vier ogen" in response.json()["detail"]
    app.refresh_from_db()
    assert app.state == S.DECISION_PROPOSED


def test_the_database_refuses_a_decision_approved_by_its_proposer():
    cast = Cast()
    app = cast.build(S.DECISION_PROPOSED)
    decision = app.decisions.get(status="proposed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(approved_by=decision.proposed_by, status="approved")
    decision.refresh_from_db()
    assert decision.approved_by is None


def test_the_proposer_cannot_approve_a_settlement_or_a_revocation_they_proposed():
    cast = Cast()
    app = cast.build(S.SETTLEMENT_PROPOSED)
    with pytest.raises(services.Forbidden):
        cast.act(app, "approve_settlement", "senior_proposer")
    with pytest.raises(services.Forbidden):
        cast.act(app, "return_decision", "senior_proposer")
    granted = cast.build(S.GRANTED)
    granted = cast.act(granted, "revoke", "senior")
    with pytest.raises(services.Forbidden):
        cast.act(granted, "approve_decision", "senior")
    granted = cast.act(granted, "approve_decision", "senior_proposer")
    assert granted.state == S.REVOKED


def test_a_reviewer_acts_only_after_declaring_no_conflict_of_interest():
    cast = Cast()
    app = cast.build(S.SUBMITTED, declared=False)
    assert services.available_actions(app, cast.users["reviewer"]) == []
    with pytest.raises(services.Forbidden) as refused:
        cast.act(app, "start_review", "reviewer")
    assert "belangenverstrengeling" in refused.value.detail
    services.declare_conflict_of_interest(application=app, user=cast.users["reviewer"], conflict=True)
    with pytest.raises(services.Forbidden):
        cast.act(app, "start_review", "reviewer")
    services.declare_conflict_of_interest(application=app, user=cast.users["reviewer"], conflict=False)
    app = cast.act(app, "start_review", "reviewer")
    app = cast.act(app, "propose_grant", "reviewer")
    assert app.state == S.DECISION_PROPOSED


def test_available_actions_are_exactly_the_ones_that_succeed():
    cast = Cast()
    for state in (S.SUBMITTED, S.IN_REVIEW, S.DECISION_PROPOSED, S.GRANTED, S.SETTLEMENT_PROPOSED):
        app = f.day_ended(cast.build(state))  # complete yesterday: first come, first served may be granted now
        for role in ROLES:
            allowed = {a for a in workflow.ACTION_NAMES if expected(role, state, a) == 200}
            assert set(services.available_actions(app, cast.users[role])) == allowed, (state, role)


def test_anonymous_gets_nothing_from_the_api():
    cast = Cast()
    app = cast.build(S.SUBMITTED)
    client = APIClient()
    for path in (
        "/api/v1/applications/",
        f"/api/v1/applications/{app.reference}/",
        f"/api/v1/applications/{app.reference}/events/",
    ):
        assert client.get(path).status_code in (401, 403)
    response = client.post(f"/api/v1/applications/{app.reference}/actions/withdraw/", {}, format="json")
    assert response.status_code in (401, 403)
    response = client.post("/api/v1/applications/", {"opening": cast.opening.code}, format="json")
    assert response.status_code in (401, 403)
    app.refresh_from_db()
    assert app.state == S.SUBMITTED
    assert Application.objects.count() == 1
