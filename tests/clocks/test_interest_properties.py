"""The statutory interest on a recovery paid late (Awb 4:98, 4:102; art. 6:119 BW), for any amount and dates
hypothesis can think of, and the examples a recipient can check by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from applications.interest import RATES, rate_on, statutory_interest

days = st.dates(min_value=datetime.date(2016, 1, 1), max_value=datetime.date(2034, 12, 31))
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000000.00"), places=2)
MAX_RATE = max(rate for _since, rate in RATES)


def test_a_year_at_seven_percent_on_3750_is_262_50():
    assert statutory_interest(Decimal("3750.00"), datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)) == Decimal(
        "262.50"
    )  # 365 days of 2024 at 7 %


def test_the_rate_that_changes_midway_is_used_from_its_date():
    # 2023: 4 % for 181 days, then 6 % for 184 days, on € 10.000
    expected = (Decimal(10000) * Decimal("0.04") * 181 / 365 + Decimal(10000) * Decimal("0.06") * 184 / 365).quantize(
        Decimal("0.01")
    )
    assert statutory_interest(Decimal("10000.00"), datetime.date(2023, 1, 1), datetime.date(2024, 1, 1)) == expected
    assert rate_on(datetime.date(2023, 6, 30)) == Decimal("0.04") and rate_on(datetime.date(2023, 7, 1)) == Decimal(
        "0.06"
    )


def test_after_a_full_year_the_interest_bears_interest():
    """2 % a year on € 100.000 from 1 July 2016: € 2.000 the first year, then 2 % on € 102.000."""
    start = datetime.date(2016, 7, 1)
    first = statutory_interest(Decimal("100000.00"), start, datetime.date(2017, 7, 1))
    two = statutory_interest(Decimal("100000.00"), start, datetime.date(2018, 7, 1))
    assert first == Decimal("2000.00")
    assert two == Decimal("2000.00") + Decimal("2040.00")


@given(amounts, days, days)
def test_never_negative_and_nothing_before_it_starts(principal, start, end):
    owed = statutory_interest(principal, start, end)
    assert owed >= 0
    assert owed == owed.quantize(Decimal("0.01"))  # in cents
    if end <= start:
        assert owed == 0


@given(amounts, days, st.integers(0, 3000), st.integers(1, 400))
def test_later_is_never_less(principal, start, length, more):
    end = start + datetime.timedelta(days=length)
    assert statutory_interest(principal, start, end + datetime.timedelta(days=more)) >= statutory_interest(
        principal, start, end
    )


@given(amounts, amounts, days, st.integers(1, 3000))
def test_more_owed_is_never_less_interest(a, b, start, length):
    end = start + datetime.timedelta(days=length)
    low, high = sorted((a, b))
    assert statutory_interest(low, start, end) <= statutory_interest(high, start, end)


@given(amounts, days, st.integers(1, 364))
def test_within_a_year_it_is_simple_interest_within_the_rates_known(principal, start, length):
    end = start + datetime.timedelta(days=length)
    owed = statutory_interest(principal, start, end)
    lowest = min(rate for _since, rate in RATES)
    assert (
        principal * lowest * length / 365 - Decimal("0.01")
        <= owed
        <= principal * MAX_RATE * length / 365 + Decimal("0.01")
    )


@given(amounts, days, st.integers(1, 3000))
def test_never_more_than_compounding_at_the_highest_rate(principal, start, length):
    end = start + datetime.timedelta(days=length)
    years = length // 365 + 1
    bound = principal * ((1 + MAX_RATE) ** years - 1) + Decimal("0.01") * years
    assert statutory_interest(principal, start, end) <= bound


def test_the_rates_change_only_on_1_january_or_1_july_and_by_at_most_two_points():
    """The Besluit vaststelling wettelijke rente: half-yearly, whole percents, a change of two points at most."""
    for (_before, old), (since, new) in zip(RATES, RATES[1:], strict=False):
        assert (since.month, since.day) in ((1, 1), (7, 1))
        assert abs(new - old) <= Decimal("0.02") and new != old
        assert (new * 100) == (new * 100).to_integral_value()
    assert rate_on(datetime.date(2025, 6, 30)) == Decimal("0.06")
    assert rate_on(datetime.date(2025, 7, 1)) == Decimal("0.05")  # ECB 2,40 % + 2,25 = 4,65 → 5 %
    assert rate_on(datetime.date(2026, 12, 3)) == Decimal("0.04")  # ECB 2,15 % + 2,25 = 4,40 → 4 %
