"""No dead ends: every state, soon after it was reached and long after (every term passed), offers someone a way
forward — the applicant, the reviewer or the second reviewer. Walks all states × roles; a new state fails here until
it is walked too."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time

from applications import services
from applications.states import State
from tests.factories import act, declare_no_conflict, granted, pay, rejected, submitted, team_for

pytestmark = pytest.mark.django_db

START = datetime.datetime(2024, 3, 4, 10, tzinfo=datetime.UTC)  # a Monday
SOON = START + datetime.timedelta(days=1)
LATE = START + datetime.timedelta(days=400)  # past every term: supplement, 4:5's four weeks, objection, decision
# Where the end is the end: a closed file; a draft never filed once its window closed has nothing to decide.
ENDS = {(State.CLOSED, "soon"), (State.CLOSED, "late"), (State.DRAFT, "late")}


def _in_review(team):
    app = submitted(team["opening"], team["employer"])
    act(app, "start_review", team["reviewer"])
    services.declare_conflict_of_interest(application=app, user=team["reviewer"], conflict=False)
    return app


def _supplement_requested(team):
    return act(_in_review(team), "request_supplement", team["reviewer"], {"reason": "Offerte."})


def _settled(team):
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    pay(app, team["payer"], team["checker"])
    units = list(app.units.values_list("id", flat=True))
    act(app, "request_settlement", team["employer"], {"units_completed": units})
    act(app, "propose_settlement", team["reviewer"], {})
    return act(app, "approve_settlement", team["senior"])


def _revoked(team):
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "revoke", team["reviewer"], {"ground": "4:48-b", "reason": "Het contract is niet verlengd."})
    return act(app, "approve_decision", team["senior"])


def _not_considered(team):
    app = _supplement_requested(team)
    due = app.supplement_requests.get().due_date
    moment = timezone.make_aware(datetime.datetime(due.year, due.month, due.day, 10)) + datetime.timedelta(days=1)
    return act(app, "declare_not_considered", team["reviewer"], now=moment)


def _closed(team):
    app = act(submitted(team["opening"], team["employer"]), "withdraw", team["employer"])
    return act(app, "close", team["reviewer"])


def _settlement_requested(team):
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    units = list(app.units.values_list("id", flat=True))
    return act(app, "request_settlement", team["employer"], {"units_completed": units})


BUILD = {
    State.DRAFT: lambda t: services.create_draft(user=t["employer"], opening=t["opening"], data={}),
    State.SUBMITTED: lambda t: submitted(t["opening"], t["employer"]),
    State.IN_REVIEW: _in_review,
    State.SUPPLEMENT_REQUESTED: _supplement_requested,
    State.DECISION_PROPOSED: lambda t: act(_in_review(t), "propose_grant", t["reviewer"], {}),
    State.GRANTED: lambda t: granted(t["opening"], t["employer"], t["reviewer"], t["senior"]),
    State.REJECTED: lambda t: rejected(t["opening"], t["employer"], t["reviewer"], t["senior"]),
    State.NOT_CONSIDERED: _not_considered,
    State.WITHDRAWN: lambda t: act(submitted(t["opening"], t["employer"]), "withdraw", t["employer"]),
    State.SETTLEMENT_REQUESTED: _settlement_requested,
    State.SETTLEMENT_PROPOSED: lambda t: act(_settlement_requested(t), "propose_settlement", t["reviewer"]),
    State.SETTLED: _settled,
    State.REVOKED: _revoked,
    State.CLOSED: _closed,
}


@pytest.mark.parametrize("state", list(State))
def test_every_state_has_a_way_forward_for_someone(state):
    with freeze_time(START):
        team = team_for()
        app = BUILD[state](team)
    app.refresh_from_db()
    assert app.state == state
    roles = {"aanvrager": team["employer"], "behandelaar": team["reviewer"], "tweede behandelaar": team["senior"]}
    for staff in (team["reviewer"], team["senior"]):  # staff act on a case after declaring no conflict of interest
        declare_no_conflict(app, staff)
    for when, moment in (("soon", SOON), ("late", LATE)):
        with freeze_time(moment):
            ways = {role: services.available_actions(app, user) for role, user in roles.items()}
        if (state, when) in ENDS:
            assert not any(ways.values()), ways
            continue
        assert any(ways.values()), f"{state} is a dead end {when}: nobody can act ({ways})"


def test_after_the_four_weeks_of_4_5_the_reviewer_still_decides_on_the_merits():
    with freeze_time(START):
        team = team_for()
        app = _supplement_requested(team)
    with freeze_time(LATE):
        actions = services.available_actions(app, team["reviewer"])
        assert "declare_not_considered" not in actions  # 4:5's four weeks are over ...
        assert "resume_review" in actions  # ... and the reviewer is not stuck
        app = act(app, "resume_review", team["reviewer"], {"note": "Beslissen op wat er ligt."})
        assert app.state == State.IN_REVIEW
        assert app.supplement_requests.get().days_suspended == 14  # the term given, not the 400 days since
        assert "propose_rejection" in services.available_actions(app, team["reviewer"])
