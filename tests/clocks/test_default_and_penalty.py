"""Postponement (Awb 4:14), notice of default and penalty (4:17, 4:18), and the term to decide on a settlement
request: on concrete dates and amounts, through the services as a reviewer and an employer would."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from applications import services
from applications.errors import Conflict, Invalid
from applications.models import AuditEvent, DefaultNotice, Letter
from applications.review import selectors as review_selectors
from applications.selectors import deadlines, next_deadline
from applications.states import State
from reporting.queries import kpi_report
from tests.factories import OpeningFactory, SchemeFactory, act, granted, pdf_text, submitted, team_for

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def in_review_since_4_march_2024(opening=None) -> tuple[dict, object]:
    """Submitted on Monday 4 March 2024: eight weeks, the decision is due on 29 April 2024."""
    with freeze_time("2024-03-04 10:00:00+01:00"):
        team = team_for(opening)
        app = submitted(team["opening"], team["employer"])
        act(app, "start_review", team["reviewer"])
        services.declare_conflict_of_interest(application=app, user=team["reviewer"], conflict=False)
    assert app.decision_due == D(2024, 4, 29)
    return team, app


def grant_on(app, team, day: datetime.date):
    act(app, "propose_grant", team["reviewer"], {"note": "Voldoet."}, now=at(day, 9))
    return act(app, "approve_decision", team["senior"], now=at(day, 11))


# --- 4:14: postponement, with reasons and a new date, within the term ---------------------------------------


def test_a_postponement_within_the_term_moves_the_due_date_everywhere_and_sends_a_letter(
    django_capture_on_commit_callbacks,
):
    team, app = in_review_since_4_march_2024()
    with django_capture_on_commit_callbacks(execute=True):
        app = act(
            app,
            "postpone_decision",
            team["reviewer"],
            {"new_due": "2024-06-10", "reason": "Wij wachten op het advies van de sectorcommissie."},
            now=at(D(2024, 4, 22)),
        )
    assert app.state == State.IN_REVIEW
    assert app.decision_due == D(2024, 6, 10)
    assert app.postponed_days == 42
    event = AuditEvent.objects.get(application=app, action="postpone_decision")
    assert event.data["old_due"] == "2024-04-29" and event.data["new_due"] == "2024-06-10"
    text = pdf_text(Letter.objects.get(application=app, kind="postponement"))
    assert "10 juni 2024" in text and "29 april 2024" in text
    assert "advies van de sectorcommissie" in text
    assert "4:14" in text
    # the case screen, the portal and the queue read the same date
    with freeze_time("2024-05-01 10:00:00+02:00"):
        due = next(d for d in deadlines(app) if d.label == "Uiterste beslisdatum")
        assert due.due == D(2024, 6, 10) and "verdaagd met 42 dagen (Awb 4:14)" in due.note
        assert next_deadline(app).due == D(2024, 6, 10)
        queue = review_selectors.queue(team["reviewer"], review_selectors.QueueFilters(overdue=True))
        assert app.reference not in [a.reference for a in queue.rows]
        assert kpi_report("opening", team["opening"].code, "2024-05-01")["overdue"] == 0
    # a supplement asked later adds its days to the postponed date
    app = act(
        app, "request_supplement", team["reviewer"], {"reason": "Offerte.", "due_days": 14}, now=at(D(2024, 5, 6))
    )
    app = act(app, "supplement", team["employer"], {"note": "Hier."}, now=at(D(2024, 5, 13)))
    assert app.decision_due == D(2024, 6, 17)


def test_a_postponement_after_the_term_or_to_an_earlier_date_is_refused():
    team, app = in_review_since_4_march_2024()
    with pytest.raises(Invalid, match="na 29 april 2024"):
        act(app, "postpone_decision", team["reviewer"], {"new_due": "2024-04-20", "reason": "x"}, now=at(D(2024, 4, 2)))
    with pytest.raises(Conflict, match="binnen de beslistermijn"):
        act(
            app, "postpone_decision", team["reviewer"], {"new_due": "2024-06-10", "reason": "x"}, now=at(D(2024, 4, 30))
        )
    app.refresh_from_db()
    assert app.decision_due == D(2024, 4, 29) and app.postponed_days == 0


# --- 4:17, 4:18: notice of default, the penalty, owed after the decision, fixed by a decision --------------


def test_a_notice_of_default_runs_a_penalty_until_the_grant_and_a_4_18_decision_fixes_it(
    django_capture_on_commit_callbacks,
):
    team, app = in_review_since_4_march_2024()
    with pytest.raises(Conflict, match="pas na de uiterste beslisdatum"):
        act(app, "register_default_notice", team["reviewer"], {"received_on": "2024-04-29"}, now=at(D(2024, 4, 29)))
    with pytest.raises(Invalid, match="pas na de uiterste beslisdatum"):
        act(app, "register_default_notice", team["reviewer"], {"received_on": "2024-04-29"}, now=at(D(2024, 5, 2)))
    app = act(app, "register_default_notice", team["reviewer"], {"received_on": "2024-05-01"}, now=at(D(2024, 5, 2)))
    assert app.default_notice_on == D(2024, 5, 1)
    notice = DefaultNotice.objects.get(application=app)
    assert notice.term_due == D(2024, 4, 29)
    # in default from 16 May (two weeks after 1 May); on 1 June 17 days: 14 × € 23 + 3 × € 35
    with freeze_time("2024-06-01 10:00:00+02:00"):
        report = kpi_report("opening", team["opening"].code, "2024-06-01")
    assert report["penalty_exposure"] == {"applications": 1, "amount": "427.00"}
    assert report["penalty_owed"]["amount"] == "0.00"

    with django_capture_on_commit_callbacks(execute=True):
        app = grant_on(app, team, D(2024, 6, 20))
    notice.refresh_from_db()
    # the decision went out on 20 June: 35 days in default (16 May to 19 June), 14 × 23 + 14 × 35 + 7 × 45
    assert notice.ended_on == D(2024, 6, 20)
    assert notice.penalty_days == 35
    assert notice.amount_owed == Decimal("1127.00")
    assert app.default_notice_on is None
    with freeze_time("2024-06-21 10:00:00+02:00"):
        report = kpi_report("opening", team["opening"].code, "2024-06-21")
        assert report["penalty_exposure"]["amount"] == "0.00"  # no longer running ...
        assert report["penalty_owed"] == {"applications": 1, "amount": "1127.00", "fixed": "0.00"}  # ... but owed
        fix_by = next(d for d in deadlines(app) if d.label == "Dwangsom vaststellen uiterlijk")
        assert fix_by.due == D(2024, 7, 3)  # two weeks after 19 June, the last day owed

    assert "fix_penalty" in services.available_actions(app, team["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        app = act(app, "fix_penalty", team["reviewer"], {"note": "Te laat beslist."}, now=at(D(2024, 6, 24)))
    assert app.state == State.GRANTED
    notice.refresh_from_db()
    assert notice.fixed_on == D(2024, 6, 24) and notice.amount_owed == Decimal("1127.00")
    text = pdf_text(Letter.objects.get(application=app, kind="penalty"))
    assert "€ 1.127,00" in text and "35 dagen" in text
    assert "16 mei 2024" in text and "19 juni 2024" in text
    assert "7 × € 45,00 = € 315,00" in text
    assert "4:18" in text and "bezwaar" in text  # a decision, open to objection
    with freeze_time("2024-06-25 10:00:00+02:00"):
        report = kpi_report("opening", team["opening"].code, "2024-06-25")
    assert report["penalty_owed"] == {"applications": 1, "amount": "1127.00", "fixed": "1127.00"}
    with pytest.raises(Conflict, match="geen verbeurde dwangsom"):
        act(app, "fix_penalty", team["reviewer"], {}, now=at(D(2024, 6, 25)))


def test_the_penalty_stops_at_42_days_even_without_a_decision():
    team, app = in_review_since_4_march_2024()
    app = act(app, "register_default_notice", team["reviewer"], {"received_on": "2024-05-01"}, now=at(D(2024, 5, 2)))
    with freeze_time("2024-09-01 10:00:00+02:00"):
        report = kpi_report("opening", team["opening"].code, "2024-09-01")
    assert report["penalty_exposure"]["amount"] == "1442.00"  # 14 × 23 + 14 × 35 + 14 × 45
    # the 42nd day was 26 June: the 4:18 decision may come before the decision on the application
    app = act(app, "fix_penalty", team["reviewer"], {}, now=at(D(2024, 7, 1)))
    notice = DefaultNotice.objects.get(application=app)
    assert notice.penalty_days == 42 and notice.amount_owed == Decimal("1442.00")
    app = grant_on(app, team, D(2024, 9, 2))
    notice.refresh_from_db()
    assert notice.ended_on == D(2024, 9, 2) and notice.amount_owed == Decimal("1442.00")


def test_a_decision_within_the_two_weeks_owes_nothing():
    team, app = in_review_since_4_march_2024()
    app = act(app, "register_default_notice", team["reviewer"], {"received_on": "2024-05-01"}, now=at(D(2024, 5, 2)))
    app = grant_on(app, team, D(2024, 5, 14))
    notice = DefaultNotice.objects.get(application=app)
    assert notice.penalty_days == 0 and notice.amount_owed == Decimal("0")
    assert "fix_penalty" not in services.available_actions(app, team["reviewer"])


# --- the term for a settlement request: the scheme's, or eight weeks -----------------------------------------


def request_settlement_on(app, team, day):
    return act(
        app,
        "request_settlement",
        team["employer"],
        {"units_completed": list(app.units.values_list("id", flat=True))},
        now=at(day),
    )


def test_a_settlement_request_is_decided_within_eight_weeks_or_runs_a_penalty():
    with freeze_time("2024-03-04 10:00:00+01:00"):
        team = team_for()
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    app = request_settlement_on(app, team, D(2024, 9, 2))
    assert app.settlement_decision_due == D(2024, 10, 28)
    due = next(d for d in deadlines(app) if d.label == "Vaststelling uiterlijk")
    assert due.due == D(2024, 10, 28) and due.public_label
    with freeze_time("2024-10-29 10:00:00+01:00"):
        queue = review_selectors.queue(team["reviewer"], review_selectors.QueueFilters(overdue=True))
        assert [a.reference for a in queue.rows] == [app.reference]
    app = act(app, "register_default_notice", team["reviewer"], {"received_on": "2024-10-30"}, now=at(D(2024, 10, 31)))
    assert DefaultNotice.objects.get(application=app).term == DefaultNotice.Term.SETTLEMENT
    with freeze_time("2024-11-20 10:00:00+01:00"):  # in default from 14 November: 7 days × € 23
        assert kpi_report("opening", team["opening"].code, "2024-11-20")["penalty_exposure"]["amount"] == "161.00"
    act(app, "propose_settlement", team["reviewer"], {}, now=at(D(2024, 11, 25), 9))
    app = act(app, "approve_settlement", team["senior"], now=at(D(2024, 11, 25), 11))
    notice = DefaultNotice.objects.get(application=app)
    assert notice.ended_on == D(2024, 11, 25)
    assert notice.penalty_days == 11 and notice.amount_owed == Decimal("253.00")  # 14 to 24 November


def test_a_scheme_names_its_own_settlement_term_and_it_can_be_postponed():
    scheme = SchemeFactory(settlement_term_weeks=13)
    with freeze_time("2024-03-04 10:00:00+01:00"):
        team = team_for(OpeningFactory(scheme=scheme))
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    app = request_settlement_on(app, team, D(2024, 9, 2))
    assert app.settlement_decision_due == D(2024, 12, 2)
    app = act(
        app,
        "postpone_decision",
        team["reviewer"],
        {"new_due": "2025-01-13", "reason": "De accountantsverklaring wordt nagekeken."},
        now=at(D(2024, 11, 25)),
    )
    assert app.state == State.SETTLEMENT_REQUESTED
    assert app.settlement_decision_due == D(2025, 1, 13)
    assert next(d for d in deadlines(app) if d.label == "Vaststelling uiterlijk").due == D(2025, 1, 13)
