"""The one computation of an amount (``Rules``) and the Dutch formats of money and dates."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemes.formatting import datum, datum_tijd, euro, getal
from schemes.rules import Rules, to_money
from tests.factories import OpeningFactory, SchemeFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OMSCHOLING = Rules(
    shape="per_unit",
    unit_label="traject",
    unit_amount=Decimal("3750.00"),
    min_unit_cost=Decimal("7500.00"),
    max_units_per_applicant=6,
)
SLIM = Rules(
    shape="share_of_costs",
    unit_label="project",
    percentage=Decimal("60"),
    min_eligible_costs=Decimal("5000.00"),
    max_amount=Decimal("24999.00"),
    max_amount_partnership=Decimal("500000.00"),
    de_minimis=True,
)
PROGRAMME = Rules(shape="programme", max_amount=Decimal("12000000.00"))

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2)


# --- euro and datum ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("34600000"), "€ 34.600.000,00"),
        (Decimal("3750"), "€ 3.750,00"),
        (Decimal("22500.5"), "€ 22.500,50"),
        (Decimal("999.99"), "€ 999,99"),
        (Decimal("0"), "€ 0,00"),
        (Decimal("-1250.00"), "-€ 1.250,00"),
        (Decimal("-0.5"), "-€ 0,50"),
        (Decimal("0.006"), "€ 0,01"),
        (Decimal("1234.564"), "€ 1.234,56"),
        (Decimal("1234.566"), "€ 1.234,57"),
        (Decimal("999999.999"), "€ 1.000.000,00"),
        (73000000, "€ 73.000.000,00"),
        ("24333333.33", "€ 24.333.333,33"),
    ],
)
def test_euro_is_written_the_dutch_way(value, expected):
    assert euro(value) == expected


def test_euro_without_cents_and_for_nothing():
    assert euro(Decimal("34600000"), cents=False) == "€ 34.600.000"
    assert euro(None) == "—"


def test_datum_writes_the_month_in_dutch():
    assert datum(datetime.date(2021, 9, 1)) == "1 september 2021"
    assert datum(datetime.date(2021, 12, 1)) == "1 december 2021"
    assert datum(None) == "—"


def test_datum_of_a_moment_is_the_date_in_amsterdam():
    # 23:30 UTC on 31 August is already 1 September in Amsterdam.
    moment = datetime.datetime(2021, 8, 31, 23, 30, tzinfo=datetime.UTC)
    assert datum(moment) == "1 september 2021"
    assert datum_tijd(datetime.datetime(2021, 9, 1, 9, 0, tzinfo=AMSTERDAM)) == "1 september 2021 09:00"


def test_to_money_reads_a_plain_amount_and_refuses_letters():
    assert to_money("8000") == Decimal("8000.00")
    assert to_money("€ 7500.5") == Decimal("7500.50")
    with pytest.raises(ValueError, match="is geen bedrag"):
        to_money("acht")
    with pytest.raises(ValueError, match="is geen bedrag"):
        to_money("NaN")


# --- per unit ----------------------------------------------------------------


def test_six_trajecten_of_8000_give_6_times_3750():
    result = OMSCHOLING.compute(unit_costs=[Decimal("8000.00")] * 6)
    assert result.ok
    assert result.amount == Decimal("22500.00")
    assert result.steps == ["6 × € 3.750,00 per traject = € 22.500,00"]


def test_seven_trajecten_are_refused_and_the_refusal_names_the_maximum():
    result = OMSCHOLING.compute(unit_costs=[Decimal("8000.00")] * 7)
    assert not result.ok
    assert result.errors_by_field()["units"] == [
        "U vraagt 7 trajecten aan; per aanvrager mogen het er ten hoogste 6 zijn."
    ]


def test_each_traject_under_the_minimum_cost_is_named():
    result = OMSCHOLING.compute(unit_costs=[Decimal("8000.00"), Decimal("7000.00"), Decimal("7499.99")])
    assert set(result.errors_by_field()) == {"units.1.cost", "units.2.cost"}
    assert "Traject 2 kost € 7.000,00" in result.errors_by_field()["units.1.cost"][0]


def test_no_trajecten_at_all_is_refused():
    assert OMSCHOLING.compute(unit_costs=[]).errors_by_field()["units"] == ["Voeg minstens één traject toe."]


# --- share of costs ----------------------------------------------------------


def test_slim_pays_60_percent_and_rounds_down_to_the_cent():
    result = SLIM.compute(eligible_costs=Decimal("10000.01"))
    assert result.amount == Decimal("6000.00")


def test_slim_a_partnership_has_its_own_maximum():
    assert SLIM.compute(eligible_costs=Decimal("1000000.00"), partnership=True).amount == Decimal("500000.00")
    assert SLIM.compute(eligible_costs=Decimal("1000000.00")).amount == Decimal("24999.00")


def test_share_of_costs_needs_positive_costs():
    assert SLIM.compute(eligible_costs=None).errors_by_field() == {"eligible_costs": ["Vul de subsidiabele kosten in."]}
    assert not SLIM.compute(eligible_costs=Decimal("0")).ok


# --- programme ---------------------------------------------------------------


def test_a_programme_award_is_the_requested_amount_within_the_maximum():
    assert PROGRAMME.compute(requested_amount=Decimal("12000000.00")).amount == Decimal("12000000.00")
    refused = PROGRAMME.compute(requested_amount=Decimal("12000000.01"))
    assert refused.errors_by_field()["requested_amount"] == [
        "U vraagt € 12.000.000,01; het maximum is € 12.000.000,00."
    ]


# --- rules as data -----------------------------------------------------------


def test_rules_survive_a_round_trip_through_json():
    assert Rules.from_dict(SLIM.to_dict()) == SLIM
    assert SLIM.to_dict()["percentage"] == "60"


def test_explain_says_what_one_can_get_in_dutch():
    assert OMSCHOLING.explain() == [
        "€ 3.750,00 per traject",
        "elk traject kost minstens € 7.500,00",
        "ten hoogste 6 trajecten per aanvrager",
    ]
    assert "60 % van de subsidiabele kosten" in SLIM.explain()
    assert "de-minimissteun: ten hoogste € 300.000,00 in drie jaar" in SLIM.explain()


@pytest.mark.django_db
def test_an_opening_is_published_with_a_frozen_copy_of_its_schemes_rules():
    opening = OpeningFactory(scheme=SchemeFactory(unit_amount=Decimal("3750.00")))
    opening.scheme.unit_amount = Decimal("5000.00")
    opening.scheme.save()
    opening.refresh_from_db()

    assert opening.published_rules.unit_amount == Decimal("3750.00")
    assert opening.scheme.current_rules().unit_amount == Decimal("5000.00")


# --- properties --------------------------------------------------------------


@given(
    unit_amount=money,
    unit_costs=st.lists(st.decimals(min_value=Decimal("7500"), max_value=Decimal("100000"), places=2), min_size=1),
)
def test_the_per_unit_amount_is_always_units_times_the_unit_amount(unit_amount, unit_costs):
    rules = Rules(shape="per_unit", unit_amount=unit_amount, min_unit_cost=Decimal("7500.00"))
    result = rules.compute(unit_costs=unit_costs)
    assert result.ok
    assert result.amount == (unit_amount * len(unit_costs)).quantize(Decimal("0.01"))


@given(
    percentage=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
    max_amount=money,
    eligible_costs=money,
    partnership=st.booleans(),
)
def test_the_share_of_costs_never_exceeds_the_maximum_nor_the_percentage_of_costs(
    percentage, max_amount, eligible_costs, partnership
):
    rules = Rules(shape="share_of_costs", percentage=percentage, max_amount=max_amount)
    result = rules.compute(eligible_costs=eligible_costs, partnership=partnership)
    assert Decimal("0") <= result.amount <= max_amount
    assert result.amount <= eligible_costs * percentage / 100
    assert result.amount == result.amount.quantize(Decimal("0.01"))


def test_a_figure_reads_the_dutch_way_without_trailing_zeros():
    assert getal(8500) == "8.500" and getal("1234567.25") == "1.234.567,25" and getal("12.50") == "12,5"
    assert getal(Decimal("-7600")) == "-7.600" and getal("65") == "65" and getal(0) == "0"
    assert getal(None) == "—" and getal("veel") == "veel"  # a value that is no number is shown as given
