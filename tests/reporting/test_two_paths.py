"""A report as of today is made from the state columns; any other date from the audit trail.

Both must say exactly the same for today: the state machine moves the column
and writes the audit event in one transaction, and the ledger and the
openings' running totals move together. These scenarios run both paths on
the same data and compare the JSON character for character.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from applications import clocks
from applications.models import Application
from demo.replay import load_replay
from reporting.queries import build_report, end_of_day, kpi_report, resolve_scope

from .story import at

pytestmark = pytest.mark.django_db


def both_paths(kind: str, code: str) -> tuple[str, str]:
    day = clocks.local_date()
    scope = resolve_scope(kind, code)
    now = build_report(scope, day, end_of_day(day), current=True)
    trail = build_report(scope, day, end_of_day(day), current=False)
    return json.dumps(now, sort_keys=False), json.dumps(trail, sort_keys=False)


def assert_same_today(*scopes):
    for kind, code in scopes:
        now, trail = both_paths(kind, code)
        assert now == trail, f"{kind} {code}: the state columns and the audit trail disagree"


def test_today_the_columns_and_the_audit_trail_give_the_same_report(story):
    assert_same_today(("opening", story.opening.code), ("scheme", story.scheme.code), ("portfolio", "all"))
    # and the default (no date) is today's report from the columns
    assert kpi_report("opening", story.opening.code) == json.loads(both_paths("opening", story.opening.code)[0])


def test_settled_closed_and_reopened_applications_agree_too(story):
    """The cases where a column alone would mislead: a settlement moves ``decided_at``,
    a closed application counts under the state it was closed from, and an upheld
    objection reopens a rejection (its first decision still counts for the lead time)."""
    units = list(story.app2.units.values_list("id", flat=True))
    app2 = story.act(story.app2, "request_settlement", story.employer_a, at(6, 3), units_completed=units[:1])
    app2 = story.act(app2, "propose_settlement", story.reviewer, at(6, 4))
    story.act(app2, "approve_settlement", story.senior, at(6, 5))
    story.act(story.app4, "close", story.reviewer, at(6, 6))
    app3 = story.act(story.app3, "lodge_objection", story.employer_b, at(4, 1), reason="Wij voldoen wel.")
    note = "Gegrond: opnieuw beoordelen."
    story.act(app3, "propose_objection_decision", story.objection_handler, at(4, 19), upheld=True, note=note)
    story.act(app3, "decide_objection", story.objection_approver, at(4, 20))

    states = dict(Application.objects.values_list("pk", "state"))
    assert states[story.app2.pk] == "settled" and states[story.app4.pk] == "closed"
    assert states[story.app3.pk] == "in_review"
    assert_same_today(("opening", story.opening.code), ("scheme", story.scheme.code), ("portfolio", "all"))
    report = kpi_report("opening", story.opening.code)
    # app 3 is open again, app 4 still counts as withdrawn, app 2 as granted with one settled traject
    assert report["applications"]["open"] == 2 and report["applications"]["withdrawn"] == 1
    assert report["applications"]["granted"] == 1 and report["budget"]["settled"] == "3750.00"
    # lead times keep the first decisions: app 2 (10 days), app 3 (19 days), app 5 (14 days)
    assert report["lead_time_days"]["decided"] == 3 and report["lead_time_days"]["median"] == 14.0


def test_the_replay_gives_the_same_report_from_both_paths(catalogue):

    load_replay()
    assert_same_today(("scheme", "omscholing"), ("opening", "omscholing-2021"), ("portfolio", "all"))


def test_today_the_state_column_is_authoritative_a_past_date_reads_the_trail(story):
    """For today the column is the source (it cannot differ from the trail through the services);
    a report of a past date never looks at it."""
    yesterday = clocks.local_date() - timezone.timedelta(days=1)
    before = kpi_report("opening", story.opening.code, yesterday)
    Application.objects.filter(pk=story.app6.pk).update(state="granted")  # not through the state machine
    assert kpi_report("opening", story.opening.code, yesterday) == before
    assert kpi_report("opening", story.opening.code)["applications"]["granted"] == 2
