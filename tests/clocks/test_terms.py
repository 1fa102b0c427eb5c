"""Where the decision term starts (a scheme's rule), how long a supplement suspends it (Awb 4:15), and that an
application waiting for the applicant is never late."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from applications import clocks
from applications.review import selectors as review_selectors
from applications.selectors import deadlines
from applications.states import State
from reporting.queries import kpi_report
from schemes.models import Distribution
from tests.factories import OpeningFactory, SchemeFactory, act, submitted, team_for

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def overdue_in_queue(user) -> list[str]:
    return [a.reference for a in review_selectors.queue(user, review_selectors.QueueFilters(overdue=True)).rows]


# --- 4:15: a supplement suspends until it arrives or its term expires, whichever is first -----------------


def test_a_supplement_26_days_late_suspends_the_term_14_days_not_40():
    with freeze_time("2024-03-04 10:00:00+01:00"):  # a Monday
        team = team_for()
        app = submitted(team["opening"], team["employer"])
        act(app, "start_review", team["reviewer"])
    assert app.decision_due == D(2024, 4, 29)  # eight weeks
    app = act(
        app,
        "request_supplement",
        team["reviewer"],
        {"reason": "Het opleidingsplan ontbreekt.", "due_days": 14},
        now=at(D(2024, 3, 11)),
    )
    request = app.supplement_requests.get()
    assert request.due_date == D(2024, 3, 25)
    # until it arrives the due date assumes the whole term is used: 14 days
    assert app.decision_due == D(2024, 5, 13)
    app = act(app, "supplement", team["employer"], {"note": "Hierbij, te laat."}, now=at(D(2024, 4, 20)))
    request.refresh_from_db()
    assert (request.answered_on - request.due_date).days == 26
    assert request.days_suspended == 14  # not the 40 days from the request to the answer
    assert app.suspended_days == 14
    assert app.decision_due == D(2024, 5, 13)  # 29 April + 14 days, not 10 June


def test_a_supplement_in_time_suspends_the_days_it_took():
    with freeze_time("2024-03-04 10:00:00+01:00"):
        team = team_for()
        app = submitted(team["opening"], team["employer"])
        act(app, "start_review", team["reviewer"])
    app = act(app, "request_supplement", team["reviewer"], {"reason": "Offerte."}, now=at(D(2024, 3, 11)))
    app = act(app, "supplement", team["employer"], {"note": "Hier."}, now=at(D(2024, 3, 16)))
    assert app.suspended_days == 5
    assert app.decision_due == D(2024, 5, 6)  # 29 April + 5 days = 4 May, a Saturday; 5 May a holiday (Atw)


# --- 4:13: where the term starts is the scheme's rule ------------------------------------------------------


@pytest.fixture
def slim_2026():
    """SLIM 2026: a lottery after the window closes on 1 January 2027; the decision term runs from the close."""
    scheme = SchemeFactory(slim=True, decision_term_from=clocks.TERM_FROM_CLOSE)
    return OpeningFactory(
        scheme=scheme,
        code="slim-2026-test",
        opens_at=at(D(2026, 1, 1), 0),
        closes_at=at(D(2027, 1, 1), 0),
        distribution=Distribution.LOTTERY,
        budget_ceiling=Decimal("24333333.33"),
    )


def test_a_slim_application_is_not_overdue_before_its_lottery_and_is_after_the_term_from_the_close(slim_2026):
    with freeze_time("2026-03-02 10:00:00+01:00"):
        team = team_for(slim_2026)
        app = submitted(slim_2026, team["employer"])
        act(app, "start_review", team["reviewer"])
    # eight weeks from the close of the window (1 January 2027), not from submission (27 April 2026)
    assert app.decision_due == D(2027, 2, 26)
    with freeze_time("2026-05-01 10:00:00+02:00"):  # eight weeks after submission: the window is still open
        assert overdue_in_queue(team["reviewer"]) == []
        assert kpi_report("opening", slim_2026.code, "2026-05-01")["overdue"] == 0
        due = next(d for d in deadlines(app) if d.label == "Uiterste beslisdatum")
        assert due.due == D(2027, 2, 26)
        assert "na het sluiten van de openstelling" in due.note
    with freeze_time("2027-03-01 10:00:00+01:00"):  # the lottery ran, this one is still undecided: late now
        assert overdue_in_queue(team["reviewer"]) == [app.reference]
        assert kpi_report("opening", slim_2026.code, "2027-03-01")["overdue"] == 1


def test_from_submission_is_the_default_of_the_awb():
    with freeze_time("2026-03-02 10:00:00+01:00"):
        team = team_for()
        app = submitted(team["opening"], team["employer"])
    assert app.opening.published_rules.decision_term_from == clocks.TERM_FROM_SUBMISSION
    assert app.decision_due == D(2026, 4, 28)  # 27 April is King's Day


def test_from_completeness_a_supplement_starts_the_term_anew_without_adding_the_suspension():
    scheme = SchemeFactory(decision_term_from=clocks.TERM_FROM_COMPLETENESS)
    with freeze_time("2024-03-04 10:00:00+01:00"):
        team = team_for(OpeningFactory(scheme=scheme))
        app = submitted(team["opening"], team["employer"])
        act(app, "start_review", team["reviewer"])
    app = act(app, "request_supplement", team["reviewer"], {"reason": "Offerte."}, now=at(D(2024, 3, 11)))
    app = act(app, "supplement", team["employer"], {"note": "Hier."}, now=at(D(2024, 3, 18)))
    assert app.decision_due == D(2024, 5, 13)  # eight weeks from 18 March


def test_a_date_the_scheme_names_for_the_window():
    scheme = SchemeFactory(decision_term_from=clocks.TERM_FROM_DATE)
    with freeze_time("2026-03-02 10:00:00+01:00"):
        opening = OpeningFactory(scheme=scheme, decision_term_starts_on=D(2026, 6, 1))
        team = team_for(opening)
        app = submitted(opening, team["employer"])
    assert app.decision_due == D(2026, 7, 27)


def test_a_supplement_before_the_close_does_not_suspend_a_term_that_has_not_started(slim_2026):
    with freeze_time("2026-03-02 10:00:00+01:00"):
        team = team_for(slim_2026)
        app = submitted(slim_2026, team["employer"])
        act(app, "start_review", team["reviewer"])
    app = act(app, "request_supplement", team["reviewer"], {"reason": "KVK."}, now=at(D(2026, 3, 9)))
    app = act(app, "supplement", team["employer"], {"note": "Hier."}, now=at(D(2026, 3, 16)))
    assert app.supplement_requests.get().days_suspended == 0
    assert app.decision_due == D(2027, 2, 26)


# --- suspended is not overdue and runs no penalty ------------------------------------------------------------


def test_waiting_for_the_applicant_is_not_late_and_runs_no_penalty():
    with freeze_time("2024-03-04 10:00:00+01:00"):
        team = team_for()
        app = submitted(team["opening"], team["employer"])
        act(app, "start_review", team["reviewer"])
    app = act(
        app, "request_supplement", team["reviewer"], {"reason": "Offerte.", "due_days": 90}, now=at(D(2024, 4, 22))
    )
    assert app.state == State.SUPPLEMENT_REQUESTED
    # the stored date was the old one before the request, in the file the notice of default was received
    type(app).objects.filter(pk=app.pk).update(decision_due=D(2024, 4, 29), default_notice_on=D(2024, 5, 1))
    with freeze_time("2024-06-01 10:00:00+02:00"):
        assert overdue_in_queue(team["reviewer"]) == []
        report = kpi_report("opening", team["opening"].code, "2024-06-01")
        assert report["overdue"] == 0
        assert report["penalty_exposure"]["amount"] == "0.00"
