"""Objection handling as the law wants it: an objection received on paper with its date of receipt and postmark
(6:9), the hearing recorded or waived with its reason (7:2, 7:3), an advisory committee's twelve weeks (7:10 lid 1)
and one postponement of six weeks (7:10 lid 3)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time

from applications.errors import Conflict, Invalid
from tests.factories import act, rejected, team_for

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 10))


@pytest.fixture
def refused():
    """Rejected on Monday 4 March 2024: the objection term runs to 15 April 2024."""
    with freeze_time(at(D(2024, 3, 4))):
        team = team_for()
        app = rejected(team["opening"], team["employer"], team["reviewer"], team["senior"])
    assert app.objection_due == D(2024, 4, 15)
    return team, app


def test_a_paper_objection_posted_in_time_and_received_a_day_late_is_timely(refused):
    team, app = refused
    data = {"received_on": "2024-04-16", "postmarked_on": "2024-04-15", "reason": "Per brief: ik voldoe wel."}
    app = act(app, "register_objection", team["reviewer"], data, now=at(D(2024, 4, 17)))
    objection = app.objections.get()
    assert objection.on_paper and objection.timely
    assert objection.lodged_on == D(2024, 4, 16) and objection.postmarked_on == D(2024, 4, 15)
    assert objection.decide_by == D(2024, 5, 27)  # six weeks after the term (7:10)


def test_a_paper_objection_posted_late_is_not_timely_and_can_be_declared_inadmissible(refused):
    team, app = refused
    data = {"received_on": "2024-04-19", "postmarked_on": "2024-04-18", "reason": "Te laat verstuurd."}
    app = act(app, "register_objection", team["reviewer"], data, now=at(D(2024, 4, 19)))
    assert app.objections.get().timely is False
    data = {"outcome": "inadmissible", "note": "Te laat, geen verschoonbare reden (6:11)."}
    act(app, "propose_objection_decision", team["objection_handler"], data, now=at(D(2024, 4, 22)))
    app = act(app, "decide_objection", team["objection_approver"], now=at(D(2024, 4, 22)))
    assert app.objections.get().outcome == "inadmissible" and app.state == "rejected"


def test_the_hearing_is_recorded_or_waived_with_a_reason_never_both_or_neither(refused):
    team, app = refused
    act(app, "lodge_objection", team["employer"], {"reason": "Ik voldoe wel."}, now=at(D(2024, 3, 11)))
    with pytest.raises(Invalid, match="één van beide"):
        act(app, "record_objection_hearing", team["objection_handler"], {}, now=at(D(2024, 3, 20)))
    app = act(
        app, "record_objection_hearing", team["objection_handler"], {"held_on": "2024-03-19"}, now=at(D(2024, 3, 20))
    )
    assert app.objections.get().hearing_on == D(2024, 3, 19)


def test_an_advisory_committee_gives_twelve_weeks_and_a_postponement_six_more_once(refused):
    team, app = refused
    act(app, "lodge_objection", team["employer"], {"reason": "Ik voldoe wel."}, now=at(D(2024, 3, 11)))
    assert app.objections.get().decide_by == D(2024, 5, 27)
    data = {"extension": "committee", "reason": "De bezwaaradviescommissie adviseert."}
    app = act(app, "extend_objection_term", team["reviewer"], data, now=at(D(2024, 3, 12)))
    assert app.objections.get().decide_by == D(2024, 7, 8)  # twelve weeks after 15 April
    data = {"extension": "postpone", "reason": "Het advies laat op zich wachten."}
    app = act(app, "extend_objection_term", team["reviewer"], data, now=at(D(2024, 6, 1)))
    assert app.objections.get().decide_by == D(2024, 8, 19)
    with pytest.raises(Conflict, match="al verdaagd"):
        act(app, "extend_objection_term", team["reviewer"], data, now=at(D(2024, 6, 2)))
