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

from schemes.loader import load_catalogue, read_catalogue
from schemes.models import KPI, Distribution, KPIMeasurement, Opening, Scheme, Shape, TranchePlanItem

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


def test_techkwadraat_is_351_6_million_of_which_145_8_unconditional_and_the_rest_gated(catalogue):
    scheme = Scheme.objects.get(code="ngf-techkwadraat")
    assert scheme.shape == Shape.PROGRAMME
    assert scheme.programme_total == Decimal("351600000.00")

    first, second = TranchePlanItem.objects.filter(scheme=scheme, opening=None).order_by("number")
    assert (first.number, first.amount, first.gated) == (1, Decimal("145800000.00"), False)
    assert second.gated is True
    assert second.amount == Decimal("205800000.00")
    assert second.review_date == datetime.date(2027, 6, 30)
    assert first.amount + second.amount == scheme.programme_total


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
    _entry(entries, "ngf-techkwadraat")["tranche_plan"][1]["review_date"] = "2027-09-30"

    report = load_catalogue(entries)

    assert "ngf-techkwadraat/tranche-2" in report.changed
    item = TranchePlanItem.objects.get(scheme__code="ngf-techkwadraat", opening=None, number=2)
    assert item.review_date == datetime.date(2027, 9, 30)
