"""Conflict of interest for every act (issue 11, finding 3).

Replayed: a reviewer who declared a conflict still requested a supplement (200);
an administrator who declared a conflict approved a grant (200). Now every act
of staff on a case — every staff action of ``workflow.ACTIONS``, the hearing
and the payments — waits for that user's declaration of no conflict on that
case, a declared conflict blocks it and changes nothing, a changed declaration
is audited with its old and new value, and the second reviewer declares too
before reading the first reviewer's checks and scores.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications import clock_job, clocks, services, workflow
from applications.models import Application, Assessment, AuditEvent, Decision, Objection, Payment, Role
from applications.services import hearing
from applications.states import State
from schemes.models import LedgerEntry, TranchePlanItem
from tests import factories as f
from tests.factories import act, declare_no_conflict

pytestmark = pytest.mark.django_db

CONFLICT = "belangenverstrengeling gemeld"
DECLARE_FIRST = "Verklaar eerst"


class Team:
    """An Omscholing-like and a Techkwadraat-like opening, their employer and their staff."""

    def __init__(self):
        self.scheme = f.omscholing_scheme()
        self.opening = f.open_opening(self.scheme)
        self.programme = f.techkwadraat_scheme()
        self.programme_opening = f.open_opening(self.programme, ceiling="351600000.00")
        today = timezone.localdate()
        TranchePlanItem.objects.create(
            scheme=self.programme,
            number=1,
            label="Onvoorwaardelijk",
            amount=Decimal("145800000.00"),
            planned_date=today,
        )
        TranchePlanItem.objects.create(
            scheme=self.programme,
            number=2,
            label="Na KPI-beoordeling",
            amount=Decimal("205800000.00"),
            planned_date=today + datetime.timedelta(days=30),
            gated=True,
            review_kind="KPI-beoordeling",
            review_date=today,
        )
        schemes = [self.scheme, self.programme]
        self.employer = f.employer(f.OrganisationFactory(name="Bouwbedrijf De Vries B.V."), username="werkgever")
        self.reviewer = f.staff(Role.REVIEWER, schemes, username="behandelaar")
        self.senior = f.staff(Role.SENIOR_REVIEWER, schemes, username="senior")
        # not involved in the contested decision: hears the objector and decides the objection (Awb 7:5, 10:3)
        self.objection_handler = f.staff(Role.REVIEWER, schemes, username="bezwaarbehandelaar")
        self.administrator = f.staff(Role.ADMINISTRATOR, username="beheerder")
        # a second, uninvolved senior approves the decision on an objection; finance staff pay (separation of duties)
        self.objection_approver = f.staff(Role.SENIOR_REVIEWER, schemes, username="bezwaarsenior")
        self.payer = f.staff(Role.FINANCE, schemes, username="betaler")
        self.checker = f.staff(Role.FINANCE, schemes, username="controleur")

    def submitted(self, opening=None, **data):
        return f.submitted(opening or self.opening, self.employer, **data)

    def in_review(self, opening=None, **data):
        return f.day_ended(act(self.submitted(opening, **data), "start_review", self.reviewer))

    def proposed(self, opening=None, **data):
        return act(self.in_review(opening, **data), "propose_grant", self.reviewer, {"note": "Voldoet."})

    def granted(self, opening=None, **data):
        return act(self.proposed(opening, **data), "approve_decision", self.senior)


# Per staff action: the case it is taken on (its conditions met), who takes it, with what, and when.
def _supplement_expired(team):
    app = act(team.in_review(), "request_supplement", team.reviewer, {"reason": "Plan ontbreekt.", "due_days": 1})
    return app, {}, timezone.now() + datetime.timedelta(days=10)


def _withdrawn(team):
    app = team.submitted()
    return services.perform(app, "withdraw", team.employer, {"reason": "Toch niet."}), {}, None


def _objected(team):
    app = act(team.in_review(), "propose_rejection", team.reviewer, {"reason_code": "not_eligible", "note": "Nee."})
    app = act(app, "approve_decision", team.senior)
    app = services.perform(app, "lodge_objection", team.employer, {"reason": "Het beroep staat wel op de lijst."})
    return app, {"upheld": False, "note": "Ongegrond: het beroep staat niet op de lijst."}, None


def _objection_proposed(team):
    app, data, now = _objected(team)
    app = act(app, "propose_objection_decision", team.objection_handler, data)
    return app, {}, now


def _payment_recorded(team):
    app = act(team.granted(), "pay_advance", team.payer)
    return app, {}, None


def _settlement_proposed(team):
    app = act(team.granted(), "propose_settlement", team.reviewer, {"note": "Klaar."})
    return app, {}, None


def _tranche_due(team):
    app = team.granted(team.programme_opening, requested_amount="1000000.00")
    return app, {"tranche": 2, "release": True, "kpi_values": {"bedrijven": 3}, "note": "KPI's gehaald."}, None


def _supplement_long_expired(team):
    """Four weeks past the supplement's term: the reviewer may decide on what there is (resume_review)."""
    app = act(team.in_review(), "request_supplement", team.reviewer, {"reason": "Plan ontbreekt.", "due_days": 1})
    return app, {"note": "Beslissen op wat er ligt."}, timezone.now() + datetime.timedelta(days=40)


def _later(app, days: int) -> datetime.datetime:
    """Ten in the morning, ``days`` after the decision term of ``app`` ends."""
    day = app.decision_due + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _postponable(team):
    app = team.in_review()
    new_due = app.decision_due + datetime.timedelta(days=42)
    return app, {"new_due": new_due.isoformat(), "reason": "Advies van een deskundige nodig."}, None


def _in_default(team):
    app = team.in_review()
    now = _later(app, 2)
    return app, {"received_on": now.date().isoformat()}, now


def _penalty_owed(team):
    """A notice of default the day after the term, the grant three weeks later: a penalty to fix (4:18)."""
    app, data, now = _in_default(team)
    app = act(app, "register_default_notice", team.reviewer, data, now=now)
    app = act(app, "propose_grant", team.reviewer, {"note": "Voldoet."}, now=_later(app, 20))
    app = act(app, "approve_decision", team.senior, now=_later(app, 21))
    return app, {"note": "Te laat beslist."}, _later(app, 22)


def _rejected(team):
    app = act(team.in_review(), "propose_rejection", team.reviewer, {"reason_code": "not_eligible", "note": "Nee."})
    app = act(app, "approve_decision", team.senior)
    today = timezone.localdate().isoformat()
    return app, {"received_on": today, "postmarked_on": today, "reason": "Per brief: ik voldoe wel."}, None


def _objected_with(data):
    def build(team):
        app, _decision, now = _objected(team)
        return app, data, now

    return build


CASES = {
    "start_review": ("reviewer", lambda t: (t.submitted(), {}, None)),
    "request_supplement": ("reviewer", lambda t: (t.in_review(), {"reason": "Het plan ontbreekt."}, None)),
    "declare_not_considered": ("reviewer", _supplement_expired),
    "propose_grant": ("reviewer", lambda t: (t.in_review(), {"note": "Voldoet."}, None)),
    "propose_rejection": ("reviewer", lambda t: (t.in_review(), {"reason_code": "not_eligible", "note": "N."}, None)),
    "approve_decision": ("senior", lambda t: (t.proposed(), {}, None)),
    "return_decision": ("senior", lambda t: (t.proposed(), {"note": "Bedrag nakijken."}, None)),
    "pay_advance": ("payer", lambda t: (t.granted(), {}, None)),
    "record_payment": ("payer", lambda t: (t.granted(), {}, None)),
    "confirm_payment": ("checker", _payment_recorded),
    "propose_settlement": ("reviewer", lambda t: (t.granted(), {"note": "Afgerond."}, None)),
    "approve_settlement": ("senior", _settlement_proposed),
    "revoke": ("reviewer", lambda t: (t.granted(), {"ground": "4:48-b", "reason": "Onterecht verleend."}, None)),
    "propose_tranche": ("reviewer", _tranche_due),
    "close": ("reviewer", _withdrawn),
    "propose_objection_decision": ("objection_handler", _objected),
    "decide_objection": ("objection_approver", _objection_proposed),
    "resume_review": ("reviewer", _supplement_long_expired),
    "postpone_decision": ("reviewer", _postponable),
    "register_default_notice": ("reviewer", _in_default),
    "fix_penalty": ("reviewer", _penalty_owed),
    "register_objection": ("reviewer", _rejected),
    "record_objection_hearing": ("objection_handler", _objected_with({"held_on": datetime.date.today().isoformat()})),
    "extend_objection_term": ("reviewer", _objected_with({"extension": "committee", "reason": "Advies gevraagd."})),
}


def snapshot(app: Application) -> tuple:
    app = Application.objects.get(pk=app.pk)
    return (
        app.state,
        app.version,
        app.amount_reserved,
        app.amount_committed,
        app.amount_paid,
        list(AuditEvent.objects.filter(application=app).values_list("id", flat=True)),
        list(Decision.objects.filter(application=app).values_list("id", "status")),
        list(Objection.objects.filter(application=app).values_list("id", "outcome")),
        list(Payment.objects.filter(application=app).values_list("id", "status")),
        LedgerEntry.objects.filter(application=app).count(),
    )


def test_every_staff_action_asks_for_the_declaration():
    """The rule lives in the declaration of who may act: a staff action cannot be added without it."""
    staff = [a for a in workflow.ACTIONS if not a.by_applicant]
    assert {a.name for a in staff} == set(CASES)
    assert all(a.who.declares for a in staff)
    assert not any(a.who.declares for a in workflow.ACTIONS if a.by_applicant)


@pytest.mark.parametrize("action", workflow.STAFF_ACTIONS)
def test_a_declared_conflict_blocks_every_staff_action_and_changes_nothing(action):
    team = Team()
    role, build = CASES[action]
    user = getattr(team, role)
    app, data, now = build(team)
    services.declare_conflict_of_interest(application=app, user=user, conflict=True, note="Mijn zwager werkt er.")
    before = snapshot(app)

    with pytest.raises(services.Forbidden) as refused:
        services.perform(app, action, user, data, now=now)
    assert CONFLICT in refused.value.detail
    assert snapshot(app) == before
    assert action not in services.available_actions(app, user)

    # the same act, once the user declares no conflict after all (audited), goes through
    services.declare_conflict_of_interest(application=app, user=user, conflict=False, note="Vergissing.")
    events = AuditEvent.objects.filter(application=app).count()
    app = services.perform(Application.objects.get(pk=app.pk), action, user, data, now=now)
    assert AuditEvent.objects.filter(application=app).order_by("id")[events].action == action


@pytest.mark.parametrize("action", workflow.STAFF_ACTIONS)
def test_no_staff_action_without_a_declaration(action):
    team = Team()
    user = getattr(team, CASES[action][0])
    app, data, now = CASES[action][1](team)
    Assessment.objects.filter(application=app, reviewer=user).delete()
    before = snapshot(app)
    with pytest.raises(services.Forbidden) as refused:
        services.perform(app, action, user, data, now=now)
    assert DECLARE_FIRST in refused.value.detail
    assert snapshot(app) == before


def test_the_replayed_attack_a_reviewer_with_a_conflict_requests_a_supplement_through_the_api():
    team = Team()
    app = team.in_review()
    api = APIClient()
    api.force_authenticate(team.reviewer)
    base = f"/api/v1/applications/{app.reference}/"
    declared = api.post(base + "conflict-of-interest/", {"conflict": True, "note": "Mijn broer."}, format="json")
    assert declared.status_code == 200  # it replaces the declaration made to take the case in review
    before = snapshot(app)
    answer = api.post(base + "actions/request_supplement/", {"reason": "Stuur uw plan."}, format="json")
    assert answer.status_code == 403
    assert CONFLICT in answer.json()["detail"]
    assert snapshot(app) == before
    assert api.get(base).json()["available_actions"] == []
    for action in ("propose_grant", "propose_rejection"):
        assert api.post(base + f"actions/{action}/", {"reason_code": "not_eligible"}, format="json").status_code == 403
    assert snapshot(app) == before


def test_the_replayed_attack_an_administrator_with_a_conflict_approves_a_grant():
    team = Team()
    app = team.proposed()
    services.declare_conflict_of_interest(
        application=app, user=team.administrator, conflict=True, note="Aandeelhouder."
    )
    before = snapshot(app)
    api = APIClient()
    api.force_authenticate(team.administrator)
    answer = api.post(f"/api/v1/applications/{app.reference}/actions/approve_decision/", {}, format="json")
    assert answer.status_code == 403 and CONFLICT in answer.json()["detail"]
    assert snapshot(app) == before


def test_an_administrator_with_a_conflict_cannot_approve_on_the_screens_either(client):
    team = Team()
    app = team.proposed()
    services.declare_conflict_of_interest(application=app, user=team.administrator, conflict=True)
    before = snapshot(app)
    client.force_login(team.administrator)
    case = client.get(f"/behandeling/aanvragen/{app.reference}/")
    assert case.status_code == 200
    assert 'value="approve_decision"' not in case.content.decode()
    client.post(
        f"/behandeling/aanvragen/{app.reference}/actie/",
        {"action": "approve_decision", "version": app.version},
    )
    decision = app.decisions.get(status="proposed")
    client.post("/behandeling/besluiten/beslissen/", {"decision": [decision.pk], "verdict": "approve"})
    assert snapshot(app) == before
    assert Decision.objects.get(pk=decision.pk).status == "proposed"


def test_a_changed_declaration_is_audited_with_its_old_and_new_value():
    team = Team()
    app = team.in_review()  # the reviewer declared no conflict to take it
    services.declare_conflict_of_interest(application=app, user=team.reviewer, conflict=True, note="Mijn zwager.")
    services.declare_conflict_of_interest(application=app, user=team.reviewer, conflict=False, note="Toch niet.")
    events = AuditEvent.objects.filter(application=app, action__startswith="declare").order_by("id")
    assert [(e.action, e.changes, e.reason) for e in events] == [
        ("declare_no_conflict", {"declaration": [None, "no_conflict"]}, ""),
        ("declare_conflict", {"declaration": ["no_conflict", "conflict"]}, "Mijn zwager."),
        ("declare_no_conflict", {"declaration": ["conflict", "no_conflict"]}, "Toch niet."),
    ]
    assert all(e.actor == team.reviewer for e in events)


def test_a_hearing_and_a_payment_are_acts_on_the_case_too():
    team = Team()
    app = team.in_review()
    services.declare_conflict_of_interest(application=app, user=team.reviewer, conflict=True)
    with pytest.raises(services.Forbidden) as refused:
        hearing.send_intent(app, team.reviewer, "U voldoet niet aan de voorwaarden.")
    assert CONFLICT in refused.value.detail
    assert not app.events.filter(action="send_intent").exists()

    granted = team.granted()
    advance = granted.payments.get(kind="advance")
    services.declare_conflict_of_interest(application=granted, user=team.payer, conflict=True)
    with pytest.raises(services.Forbidden):
        services.record_payment(payment=advance, user=team.payer)
    advance.refresh_from_db()
    assert advance.status == "due"


def test_the_second_reviewer_declares_before_reading_the_first_reviewer_s_checks_and_scores(client):
    team = Team()
    tender = f.open_opening(f.slim_scheme(code="slim-tender"), distribution="tender", code="slim-tender-nu")
    team.reviewer.schemes.add(tender.scheme)
    team.senior.schemes.add(tender.scheme)
    app = act(team.submitted(tender), "start_review", team.reviewer)
    scores = {
        key: {"score": 7, "justification": f"Onderbouwing {key}."}
        for key in ("innovation", "effect", "quality", "reach")
    }
    services.record_assessment(
        application=app,
        user=team.reviewer,
        checklist={"kvk": True, "budget": False},
        scores=scores,
        note="Begroting nakijken.",
    )
    client.force_login(team.senior)
    url = f"/behandeling/aanvragen/{app.reference}/"
    before = client.get(url).content.decode()
    assert "Onderbouwing innovation." not in before and "Begroting nakijken." not in before
    api = APIClient()
    api.force_authenticate(team.senior)
    assert api.get(f"/api/v1/applications/{app.reference}/assessment/").json() == []

    declare_no_conflict(app, team.senior)
    after = client.get(url).content.decode()
    assert "Onderbouwing innovation." in after and "Begroting nakijken." in after
    assert "De begroting is realistisch" in after  # the check by its label
    seen = {a["reviewer"]: a for a in api.get(f"/api/v1/applications/{app.reference}/assessment/").json()}
    assert seen["behandelaar"]["checklist"]["budget"] is False
    assert seen["behandelaar"]["scores"]["reach"]["justification"] == "Onderbouwing reach."


def test_the_clocks_act_without_a_declaration():
    """The law acts, not a person: the daily clocks propose a late settlement ex officio; a person approves."""
    team = Team()
    app = team.granted()
    Assessment.objects.filter(application=app).update(conflict_declared=True, no_conflict_declared_at=None)
    assert clock_job.remind_settlement_overdue(app.settlement_due + datetime.timedelta(days=1)) == 1  # its last term
    day = clocks.ex_officio_settlement_from(app.settlement_due)
    assert clock_job.settle_ex_officio(day)["settled_ex_officio_late"] == 1
    app.refresh_from_db()
    assert app.state == State.SETTLEMENT_PROPOSED
    assert app.pending_decision().proposed_by is None
    with pytest.raises(services.Forbidden):  # approving it is a person's act: the senior declared a conflict
        services.perform(app, "approve_settlement", team.senior)
