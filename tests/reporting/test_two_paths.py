"""A report reads the day-by-day snapshots; recomputed from the whole trail it must say exactly the same.

Random histories are played through the real services at random moments
(applications started, submitted, reviewed, granted, rejected, withdrawn,
asked for a supplement, not considered, paid, settled, closed). The daily job
then processes the days up to a cut, and for a spread of days before the cut
(the snapshots alone), after it (the snapshots plus what happened since) and
today, every report — the opening, the scheme, the portfolio — is compared
character for character with the same report recomputed from the trail.
"""

from __future__ import annotations

import datetime
import json
import random

import pytest

from applications import clocks
from applications.errors import ActionError
from applications.models import Application, AuditEvent
from demo.replay import load_replay
from reporting.models import ApplicationFact, OpeningDay, SnapshotRun
from reporting.queries import build_report, end_of_day, kpi_report, resolve_scope, snapshots
from reporting.queries.snapshots import catch_up, figures_at, is_stale, latest_run

from .story import at

pytestmark = pytest.mark.django_db

SECTORS = ("ict", "techniek")


def report(kind: str, code: str, day: datetime.date, *, recompute: bool) -> str:
    return json.dumps(build_report(resolve_scope(kind, code), day, end_of_day(day), recompute=recompute))


def assert_same(story, days):
    for day in days:
        for kind, code in (("opening", story.opening.code), ("scheme", story.scheme.code), ("portfolio", "all")):
            stored, trail = report(kind, code, day, recompute=False), report(kind, code, day, recompute=True)
            assert stored == trail, f"{kind} {code} on {day}: the snapshots and the trail disagree"


class History:
    """A random walk of each application through the actions open to it, at increasing moments."""

    def __init__(self, story, seed: int):
        self.story, self.rng = story, random.Random(seed)

    def moment(self, after: datetime.datetime, days: int = 6) -> datetime.datetime:
        return after + datetime.timedelta(days=self.rng.randint(0, days), hours=self.rng.randint(1, 5))

    def step(self, app, when):
        s, rng = self.story, self.rng
        applicant = {s.org_a.pk: s.employer_a, s.org_b.pk: s.employer_b, s.org_c.pk: s.employer_c}[app.organisation_id]
        choices = {
            "draft": [("submit", applicant, {})],
            "submitted": [("start_review", s.reviewer, {}), ("withdraw", applicant, {"reason": "Toch niet."})],
            "in_review": [
                ("propose_grant", s.reviewer, {"note": "Goed."}),
                ("propose_rejection", s.reviewer, {"reason_code": rng.choice(["not_eligible", "incomplete"])}),
                ("request_supplement", s.reviewer, {"reason": "Diploma ontbreekt", "due_days": 5}),
                ("withdraw", applicant, {"reason": "Toch niet."}),
            ],
            "supplement_requested": [
                ("declare_not_considered", s.reviewer, {}),
                ("supplement", applicant, {"note": "Hierbij het diploma."}),
            ],
            "decision_proposed": [("approve_decision", s.senior, {})],
            "granted": [("request_settlement", applicant, {"units_completed": "some"})],
            "settlement_requested": [("propose_settlement", s.reviewer, {})],
            "settlement_proposed": [("approve_settlement", s.senior, {})],
            "rejected": [("close", s.reviewer, {})],
            "withdrawn": [("close", s.reviewer, {})],
        }.get(app.state, [])
        if not choices:
            return app, False
        action, user, data = rng.choice(choices)
        if data.get("units_completed") == "some":
            units = list(app.units.values_list("id", flat=True))
            data = {"units_completed": rng.sample(units, rng.randint(0, len(units)))}
        if action == "supplement":
            when = min(when, app.events.latest("at").at + datetime.timedelta(days=4))
        try:
            return self.story.act(app, action, user, when, **data), True
        except ActionError:
            return Application.objects.get(pk=app.pk), False

    def play(self, applications: int = 7) -> list[datetime.datetime]:
        s, rng = self.story, self.rng
        moments = []
        for _ in range(applications):
            org, employer = rng.choice([(s.org_a, s.employer_a), (s.org_b, s.employer_b), (s.org_c, s.employer_c)])
            when = at(3, rng.randint(2, 20), rng.randint(9, 15))
            app = s.draft(employer, [rng.choice(SECTORS) for _ in range(rng.randint(1, 2))], when)
            for _ in range(rng.randint(0, 7)):
                when = self.moment(when)
                app, done = self.step(app, when)
                if done:
                    moments.append(when)
        return moments


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_random_histories_the_snapshots_equal_a_recomputation_from_the_trail(story, seed):
    moments = History(story, seed).play()
    days = sorted({clocks.local_date(m) for m in moments} | {datetime.date(2024, 3, 2), datetime.date(2024, 3, 31)})
    cut = days[len(days) // 2]
    assert catch_up(through=cut) > 0
    assert latest_run().through == cut and OpeningDay.objects.filter(day__lte=cut).exists()
    # before the cut from the snapshots alone; after it the snapshots plus the events since; then today
    spread = days[:: max(1, len(days) // 6)] + [cut, cut + datetime.timedelta(days=1), days[-1]]
    assert_same(story, sorted(set(spread)) + [clocks.local_date()])
    # the next night processes the rest; the answers stay the same
    catch_up()
    assert_same(story, [days[-1], clocks.local_date()])


def test_the_story_reads_the_same_from_snapshots_as_from_the_trail(story):
    """The cases a snapshot could get wrong: a settlement, a closed withdrawal (counted as withdrawn), an upheld
    objection that reopens a rejection (its first decision still counts for the lead time)."""
    catch_up(through=datetime.date(2024, 3, 31))
    units = list(story.app2.units.values_list("id", flat=True))
    app2 = story.act(story.app2, "request_settlement", story.employer_a, at(6, 3), units_completed=units[:1])
    app2 = story.act(app2, "propose_settlement", story.reviewer, at(6, 4))
    story.act(app2, "approve_settlement", story.senior, at(6, 5))
    story.act(story.app4, "close", story.reviewer, at(6, 6))
    app3 = story.act(story.app3, "lodge_objection", story.employer_b, at(4, 1), reason="Wij voldoen wel.")
    note = "Gegrond: opnieuw beoordelen."
    story.act(app3, "propose_objection_decision", story.objection_handler, at(4, 19), upheld=True, note=note)
    story.act(app3, "decide_objection", story.objection_approver, at(4, 20))
    days = [datetime.date(2024, 3, 22), datetime.date(2024, 4, 1), datetime.date(2024, 6, 5), clocks.local_date()]
    assert_same(story, days)
    catch_up()
    assert_same(story, days)
    report_now = kpi_report("opening", story.opening.code)
    # app 3 is open again, app 4 still counts as withdrawn, app 2 as granted with one settled traject
    assert report_now["applications"]["open"] == 2 and report_now["applications"]["withdrawn"] == 1
    assert report_now["applications"]["granted"] == 1 and report_now["budget"]["settled"] == "3750.00"
    # lead times keep the first decisions: app 2 (10 days), app 3 (19 days), app 5 (14 days)
    assert report_now["lead_time_days"]["decided"] == 3 and report_now["lead_time_days"]["median"] == 14.0
    # the first of April, from the snapshot of 22 March: app 3 rejected, its reason kept
    april = kpi_report("opening", story.opening.code, datetime.date(2024, 4, 1))
    assert april["rejected_by_reason"] == {"not_eligible": 1} and april["applications"]["rejected"] == 1


def test_the_replay_reads_the_same_from_snapshots_as_from_the_trail(catalogue):
    load_replay()
    catch_up()
    today = clocks.local_date()
    report_now = kpi_report("opening", "omscholing-2021")
    assert report_now["applications"]["submitted"] == 142 and report_now["applications"]["granted"] == 99
    for day in (datetime.date(2021, 9, 15), today):
        for kind, code in (("scheme", "omscholing"), ("opening", "omscholing-2021"), ("portfolio", "all")):
            stored, trail = (
                json.dumps(build_report(resolve_scope(kind, code), day, end_of_day(day), recompute=r))
                for r in (False, True)
            )
            assert stored == trail


def test_a_back_dated_event_makes_the_snapshots_stale_and_the_next_pass_builds_them_again(story):
    catch_up()
    run = latest_run()
    before = figures_at([story.opening.pk], datetime.date(2024, 3, 31))
    assert not is_stale(run)
    # an import writes an event dated in March, after the pass: the snapshot no longer holds
    app6 = story.app6
    AuditEvent.objects.create(
        application=app6, action="withdraw", from_state="submitted", to_state="withdrawn", at=at(3, 20)
    )
    assert is_stale(run)
    after = build_report(
        resolve_scope("opening", story.opening.code), datetime.date(2024, 3, 31), end_of_day(datetime.date(2024, 3, 31))
    )
    assert after["applications"]["withdrawn"] == 2  # read from the trail, not the stale snapshot
    assert before[0][story.opening.pk]["cat"]["open"]["n"] == 1
    catch_up()
    assert not is_stale(latest_run()) and SnapshotRun.objects.count() == 1
    assert ApplicationFact.objects.get(application_id=app6.pk).fact["state"] == "withdrawn"
    assert_same(story, [datetime.date(2024, 3, 31)])


def test_today_a_report_never_reads_the_state_column(story):
    """The trail is the record: a state column changed outside the state machine changes no report."""
    catch_up()
    before = kpi_report("opening", story.opening.code)
    Application.objects.filter(pk=story.app6.pk).update(state="granted")
    assert kpi_report("opening", story.opening.code) == before


def test_a_run_that_stops_half_way_keeps_the_days_it_did_and_the_next_goes_on(story, monkeypatch):
    """A deploy or a crash in the middle of the nightly run: the days done stay done, nothing is done twice."""
    real = snapshots._process
    calls = []

    def stops_on_the_third_day(day):
        if len(calls) == 2:
            raise RuntimeError("the worker was stopped")
        calls.append(day)
        real(day)

    monkeypatch.setattr(snapshots, "_process", stops_on_the_third_day)
    with pytest.raises(RuntimeError):
        catch_up()
    assert latest_run().through == calls[-1]  # the two days done are marked done
    monkeypatch.setattr(snapshots, "_process", real)
    assert catch_up() > 0
    assert latest_run().through == clocks.local_date() - datetime.timedelta(days=1)
    assert_same(story, [datetime.date(2024, 3, 12), datetime.date(2024, 3, 31), clocks.local_date()])
