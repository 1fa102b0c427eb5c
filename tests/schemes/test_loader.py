"""The catalogue loader puts every scheme of SCHEMES.md in the database, idempotently."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from schemes.loader import load_catalogue, read_catalogue
from schemes.models import (
    KPI,
    Distribution,
    KPIMeasurement,
    Opening,
    ProgrammeGate,
    Scheme,
    Shape,
    TranchePlanItem,
)

pytestmark = pytest.mark.django_db

SCHEME_CODES = {
    "omscholing",
    "mkbidee",
    "slim",
    "ngf-pps",
    "ngf-techkwadraat",
    "microchip-talent",
    "praktijkleren-klimaatfonds",
}
OPENING_CODES = {
    "ngf-techkwadraat-2025",
    "omscholing-2021",
    "omscholing-2022",
    "mkbidee-2018",
    "mkbidee-2019",
    "mkbidee-2020",
    "mkbidee-2021",
    "slim-2025",
    "slim-2026",
    "slim-2027",
}


def _entry(entries: list[dict], code: str) -> dict:
    return next(entry for entry in entries if entry["code"] == code)


def _load_command(*args) -> str:
    out = StringIO()
    call_command("load_regelingen", *args, stdout=out)
    return out.getvalue()


def test_every_scheme_and_opening_of_the_catalogue_is_loaded(catalogue):
    assert set(Scheme.objects.values_list("code", flat=True)) == SCHEME_CODES
    assert set(Opening.objects.values_list("code", flat=True)) == OPENING_CODES


def test_omscholing_2021_carries_the_figures_of_the_seed(catalogue):
    scheme = Scheme.objects.get(code="omscholing")
    assert scheme.shape == Shape.PER_UNIT
    assert scheme.unit_amount == Decimal("3750.00")
    assert scheme.min_unit_cost == Decimal("7500.00")
    assert scheme.max_units_per_applicant == 6
    assert scheme.intermediaries_allowed is False
    assert scheme.target_units == 19000

    opening = Opening.objects.get(code="omscholing-2021")
    assert opening.budget_ceiling == Decimal("34600000.00")
    assert opening.distribution == Distribution.FCFS
    assert opening.capacity_units == 9000
    assert opening.opens_at.date() == datetime.date(2021, 9, 1)
    assert opening.rules["unit_amount"] == "3750.00"
    assert opening.rules["max_units_per_applicant"] == 6


def test_techkwadraats_205_8_million_is_the_programmes_held_back_until_the_2027_kpi_review(catalogue):
    # € 351,6 mln, of which € 145,8 mln unconditional; the other € 205,8 mln is the programme's, reviewed in 2027
    # (001:L20-22) — not 58,5 % of every consortium's award.
    scheme = Scheme.objects.get(code="ngf-techkwadraat")
    assert scheme.shape == Shape.PROGRAMME
    assert scheme.programme_total == Decimal("351600000.00")
    lines = {line.code: line for line in scheme.budget_lines.select_related("gate")}
    assert lines["onvoorwaardelijk"].amount == Decimal("145800000.00")
    held_back = lines["voorwaardelijk"]
    assert (held_back.amount, held_back.purpose, held_back.gate.code) == (
        Decimal("205800000.00"),
        "conditional",
        "kpi-beoordeling-2027",
    )
    assert held_back.gate.review_date.year == 2027
    assert sum(line.amount for line in lines.values()) == scheme.programme_total
    # every award is one unconditional tranche at its start: no award carries a piece of the programme's gate
    (only,) = TranchePlanItem.objects.filter(scheme=scheme, opening=None)
    assert (only.offset_months, only.gated, only.gate) == (0, False, None)


def test_techkwadraats_first_round_is_a_tender_with_minimum_score_6_closed_13_january_2025(catalogue):
    opening = Opening.objects.get(code="ngf-techkwadraat-2025")
    assert opening.scheme.code == "ngf-techkwadraat"
    assert (opening.distribution, opening.min_score) == (Distribution.TENDER, Decimal("6.00"))
    assert timezone.localtime(opening.closes_at).date() == datetime.date(2025, 1, 13)
    assert "57 aanvragen" in opening.notes
    assert opening.rules["decision_term_from"] == "close"


def test_pps_has_30_million_for_programme_management_and_three_tranches_from_each_awards_start(catalogue):
    scheme = Scheme.objects.get(code="ngf-pps")
    assert scheme.programme_start_year == 2023  # 004:L265-267
    lines = {line.code: line for line in scheme.budget_lines.all()}
    assert (lines["programmamanagement"].amount, lines["programmamanagement"].purpose) == (
        Decimal("30000000.00"),
        "management",
    )
    assert sum(line.amount for line in lines.values()) == Decimal("210000000.00")
    # the equal split over the tranches is not in the source: marked as an assumption
    assert lines["pps-jaren-5-6"].assumption and lines["pps-jaren-5-6"].gate.code == "evaluatie-2026"
    plan = list(TranchePlanItem.objects.filter(scheme=scheme, opening=None).order_by("number"))
    assert [(i.offset_months, i.planned_date, i.gated) for i in plan] == [
        (0, None, False),
        (24, None, False),
        (48, None, True),
    ]
    assert all(i.assumption for i in plan)
    assert plan[2].gate.code == "evaluatie-2026" and plan[2].review_kind == "evaluatie"


def test_slim_2025_to_2027_split_73_million(catalogue):
    openings = Opening.objects.filter(code__in=["slim-2025", "slim-2026", "slim-2027"])
    assert openings.count() == 3
    assert openings.aggregate(total=Sum("budget_ceiling"))["total"] == Decimal("73000000.00")
    assert set(openings.values_list("distribution", flat=True)) == {Distribution.LOTTERY}


def test_mkbidee_editions_2018_to_2021_add_up_to_26_8_million(catalogue):
    openings = Opening.objects.filter(scheme__code="mkbidee")
    assert sorted(openings.values_list("code", flat=True)) == [
        "mkbidee-2018",
        "mkbidee-2019",
        "mkbidee-2020",
        "mkbidee-2021",
    ]
    assert openings.aggregate(total=Sum("budget_ceiling"))["total"] == Decimal("26800000.00")
    assert set(openings.values_list("distribution", flat=True)) == {Distribution.TENDER}


def test_ngf_pps_kpis_and_their_measurements_are_loaded(catalogue):
    kpi = KPI.objects.get(scheme__code="ngf-pps", code="studenten")
    assert kpi.target_value == Decimal("50000")
    assert list(kpi.measurements.values_list("value", flat=True)) == [Decimal("550"), Decimal("11000")]


def test_each_pps_kpi_has_a_definition_a_unit_a_kind_and_a_source(catalogue):
    kpis = KPI.objects.filter(scheme__code="ngf-pps")
    assert kpis.count() == 4
    for kpi in kpis:
        assert kpi.definition and kpi.unit and kpi.source
        assert kpi.kind == "additional"  # the targets are "+8.500" and so on against 2021 (000:L1335-1341)


def test_the_2024_figures_are_loaded_as_what_they_counted_not_as_extra(catalogue):
    # 8.500 private partners in total (001:L425) and 7.600 workers involved in LLO (001:L426)
    partners = KPIMeasurement.objects.get(kpi__scheme__code="ngf-pps", kpi__code="bedrijven", period="rapportage 2024")
    assert (partners.value, partners.kind, partners.comparable) == (Decimal("8500"), "total", False)
    llo = KPIMeasurement.objects.get(kpi__scheme__code="ngf-pps", kpi__code="werkenden", period="rapportage 2024")
    assert llo.kind == "total" and "betrokken bij LLO" in llo.measured_as and not llo.comparable
    students = KPIMeasurement.objects.get(kpi__scheme__code="ngf-pps", kpi__code="studenten", period="rapportage 2024")
    assert students.comparable  # 11.000 more a year is extra reach: progress on the +50.000


def test_the_command_loads_the_catalogue_and_a_second_run_changes_nothing_and_says_so(db):
    first = _load_command()
    assert "aangemaakt: omscholing-2021" in first
    counts = (
        Scheme.objects.count(),
        Opening.objects.count(),
        TranchePlanItem.objects.count(),
        KPI.objects.count(),
        KPIMeasurement.objects.count(),
    )
    ceiling_before = Opening.objects.get(code="omscholing-2021").budget_ceiling

    second = _load_command()

    assert "Niets gewijzigd" in second
    assert "aangemaakt" not in second and "bijgewerkt" not in second
    assert (
        Scheme.objects.count(),
        Opening.objects.count(),
        TranchePlanItem.objects.count(),
        KPI.objects.count(),
        KPIMeasurement.objects.count(),
    ) == counts
    assert Opening.objects.get(code="omscholing-2021").budget_ceiling == ceiling_before


def test_a_second_load_reports_nothing_changed(catalogue):
    report = load_catalogue(read_catalogue())
    assert report.nothing_changed
    assert report.created == [] and report.changed == []
    assert SCHEME_CODES | OPENING_CODES <= set(report.unchanged)


def test_an_opening_keeps_its_published_rules_when_the_scheme_changes(catalogue):
    published = dict(Opening.objects.get(code="omscholing-2021").rules)
    entries = copy.deepcopy(read_catalogue())
    omscholing = _entry(entries, "omscholing")
    omscholing["unit_amount"] = "4000.00"
    omscholing["max_units_per_applicant"] = 10

    report = load_catalogue(entries)

    scheme = Scheme.objects.get(code="omscholing")
    assert "omscholing" in report.changed
    assert scheme.unit_amount == Decimal("4000.00")
    assert scheme.max_units_per_applicant == 10
    opening = Opening.objects.get(code="omscholing-2021")
    assert opening.rules == published
    assert opening.published_rules.unit_amount == Decimal("3750.00")
    assert opening.published_rules.max_units_per_applicant == 6


def test_an_opening_added_after_the_scheme_changed_is_published_with_the_new_rules(catalogue):
    entries = copy.deepcopy(read_catalogue())
    omscholing = _entry(entries, "omscholing")
    omscholing["unit_amount"] = "4000.00"
    omscholing["openings"].append(
        {
            "code": "omscholing-2023",
            "name": "Omscholingsregeling 2023",
            "opens_at": "2023-04-01T09:00",
            "closes_at": "2023-12-01T17:00",
            "budget_ceiling": "10000000.00",
            "distribution": "fcfs",
        }
    )

    load_catalogue(entries)

    assert Opening.objects.get(code="omscholing-2023").rules["unit_amount"] == "4000.00"
    assert Opening.objects.get(code="omscholing-2021").rules["unit_amount"] == "3750.00"


def test_a_changed_figure_in_the_file_is_updated(db, tmp_path):
    _load_command()
    entries = read_catalogue()
    _entry(_entry(entries, "omscholing")["openings"], "omscholing-2021")["budget_ceiling"] = "34625000.00"
    _entry(entries, "slim")["max_amount"] = "20000.00"
    changed_file = tmp_path / "regelingen.yaml"
    changed_file.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")

    output = _load_command("--file", str(changed_file))

    assert "bijgewerkt: omscholing-2021" in output
    assert "bijgewerkt: slim" in output
    assert "Niets gewijzigd" not in output
    assert Opening.objects.get(code="omscholing-2021").budget_ceiling == Decimal("34625000.00")
    assert Scheme.objects.get(code="slim").max_amount == Decimal("20000.00")
    # Nothing else moved.
    assert Opening.objects.get(code="omscholing-2022").budget_ceiling == Decimal("40000000.00")
    assert Opening.objects.count() == len(OPENING_CODES)


def test_a_changed_tranche_in_the_file_is_updated(catalogue):
    entries = copy.deepcopy(read_catalogue())
    _entry(entries, "ngf-pps")["tranche_plan"][2]["offset_months"] = 54

    report = load_catalogue(entries)

    assert "ngf-pps/tranche-3" in report.changed
    item = TranchePlanItem.objects.get(scheme__code="ngf-pps", opening=None, number=3)
    assert item.offset_months == 54 and item.gate.code == "evaluatie-2026"


def test_a_moved_gate_in_the_file_is_updated_and_a_tranche_naming_an_unknown_gate_is_refused(catalogue):
    entries = copy.deepcopy(read_catalogue())
    _entry(entries, "ngf-pps")["gates"][0]["review_date"] = "2026-09-30"
    report = load_catalogue(entries)
    assert "ngf-pps/gate-evaluatie-2026" in report.changed
    assert ProgrammeGate.objects.get(scheme__code="ngf-pps").review_date == datetime.date(2026, 9, 30)

    _entry(entries, "ngf-pps")["tranche_plan"][2]["gate"] = "evaluatie-2099"
    with pytest.raises(ProgrammeGate.DoesNotExist):
        load_catalogue(entries)
    assert TranchePlanItem.objects.get(scheme__code="ngf-pps", opening=None, number=3).gate.code == "evaluatie-2026"
