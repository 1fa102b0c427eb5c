"""Programmes: tranches planned, due, released and withheld, and KPIs against their targets, as of a date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.criteria import TENDER_CRITERIA
from applications.models import Role, Tranche
from demo import seed as demo_seed
from reporting.queries import kpi_report
from schemes.models import KPI, KPIMeasurement, Opening, Scheme, TranchePlanItem, add_months
from tests import factories as f
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


# --- the NGF programmes as the catalogue declares them ---------------------------------------------


def pps_award(year: int, name: str, *, code: str | None = None):
    """A partnership of the real PPS programme granted € 12 mln in March of ``year``."""
    scheme = Scheme.objects.get(code="ngf-pps")
    opening = Opening.objects.filter(code=code or f"ngf-pps-{year}").first() or Opening.objects.create(
        scheme=scheme,
        code=code or f"ngf-pps-{year}",
        name=f"Opschaling PPS {year}",
        opens_at=timezone.make_aware(datetime.datetime(year, 1, 1, 9)),
        closes_at=timezone.make_aware(datetime.datetime(year, 12, 1, 17)),
        budget_ceiling=Decimal("180000000.00"),
        distribution="fcfs",
    )
    lead = f.employer(f.OrganisationFactory(name=name, sector="onderwijs"))
    reviewer = f.staff(Role.REVIEWER, [scheme])
    senior = f.staff(Role.SENIOR_REVIEWER, [scheme])

    def on(day):
        return timezone.make_aware(datetime.datetime(year, 3, day, 10))

    app = services.create_draft(
        user=lead, opening=opening, data={"truthfulness_declared": True, "requested_amount": "12000000.00"}, now=on(2)
    )
    app = act(app, "submit", lead, now=on(2))
    app = act(app, "start_review", reviewer, now=on(3))
    app = act(app, "propose_grant", reviewer, now=on(5))
    return act(app, "approve_decision", senior, now=on(10)), reviewer, senior


def kpi(report: dict, code: str) -> dict:
    return next(k for k in report["kpis"] if k["code"] == code)


def test_the_pps_report_shows_the_programme_its_30_million_for_management_and_the_2026_evaluation(catalogue):
    (pps,) = kpi_report("scheme", "ngf-pps", "2026-01-15")["programmes"]
    assert (pps["total"], pps["start_year"]) == ("210000000.00", 2023)
    lines = {line["code"]: line for line in pps["budget_lines"]}
    assert lines["programmamanagement"]["amount"] == "30000000.00"
    assert lines["programmamanagement"]["purpose"] == "management" and not lines["programmamanagement"]["assumption"]
    assert lines["pps-jaren-5-6"]["assumption"] and lines["pps-jaren-5-6"]["gate"] == "evaluatie-2026"
    assert pps["budget_lines_total"] == "210000000.00" and pps["unassigned"] == "0.00"
    assert [(t["offset_months"], t["gated"], t["assumption"]) for t in pps["tranche_plan"]] == [
        (0, False, True),
        (24, False, True),
        (48, True, True),
    ]
    (gate,) = pps["gates"]
    assert (gate["code"], gate["review_kind"], gate["passed"]) == ("evaluatie-2026", "evaluatie", False)
    assert gate["releases_budget"] == "60000000.00"


def test_the_pps_2024_figures_are_no_100_percent_and_workers_in_llo_are_not_extra_trained(catalogue):
    report = kpi_report("scheme", "ngf-pps", "2025-06-30")
    companies = kpi(report, "bedrijven")
    # progress on +8.500 comes from the last count of extra companies (+440), not from 8.500 partners in total
    assert companies["kind"] == "additional" and companies["definition"]
    assert (companies["realised"], companies["period"], companies["progress_pct"]) == (
        "440.00",
        "eerste rapportage",
        5.18,
    )
    assert companies["latest"]["value"] == "8500.00" and companies["latest"]["kind"] == "total"
    assert companies["latest"]["comparable"] is False and companies["latest"]["progress_pct"] is None
    workers = kpi(report, "werkenden")
    assert workers["realised"] == "1600.00" and workers["progress_pct"] == 7.62  # 1.600 of +21.000
    assert "betrokken bij LLO" in workers["latest"]["measured_as"] and workers["latest"]["progress_pct"] is None
    students = kpi(report, "studenten")
    assert (students["realised"], students["progress_pct"]) == ("11000.00", 22.0)  # 11.000 of +50.000
    assert kpi(report, "extra-geld")["progress_pct"] == 11.33  # € 34 mln of + € 300 mln


def test_the_pps_page_shows_gates_and_kpis_without_the_100_percent_misread(client, catalogue):
    manager = f.staff(Role.PROGRAM_MANAGER, [Scheme.objects.get(code="ngf-pps")])
    client.force_login(manager)
    html = client.get(reverse("reporting:scheme", args=["ngf-pps"]), {"as_of": "2025-06-30"}).content.decode()
    assert "Evaluatie 2026, vóór de financiering van de laatste twee jaar" in html
    assert "€ 30.000.000,00" in html and "Programmamanagement en monitoring" in html
    assert "48 maanden na de start" in html and "aanname" in html
    assert "private partners betrokken, in totaal — geen voortgang op het doel" in html
    assert "werkenden betrokken bij LLO-programma&#x27;s (niet: extra geschoold) — geen voortgang op het doel" in html
    assert ">100,00<" not in html and ">36,19<" not in html


def test_each_pps_reports_its_own_kpis_at_its_gate(catalogue):
    first, reviewer, senior = pps_award(2023, "ROC Techniek Oost", code="ngf-pps-ronde")
    second, reviewer2, senior2 = pps_award(2023, "Hogeschool Zorg West", code="ngf-pps-ronde")
    for app, rev, sen, companies in ((first, reviewer, senior, "120"), (second, reviewer2, senior2, "75")):
        Tranche.objects.filter(application=app, number=3).update(review_date=timezone.localdate())
        app = act(app, "propose_tranche", rev, {"tranche": 3, "release": True, "kpi_values": {"bedrijven": companies}})
        act(app, "approve_decision", sen)
    report = kpi_report("scheme", "ngf-pps")
    own = {m["organisation"]: (m["value"], m["progress_pct"]) for m in kpi(report, "bedrijven")["by_award"]}
    # each partnership's own count, as extra companies: on the programme's +8.500
    assert own == {"ROC Techniek Oost": ("120.00", 1.41), "Hogeschool Zorg West": ("75.00", 0.88)}
    # the programme-wide figure is not their sum: it stays the programme's own measurement
    assert kpi(report, "bedrijven")["realised"] == "440.00"
    (gate,) = report["programmes"][0]["gates"]
    assert gate["releases_tranches"]["released"] == {"count": 2, "amount": "8000000.00"}


def test_techkwadraats_205_8_million_waits_for_the_programmes_2027_review_not_in_each_award(catalogue):
    scheme = Scheme.objects.get(code="ngf-techkwadraat")
    opening = Opening.objects.get(code="ngf-techkwadraat-2025")
    reviewer = f.staff(Role.REVIEWER, [scheme])
    senior = f.staff(Role.SENIOR_REVIEWER, [scheme])
    lead = f.employer(f.OrganisationFactory(name="Leerecosysteem Twente", sector="onderwijs"))
    on = timezone.make_aware(datetime.datetime(2025, 1, 6, 10))
    app = services.create_draft(
        user=lead, opening=opening, data={"truthfulness_declared": True, "requested_amount": "2000000.00"}, now=on
    )
    app = act(app, "submit", lead, now=on)
    app = act(app, "start_review", reviewer, now=on + datetime.timedelta(days=10))
    scores = {code: {"score": 8, "justification": "Sterk plan."} for code, _ in TENDER_CRITERIA["programme"]}
    services.record_assessment(application=app, user=reviewer, scores=scores, now=on + datetime.timedelta(days=20))
    f.run_allocation(opening, reviewer, senior)  # the round is ranked after its close, with the committee's advice
    app = act(app, "propose_grant", reviewer, now=on + datetime.timedelta(days=100))
    app = act(app, "approve_decision", senior, now=on + datetime.timedelta(days=150))
    (tranche,) = app.tranches.all()
    assert (tranche.amount, tranche.gated, tranche.planned_date) == (
        Decimal("2000000.00"),
        False,
        datetime.date(2025, 6, 5),
    )  # the whole award, at its start: no 58,5 % of it held back
    (tk,) = kpi_report("scheme", "ngf-techkwadraat", "2025-07-01")["programmes"]
    (gate,) = tk["gates"]
    assert (gate["code"], gate["review_date"], gate["releases_budget"]) == (
        "kpi-beoordeling-2027",
        "2027-12-31",
        "205800000.00",
    )
    assert all(v["count"] == 0 for v in gate["releases_tranches"].values())
    purposes = {line["code"]: (line["purpose"], line["amount"]) for line in tk["budget_lines"]}
    assert purposes == {
        "onvoorwaardelijk": ("awards", "145800000.00"),
        "voorwaardelijk": ("conditional", "205800000.00"),
    }


def test_the_demo_brings_a_pps_and_a_techkwadraat_award_with_tranches_and_their_own_kpis(catalogue, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = timezone.localdate()
    demo_seed.seed(today=today)
    pps = kpi_report("opening", "ngf-pps-demo")
    # the PPS granted today: its first tranche paid today, the next two counted from today, not from 2022/2024
    assert pps["tranches"]["released"]["count"] == 1 and pps["tranches"]["planned"]["count"] == 2
    app = Tranche.objects.filter(application__opening__code="ngf-pps-demo").first().application
    assert [t.planned_date for t in app.tranches.order_by("number")] == [
        today,
        add_months(today, 24),
        add_months(today, 48),
    ]
    schedule = [(r["number"], r["planned_date"], r["status"], r["gate"]) for r in pps["tranche_schedule"]]
    assert schedule == [
        (1, today.isoformat(), "released", None),
        (2, add_months(today, 24).isoformat(), "planned", None),
        (3, add_months(today, 48).isoformat(), "planned", "evaluatie-2026"),
    ]
    assert {k["code"]: len(k["by_award"]) for k in pps["kpis"]} == {
        "bedrijven": 1,
        "extra-geld": 1,
        "studenten": 1,
        "werkenden": 1,
    }
    (gate,) = pps["programmes"][0]["gates"]
    assert gate["releases_tranches"]["planned"]["count"] == 1  # the demo PPS's years 5-6 wait for the evaluation
    techkwadraat = kpi_report("opening", "ngf-techkwadraat-demo")
    assert techkwadraat["tranches"]["released"]["count"] == 1
    (demo_kpi,) = techkwadraat["kpis"]
    assert demo_kpi["code"] == "demo-leerlingen" and demo_kpi["by_award"][0]["value"] == "850.00"
    # the demo's own KPI never shows in the real scheme's report, nor do its awards
    real = kpi_report("scheme", "ngf-techkwadraat")
    assert real["kpis"] == [] and real["tranches"]["released"]["count"] == 0
    demo_seed.seed(today=today)  # a second run adds nothing
    assert Tranche.objects.filter(application__opening__code="ngf-pps-demo").count() == 3
