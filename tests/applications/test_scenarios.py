"""Scenarios per financial shape, in the words of the schemes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db.models import Sum
from django.utils import timezone
from freezegun import freeze_time

from applications import clock_job, services
from applications.models import AuditEvent, DeMinimisAid, Payment, Role, Tranche
from applications.services import Conflict, Invalid
from applications.services.tranches import release_due_tranches
from applications.states import State
from schemes import budget
from schemes.models import KPIMeasurement, LedgerEntry, Opening, TranchePlanItem
from tests import factories as f
from tests.factories import act, declare_no_conflict

DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.django_db


def ledger(opening, kind):
    return LedgerEntry.objects.filter(opening=opening, kind=kind).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def test_omscholing_two_trajecten_one_not_completed_half_recovered(opening, werkgever, reviewer, senior, senior2):
    app = f.draft(opening, werkgever, units=[f.traject(1), f.traject(2, cost="9000.00")])
    app = act(app, "submit", werkgever)
    assert app.state == State.SUBMITTED
    assert app.reference.startswith("OMS-")
    assert app.amount_requested == Decimal("7500.00")
    assert app.amount_reserved == Decimal("7500.00")
    app = act(app, "start_review", reviewer)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    app = act(app, "propose_grant", reviewer, {"note": "Twee trajecten naar ICT."})
    app = act(app, "approve_decision", senior)
    assert app.state == State.GRANTED
    assert app.amount_granted == Decimal("7500.00")
    advance = app.payments.get(kind=Payment.Kind.ADVANCE)
    assert advance.amount == Decimal("7500.00")  # 100 % advance
    payer, checker = f.payers(opening.scheme)
    app = act(app, "pay_advance", payer)
    assert app.amount_paid == Decimal("0.00")  # recorded: it counts once a second person confirms it
    app = act(app, "confirm_payment", checker)
    assert app.amount_paid == Decimal("7500.00")

    done, not_done = list(app.units.order_by("position"))
    app = act(app, "request_settlement", werkgever, {"units_completed": [done.id], "report": "Eén klaar."})
    assert app.state == State.SETTLEMENT_REQUESTED
    app = act(app, "propose_settlement", reviewer, {"note": "Eén traject niet afgerond."})
    assert app.pending_decision().amount == Decimal("3750.00")
    app = act(app, "approve_settlement", senior2)
    assert app.state == State.SETTLED
    assert app.amount_settled == Decimal("3750.00")
    recovery = app.payments.get(kind=Payment.Kind.RECOVERY)
    assert recovery.amount == Decimal("3750.00")
    assert recovery.status == Payment.Status.DUE

    services.record_payment(payment=recovery, user=payer)
    services.confirm_payment(payment=recovery, user=checker)
    app.refresh_from_db()
    assert app.amount_recovered == Decimal("3750.00")
    opening.refresh_from_db()
    assert opening.committed == Decimal("3750.00")
    assert opening.reserved == Decimal("0.00")
    assert opening.paid == Decimal("7500.00")
    assert opening.recovered == Decimal("3750.00")
    assert ledger(opening, "pay") == opening.paid
    assert ledger(opening, "recover") == opening.recovered
    assert ledger(opening, "commit") - ledger(opening, "decommit") == opening.committed
    assert ledger(opening, "reserve") - ledger(opening, "release") == opening.reserved
    assert list(app.units.order_by("position").values_list("status", flat=True)) == ["completed", "cancelled"]


def test_a_seventh_traject_is_refused(opening, werkgever):
    app = f.draft(opening, werkgever, units=[f.traject(i) for i in range(7)])
    with pytest.raises(Invalid) as refused:
        act(app, "submit", werkgever)
    assert "ten hoogste 6" in refused.value.detail
    app.refresh_from_db()
    assert app.state == State.DRAFT
    assert app.reference and app.queue_position is None
    assert not AuditEvent.objects.filter(application=app, action="submit").exists()
    opening.refresh_from_db()
    assert opening.reserved == 0 and opening.queue_length == 0


def test_a_traject_of_7000_is_refused(opening, werkgever):
    app = f.draft(opening, werkgever, units=[f.traject(1), f.traject(2, cost="7000.00")])
    with pytest.raises(Invalid) as refused:
        act(app, "submit", werkgever)
    assert "7.500" in refused.value.detail
    assert "units.1.cost" in refused.value.errors
    app.refresh_from_db()
    assert app.state == State.DRAFT


@pytest.fixture
def slim(db):
    scheme = f.slim_scheme()
    return scheme, f.open_opening(scheme)


def test_slim_at_60_percent_is_capped_at_24999(slim):
    scheme, opening = slim
    user = f.employer()
    app = f.submitted(opening, user, eligible_costs="30000.00")
    assert app.amount_requested == Decimal("18000.00")  # 60 % of € 30.000
    other = f.submitted(opening, f.employer(), eligible_costs="50000.00")
    assert other.amount_requested == Decimal("24999.00")  # 60 % = € 30.000, capped


def test_slim_second_application_in_the_same_window_is_refused(slim):
    scheme, opening = slim
    user = f.employer()
    first = f.draft(opening, user, eligible_costs="10000.00")
    second = f.draft(opening, user, eligible_costs="12000.00")  # both drafts made before either was submitted
    services.perform(first, "submit", user)
    with pytest.raises(Invalid) as refused:
        act(second, "submit", user)
    assert "al een aanvraag" in refused.value.detail
    second.refresh_from_db()
    assert second.state == State.DRAFT


def test_slim_second_application_after_withdrawing_the_first_is_allowed(slim):
    scheme, opening = slim
    user = f.employer()
    first = f.submitted(opening, user, eligible_costs="10000.00")
    act(first, "withdraw", user, {"reason": "Verkeerde kosten."})
    second = f.submitted(opening, user, eligible_costs="12000.00")
    assert second.state == State.SUBMITTED


def test_slim_de_minimis_breach_is_refused(slim):
    scheme, opening = slim
    user = f.employer()
    DeMinimisAid.objects.create(
        organisation=user.organisation,
        granted_on=opening.opens_at.date(),
        amount=Decimal("280000.00"),
        provider="Provincie Utrecht",
    )
    app = f.draft(opening, user, eligible_costs="40000.00")  # € 24.999 on top of € 280.000
    with pytest.raises(Invalid) as refused:
        act(app, "submit", user)
    assert "de-minimis" in refused.value.detail
    assert "de_minimis_declared" in refused.value.errors
    app.refresh_from_db()
    assert app.state == State.DRAFT


def test_slim_de_minimis_declared_on_the_form_counts(slim):
    scheme, opening = slim
    user = f.employer()
    app = f.draft(opening, user, eligible_costs="40000.00", de_minimis_declared="290000.00")
    with pytest.raises(Invalid):
        act(app, "submit", user)


def test_slim_grant_is_recorded_as_de_minimis_aid(slim):
    scheme, opening = slim
    reviewer = f.staff(Role.REVIEWER, [scheme])
    senior = f.staff(Role.SENIOR_REVIEWER, [scheme])
    user = f.employer()
    app = f.granted(opening, user, reviewer, senior, eligible_costs="10000.00")
    aid = DeMinimisAid.objects.get(application=app)
    assert aid.amount == Decimal("6000.00") and aid.declared is False
    assert app.payments.get(kind=Payment.Kind.ADVANCE).amount == Decimal("3000.00")  # 50 %


def test_a_grant_of_more_than_the_rules_give_is_refused(opening, werkgever, reviewer):
    app = f.in_review(opening, werkgever, reviewer)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    with pytest.raises(Invalid):
        act(app, "propose_grant", reviewer, {"amount": "7500.01"})
    app.refresh_from_db()
    assert app.state == State.IN_REVIEW


def test_ceiling_reached_at_grant_is_a_conflict(omscholing, werkgever, reviewer, senior):
    opening = f.open_opening(omscholing, code="klein", ceiling="7500.00", opens_at=timezone.now() - DAY * 30)
    first = f.submitted(opening, werkgever, at=timezone.now() - DAY * 2)
    second = f.submitted(opening, f.employer(), at=timezone.now() - DAY)  # crosses the ceiling, alone on its day
    clock_job.run(timezone.localdate())  # that day drawn: it stays in line
    act(first, "start_review", reviewer)
    act(first, "propose_grant", reviewer)
    act(second, "start_review", reviewer)
    second.refresh_from_db()
    assert second.over_ceiling is True and second.amount_reserved == 0
    services.declare_conflict_of_interest(application=second, user=reviewer, conflict=False)
    act(second, "propose_grant", reviewer)
    with pytest.raises(Conflict) as refused:
        act(second, "approve_decision", senior)
    assert "subsidieplafond" in refused.value.detail
    second.refresh_from_db()
    assert second.state == State.DECISION_PROPOSED
    act(first, "approve_decision", senior)
    opening.refresh_from_db()
    assert opening.committed == Decimal("7500.00") and opening.reserved == 0


@pytest.fixture
def techkwadraat(db):

    scheme = f.techkwadraat_scheme()
    opening = f.open_opening(scheme, ceiling="351600000.00")
    today = timezone.localdate()
    TranchePlanItem.objects.create(
        scheme=scheme, number=1, label="Onvoorwaardelijk deel", amount=Decimal("145800000.00"), planned_date=today
    )
    TranchePlanItem.objects.create(
        scheme=scheme,
        number=2,
        label="Voorwaardelijk deel, na KPI-beoordeling",
        amount=Decimal("205800000.00"),
        planned_date=today + datetime.timedelta(days=30),
        gated=True,
        review_kind="KPI-beoordeling",
        review_date=today,
    )
    team = {
        "reviewer": f.staff(Role.REVIEWER, [scheme], username="tk-behandelaar"),
        "senior": f.staff(Role.SENIOR_REVIEWER, [scheme], username="tk-senior"),
        "senior2": f.staff(Role.SENIOR_REVIEWER, [scheme], username="tk-senior2"),
    }
    return scheme, opening, team


def test_techkwadraat_unconditional_tranche_on_schedule_conditional_after_positive_kpi_review(techkwadraat):

    scheme, opening, team = techkwadraat
    penvoerder = f.employer(f.OrganisationFactory(name="ROC Techniek Oost"))
    app = f.granted(
        opening, penvoerder, team["reviewer"], team["senior"], requested_amount="3516000.00", is_partnership=True
    )
    assert app.amount_granted == Decimal("3516000.00")
    first, second = app.tranches.order_by("number")
    # the plan's 145,8 : 205,8 split, scaled to this award
    assert first.amount == Decimal("1458000.00") and not first.gated
    assert second.amount == Decimal("2058000.00") and second.gated
    assert first.amount + second.amount == app.amount_granted

    released = release_due_tranches()
    assert [t.pk for t in released] == [first.pk]
    assert release_due_tranches() == []  # idempotent
    first.refresh_from_db()
    assert first.status == Tranche.Status.RELEASED
    payment = Payment.objects.get(tranche=first)
    assert payment.kind == Payment.Kind.TRANCHE and payment.amount == Decimal("1458000.00")
    event = AuditEvent.objects.get(application=app, action="release_tranche")
    assert event.actor is None and event.actor_name == "systeem" and event.data["tranche"] == 1
    second.refresh_from_db()
    assert second.status == Tranche.Status.PLANNED  # gated: never on schedule alone

    kpis = {"bedrijven": 440, "leerlingen": 550, "werkenden": 1600}
    app = act(
        app,
        "propose_tranche",
        team["reviewer"],
        {"tranche": 2, "release": True, "kpi_values": kpis, "note": "KPI's gehaald."},
    )
    with pytest.raises(services.Forbidden):
        act(app, "approve_decision", team["reviewer"])
    app = act(app, "approve_decision", team["senior2"])
    assert app.state == State.GRANTED
    second.refresh_from_db()
    assert second.status == Tranche.Status.RELEASED
    # the values are the programme's KPIs, as numbers, and this consortium's own measurements of them
    assert second.kpi_values == {"bedrijven": "440", "leerlingen": "550", "werkenden": "1600"}
    own = {m.kpi.code: m.value for m in KPIMeasurement.objects.filter(application=app).select_related("kpi")}
    assert own == {"bedrijven": Decimal("440"), "leerlingen": Decimal("550"), "werkenden": Decimal("1600")}
    decision = app.decisions.get(kind="tranche_release")
    assert decision.proposed_by == team["reviewer"] and decision.approved_by == team["senior2"]
    assert Payment.objects.get(tranche=second).amount == Decimal("2058000.00")
    opening.refresh_from_db()
    assert opening.committed == Decimal("3516000.00")


def test_techkwadraat_conditional_tranche_withheld_after_negative_review_lowers_the_commitment(techkwadraat):

    scheme, opening, team = techkwadraat
    app = f.granted(opening, f.employer(), team["reviewer"], team["senior"], requested_amount="1000000.00")
    app = act(
        app, "propose_tranche", team["reviewer"], {"tranche": 2, "release": False, "kpi_values": {"bedrijven": 3}}
    )
    app = act(app, "approve_decision", team["senior"])
    second = app.tranches.get(number=2)
    assert second.status == Tranche.Status.WITHHELD
    assert app.amount_committed == app.amount_granted - second.amount
    opening.refresh_from_db()
    assert opening.committed == app.amount_committed


def test_tranche_release_without_kpi_values_is_refused(techkwadraat):
    scheme, opening, team = techkwadraat
    app = f.granted(opening, f.employer(), team["reviewer"], team["senior"], requested_amount="1000000.00")
    with pytest.raises(Invalid) as refused:
        act(app, "propose_tranche", team["reviewer"], {"tranche": 2, "release": True})
    assert "kpi_values" in refused.value.errors
    assert not app.decisions.filter(status="proposed").exists()


def test_the_real_omscholing_2021_opening_during_its_window(catalogue):
    """The catalogue's own omscholing-2021, on a day in October 2021."""

    with freeze_time("2021-10-04 10:00:00+02:00"):
        opening = Opening.objects.get(code="omscholing-2021")
        werkgever = f.employer(username="werkgever-2021")
        app = f.submitted(opening, werkgever)
        assert app.reference.startswith("OMS-2021-")
        assert app.amount_requested == Decimal("7500.00")
        # eight weeks from 4 October 2021: 29 November 2021, a Monday
        assert app.decision_due.isoformat() == "2021-11-29"
        fonds = f.UserFactory(role=Role.INTERMEDIARY, organisation=f.IntermediaryFactory())
        with pytest.raises(services.Forbidden) as refused:
            services.create_draft(user=fonds, opening=opening, organisation_kvk=werkgever.organisation.kvk)
        assert "intermediairs" in refused.value.detail  # the Omscholingsregeling had no intermediaries
    with freeze_time("2021-12-02 10:00:00+01:00"):
        with pytest.raises(Conflict):
            f.draft(opening, werkgever)


def test_slim_limits_are_checked_again_at_the_decision(slim):
    """De-minimis aid granted elsewhere after submission still stops the grant (same check, again)."""
    scheme, opening = slim
    reviewer = f.staff(Role.REVIEWER, [scheme])
    senior = f.staff(Role.SENIOR_REVIEWER, [scheme])
    user = f.employer()
    app = f.proposed_grant(opening, user, reviewer, eligible_costs="40000.00")
    DeMinimisAid.objects.create(
        organisation=user.organisation, granted_on=opening.opens_at.date(), amount=Decimal("290000.00"), provider="EZK"
    )
    with pytest.raises(Invalid) as refused:
        act(app, "approve_decision", senior)
    assert "de-minimis" in refused.value.detail
    app.refresh_from_db()
    assert app.state == State.DECISION_PROPOSED and app.amount_granted is None
    assert not DeMinimisAid.objects.filter(application=app).exists()
    opening.refresh_from_db()
    assert opening.committed == 0


def test_the_database_constraint_stops_an_overspend_the_python_check_missed(omscholing, werkgever, reviewer, senior):
    """Should ``fits`` ever be wrong, the check constraint refuses and nothing is booked."""

    opening = f.open_opening(omscholing, code="krap-plafond", ceiling="3750.00", opens_at=timezone.now() - DAY * 30)
    app = f.submitted(opening, werkgever, at=timezone.now() - DAY)  # € 7.500 on € 3.750: it waits in line
    clock_job.run(timezone.localdate())  # its day drawn: it is out, and still waits
    act(app, "start_review", reviewer)
    act(app, "propose_grant", reviewer)
    app = declare_no_conflict(app, senior)
    events = AuditEvent.objects.filter(application=app).count()
    with mock.patch.object(budget, "fits", return_value=True), pytest.raises(Conflict) as refused:
        act(app, "approve_decision", senior)
    assert "subsidieplafond" in refused.value.detail
    app.refresh_from_db()
    assert app.state == State.DECISION_PROPOSED and app.amount_committed == 0
    assert AuditEvent.objects.filter(application=app).count() == events
    opening.refresh_from_db()
    assert opening.committed == 0 and not LedgerEntry.objects.filter(opening=opening).exists()
    assert not app.payments.exists()
