"""Properties of the terms and the penalty, for any dates hypothesis can think of (Awb 4:13-4:18)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from applications import clocks

pytestmark = pytest.mark.django_db  # the equated days of Atw art. 3 lid 3 are data

days = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2035, 12, 31))
FULL = Decimal("1442")  # 14 × € 23 + 14 × € 35 + 14 × € 45


@given(days, st.integers(1, 90), st.integers(0, 400), days)
def test_a_suspension_is_never_longer_than_the_term_given_for_the_supplement(requested, term, late, start):
    due = clocks.supplement_due(requested, term)
    answered = requested + datetime.timedelta(days=late)
    suspended = clocks.suspension_days(requested, answered, due_on=due, term_start=start)
    assert 0 <= suspended <= (due - requested).days
    assert suspended <= max(0, (answered - requested).days)
    if start <= requested and answered >= due:
        assert suspended == (due - requested).days  # unused: the whole term, and not a day more


@given(
    days,
    st.integers(0, 60),
    st.integers(0, 120),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 60)), max_size=4),
)
def test_the_penalty_never_exceeds_42_days_worth(term_due, after, until, pauses):
    notice = term_due + datetime.timedelta(days=1 + after)
    today = notice + datetime.timedelta(days=until)
    paused = tuple(
        (notice + datetime.timedelta(days=offset), notice + datetime.timedelta(days=offset + length))
        for offset, length in pauses
    )
    n = clocks.penalty_days(notice, today, term_due=term_due, paused=paused)
    assert 0 <= n <= clocks.PENALTY_MAX_DAYS
    assert clocks.penalty(n) <= FULL
    # never before two weeks after the notice, and without pauses exactly the calendar days since (Atw not applied)
    start = clocks.in_default_after(notice, term_due)
    if today <= start:
        assert n == 0
    if not paused:
        assert n == min(max(0, (today - start).days), 42)


@given(days, st.integers(0, 200), st.integers(0, 200))
def test_the_penalty_only_grows_with_time_and_pauses_only_lower_it(notice, a, b):
    early, late = sorted((notice + datetime.timedelta(days=a), notice + datetime.timedelta(days=b)))
    assert clocks.penalty_days(notice, early) <= clocks.penalty_days(notice, late)
    pause = ((notice + datetime.timedelta(days=15), notice + datetime.timedelta(days=25)),)
    assert clocks.penalty_days(notice, late, paused=pause) <= clocks.penalty_days(notice, late)


@given(days, days, st.sampled_from(clocks.TERM_STARTS), st.one_of(st.none(), days))
def test_a_term_never_starts_before_the_application_was_received(submitted, closes, rule, named):
    start = clocks.decision_term_start(
        rule, submitted_on=submitted, complete_on=submitted, closes_on=closes, named_on=named
    )
    assert start >= submitted
    if rule == clocks.TERM_FROM_CLOSE:
        assert start == max(submitted, closes)
    if rule == clocks.TERM_FROM_SUBMISSION:
        assert start == submitted


def test_a_penalty_decision_is_due_two_weeks_after_the_last_day():
    last = clocks.penalty_last_day(datetime.date(2024, 5, 1), datetime.date(2024, 4, 29), datetime.date(2024, 6, 20))
    assert last == datetime.date(2024, 6, 19)
    assert clocks.penalty_fixing_due(last) == datetime.date(2024, 7, 3)
    capped = clocks.penalty_last_day(datetime.date(2024, 5, 1), datetime.date(2024, 4, 29), None)
    assert capped == datetime.date(2024, 6, 26)  # the 42nd day from 16 May
