"""Programmes: tranches planned, due, released and withheld, and KPIs against their targets, as of a date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from applications import services
from applications.models import Role
from reporting.queries import kpi_report
from schemes.models import KPI, KPIMeasurement, Opening, Scheme, TranchePlanItem
from tests.factories import act

from .story import at, make_user, organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(db):
    scheme = Scheme.objects.create(
        code="techkwadraat-rapport",
        name="Techkwadraat (rapporttest)",
        reference_prefix="TKR",
        owner="Ministerie van OCW",
        executing_agency="RVO",
        agdb_pillar=1,
        shape="programme",
        unit_label="consortium",
        unit_amount=None,
        programme_total=Decimal("10000000.00"),
        decision_term_weeks=22,
    )
    opening = Opening.objects.create(
        scheme=scheme,
        code="techkwadraat-rapport-2024",
        name="Techkwadraat ronde 2024",
        opens_at=at(3, 1, 9),
        closes_at=at(3, 31, 17),
        budget_ceiling=Decimal("10000000.00"),
        distribution="fcfs",
    )
    TranchePlanItem.objects.create(
        scheme=scheme,
        opening=opening,
        number=1,
        label="Onvoorwaardelijk",
        amount=Decimal("400"),
        planned_date=datetime.date(2024, 6, 1),
    )
    TranchePlanItem.objects.create(
        scheme=scheme,
        opening=opening,
        number=2,
        label="Na KPI-beoordeling",
        amount=Decimal("600"),
        planned_date=datetime.date(2024, 9, 1),
        gated=True,
        review_kind="KPI-beoordeling",
        review_date=datetime.date(2024, 8, 1),
    )
    kpi = KPI.objects.create(
        scheme=scheme,
        code="leerlingen",
        name="Leerlingen bereikt",
        unit="leerlingen",
        baseline_year=2023,
        baseline_value=Decimal("1000"),
        target_year=2030,
        target_value=Decimal("5000"),
    )
    KPIMeasurement.objects.create(
        kpi=kpi, period="2024-H1", measured_on=datetime.date(2024, 7, 1), value=Decimal("2000")
    )
    KPIMeasurement.objects.create(
        kpi=kpi, period="2024-H2", measured_on=datetime.date(2024, 12, 31), value=Decimal("3000")
    )
    school = organisation("12000001", "ROC Consortium", "onderwijs", "large", "noord-brabant")
    lead = make_user("penvoerder", Role.APPLICANT, school)
    reviewer = make_user("behandelaar-p", Role.REVIEWER, schemes=[scheme])
    senior = make_user("senior-p", Role.SENIOR_REVIEWER, schemes=[scheme])
    app = services.create_draft(
        user=lead,
        opening=opening,
        data={"truthfulness_declared": True, "requested_amount": "1000000.00"},
        now=at(3, 4, 9),
    )
    app = act(app, "submit", lead, now=at(3, 4))
    app = act(app, "start_review", reviewer, now=at(3, 11))
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    app = act(app, "propose_grant", reviewer, now=at(4, 15))
    app = act(app, "approve_decision", senior, now=at(4, 20))
    return {"scheme": scheme, "opening": opening, "app": app, "reviewer": reviewer, "senior": senior}


def test_tranches_as_of_each_moment_of_the_programme(programme):
    # The grant of € 1.000.000 is split 40/60 over the plan: € 400.000 unconditional, € 600.000 gated on 1 August.
    report = kpi_report("scheme", "techkwadraat-rapport", "2024-05-01")
    assert report["tranches"]["planned"] == {"count": 2, "amount": "1000000.00"}
    assert report["tranches"]["due"]["count"] == 0
    report = kpi_report("scheme", "techkwadraat-rapport", "2024-08-02")
    assert report["tranches"]["due"] == {"count": 1, "amount": "600000.00"}
    assert report["tranches"]["planned"] == {"count": 1, "amount": "400000.00"}

    app = act(
        programme["app"],
        "propose_tranche",
        programme["reviewer"],
        {"tranche": 2, "release": True, "kpi_values": {"leerlingen": 2000}},
        now=at(8, 5),
    )
    act(app, "approve_decision", programme["senior"], now=at(8, 7))
    assert kpi_report("scheme", "techkwadraat-rapport", "2024-08-06")["tranches"]["due"]["count"] == 1
    after = kpi_report("scheme", "techkwadraat-rapport", "2024-08-08")["tranches"]
    assert after["released"] == {"count": 1, "amount": "600000.00"} and after["due"]["count"] == 0
    # before the grant there were no tranches at all
    assert kpi_report("scheme", "techkwadraat-rapport", "2024-04-19")["tranches"]["planned"]["count"] == 0


def test_kpis_against_baseline_and_target(programme):
    # baseline 1.000 (2023), target 5.000 (2030): 2.000 realised by mid 2024 is 25 % of the way; 3.000 is 50 %.
    (kpi,) = kpi_report("scheme", "techkwadraat-rapport", "2024-08-01")["kpis"]
    assert (kpi["baseline"], kpi["target"], kpi["realised"], kpi["period"]) == (
        "1000.00",
        "5000.00",
        "2000.00",
        "2024-H1",
    )
    assert kpi["progress_pct"] == 25.0
    (kpi,) = kpi_report("scheme", "techkwadraat-rapport", "2025-01-15")["kpis"]
    assert kpi["realised"] == "3000.00" and kpi["progress_pct"] == 50.0
    (kpi,) = kpi_report("scheme", "techkwadraat-rapport", "2024-03-01")["kpis"]
    assert kpi["realised"] is None and kpi["progress_pct"] is None


def test_a_programme_without_unit_target_is_warned_on_money(programme):
    # On 10 March (about 30 % of the window) € 1.000.000 of a € 10.000.000 ceiling is asked: 3,3 mln projected, red.
    early = kpi_report("opening", "techkwadraat-rapport-2024", "2024-03-10")["early_warning"]
    assert early["level"] == "red"
    assert Decimal(early["projected_amount"]) > Decimal("3000000")
