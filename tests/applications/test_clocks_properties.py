"""Properties of the law's clocks and of money, for any input hypothesis can think of."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications import clocks
from applications.states import State
from schemes.rules import Rules, to_money
from tests import factories as f
from tests.factories import act

# The equated days of Atw art. 3 lid 3 are data in the database (the migration seeds 2026 and 2027).
pytestmark = pytest.mark.django_db

days = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2035, 12, 31))
periods = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 90)), max_size=6)  # (gap before, length)


def suspensions(complete_on: datetime.date, plan: list[tuple[int, int]]) -> list[int]:
    """Each supplement period as the services count it: from the request to the answer."""
    out, day = [], complete_on
    for gap, length in plan:
        requested = day + datetime.timedelta(days=gap)
        answered = requested + datetime.timedelta(days=length)
        out.append(clocks.suspension_days(requested, answered))
        day = answered
    return out


@given(days, st.integers(1, 26), periods, st.integers(0, 56))
def test_decision_due_is_completeness_plus_term_plus_suspensions_rolled_to_a_working_day(
    complete_on, weeks, plan, postponed
):
    suspended = sum(suspensions(complete_on, plan))
    due = clocks.decision_due(complete_on, term_weeks=weeks, suspended_days=suspended, postponed_days=postponed)
    raw = complete_on + datetime.timedelta(weeks=weeks, days=suspended + postponed)
    assert due == clocks.next_working_day(raw)
    assert clocks.is_working_day(due)
    assert raw <= due < raw + datetime.timedelta(days=7)
    unsuspended = clocks.decision_due(complete_on, term_weeks=weeks, postponed_days=postponed)
    assert due >= unsuspended


@given(days, st.integers(1, 26), st.integers(0, 400), st.integers(0, 400))
def test_decision_due_is_monotone_in_suspended_days(complete_on, weeks, a, b):
    low, high = sorted((a, b))
    assert clocks.decision_due(complete_on, term_weeks=weeks, suspended_days=low) <= clocks.decision_due(
        complete_on, term_weeks=weeks, suspended_days=high
    )


@given(days)
def test_next_working_day_never_lands_on_a_weekend_or_holiday(day):
    result = clocks.next_working_day(day)
    assert result.weekday() < 5
    assert result not in clocks.atw_holidays(result.year)
    assert result >= day
    skipped = [day + datetime.timedelta(days=i) for i in range((result - day).days)]
    assert not any(clocks.is_working_day(d) for d in skipped)  # the first working day, not a later one


def test_known_holidays_roll_on():
    assert clocks.next_working_day(datetime.date(2021, 12, 25)) == datetime.date(2021, 12, 27)
    assert clocks.next_working_day(datetime.date(2025, 4, 27)) == datetime.date(2025, 4, 28)  # Koningsdag, Sunday
    assert clocks.next_working_day(datetime.date(2026, 4, 27)) == datetime.date(2026, 4, 28)  # Koningsdag
    # the fifth of May every year (Atw art. 3 lid 1), not only in lustrum years
    assert not clocks.is_working_day(datetime.date(2021, 5, 5))
    assert not clocks.is_working_day(datetime.date(2025, 5, 5))


@given(st.integers(-10, 400), st.integers(-10, 400))
def test_penalty_is_monotone_and_capped_at_42_days(a, b):
    low, high = sorted((a, b))
    assert clocks.penalty(low) <= clocks.penalty(high)
    assert clocks.penalty(high) <= Decimal("1442")
    if high >= 42:
        assert clocks.penalty(high) == Decimal("1442")


def test_penalty_rates_per_fortnight():
    assert clocks.penalty(1) == 23
    assert clocks.penalty(14) == 14 * 23
    assert clocks.penalty(15) == 14 * 23 + 35
    assert clocks.penalty(29) == 14 * 23 + 14 * 35 + 45
    assert clocks.penalty(0) == clocks.penalty(-3) == 0


# --- money -------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("10000000"), allow_nan=False, allow_infinity=False)


@given(st.one_of(amounts, st.integers(0, 10**9), st.floats(0, 1e7, allow_nan=False).map(lambda x: f"{x:.4f}")))
def test_money_always_has_two_places(value):
    money = to_money(value)
    assert isinstance(money, Decimal)
    assert money.as_tuple().exponent == -2


@given(
    amounts.filter(lambda d: d > 0),
    st.decimals(min_value=Decimal("1"), max_value=Decimal("100"), places=2),
    st.one_of(st.none(), st.decimals(min_value=Decimal("1"), max_value=Decimal("500000"), places=2)),
)
def test_share_of_costs_never_exceeds_the_percentage_nor_the_maximum(costs, pct, maximum):
    costs = to_money(costs)
    rules = Rules(shape="share_of_costs", percentage=pct, max_amount=maximum)
    result = rules.compute(eligible_costs=costs)
    assert isinstance(result.amount, Decimal) and result.amount.as_tuple().exponent == -2
    assert result.amount <= costs * pct / 100
    if maximum is not None:
        assert result.amount <= maximum
    assert result.amount >= 0


@given(st.lists(st.decimals(min_value=Decimal("7500"), max_value=Decimal("50000"), places=2), min_size=1, max_size=6))
def test_per_unit_is_units_times_the_amount_per_unit(costs):
    rules = Rules(shape="per_unit", unit_amount=Decimal("3750.00"), min_unit_cost=Decimal("7500.00"))
    result = rules.compute(unit_costs=costs)
    assert result.ok
    assert result.amount == Decimal("3750.00") * len(costs)
    assert result.amount.as_tuple().exponent == -2


# --- the clock as the services run it ------------------------------------------------------


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.integers(0, 10), st.integers(1, 30)), min_size=1, max_size=3))
def test_the_stored_decision_due_counts_every_supplement_period(opening, reviewer, plan):

    user = f.employer()
    start = timezone.now()
    app = f.draft(opening, user)
    app = act(app, "submit", user, now=start)
    app = act(app, "start_review", reviewer, now=start)
    moment = start
    for gap, length in plan:
        moment += datetime.timedelta(days=gap)
        app = act(app, "request_supplement", reviewer, {"reason": "Plan.", "due_days": 60}, now=moment)
        moment += datetime.timedelta(days=length)
        app = act(app, "supplement", user, {"note": "Hier."}, now=moment)
    assert app.state == State.IN_REVIEW
    complete_on = clocks.local_date(start)
    suspended = sum(r.days_suspended for r in app.supplement_requests.all())
    assert suspended == sum(
        clocks.suspension_days(r.requested_on, r.answered_on) for r in app.supplement_requests.all()
    )
    assert app.suspended_days == suspended
    assert app.decision_due == clocks.decision_due(complete_on, term_weeks=8, suspended_days=suspended)
    assert app.decision_due >= clocks.decision_due(complete_on, term_weeks=8)
