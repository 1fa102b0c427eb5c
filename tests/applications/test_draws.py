"""Draws that hold up in court (allocation issue, points 2 to 6).

- An Omscholing day on which the ceiling is crossed at 14:03 with 12 complete applications: the system commits a
  seed at 14:03 and ranks the day's 12 by lottery when the day has ended, without anyone pressing a button.
- A SLIM draw: the seed is the system's, committed before the draw, shown with the result; proposed by one case
  worker, approved by another, run once; previews are on record; anyone recomputes it from the published seed.
- The marginal application gets what is left where the opening allows it (Awb 4:25 lid 2), else nothing.
- A tender: no grant before the ranking has run after the close, the committee's advice recorded.
- A lower vaststelling frees money for the next in line while the opening is open.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import zoneinfo
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from applications import clock_job, clocks, reconcile, services
from applications.errors import Conflict, Forbidden, Invalid
from applications.models import Allocation, LotterySeed, Role
from applications.services import allocation, draws
from demo.documents import attach_required
from reporting.queries import kpi_report
from schemes.models import Distribution
from tests import factories as f

pytestmark = pytest.mark.django_db

E = Decimal
AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


def close(opening):
    type(opening).objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    opening.refresh_from_db()


def submit_at(opening, moment, *, units=1):
    """An employer's complete application with ``units`` trajecten of € 3.750, submitted at ``moment``."""
    user = f.employer()
    data = {"units": [f.traject(n) for n in range(1, units + 1)], "truthfulness_declared": True}
    app = services.create_draft(user=user, opening=opening, data=data, now=moment)
    attach_required(app, user)
    return f.act(app, "submit", user, now=moment)


def open_for_months(scheme, code: str):
    """€ 7.500 under the ceiling (two trajecten), open since two months and for months to come."""
    now = timezone.now()
    return f.open_opening(
        scheme,
        code=code,
        ceiling="7500.00",
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now + datetime.timedelta(days=300),
    )


def fresh(apps):
    for app in apps:
        app.refresh_from_db()
    return apps


# --- first come, first served: the day the ceiling is crossed ------------------------------------------------


def test_an_omscholing_day_crossing_the_ceiling_at_1403_is_drawn_by_lottery_when_the_day_ends(omscholing):
    day = clocks.local_date() - datetime.timedelta(days=3)
    nine = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=AMSTERDAM)
    opening = f.open_opening(
        omscholing,
        code="omscholing-plafonddag",
        ceiling="30000.00",  # eight trajecten of € 3.750
        opens_at=nine - datetime.timedelta(days=10),
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )
    morning = [submit_at(opening, nine + datetime.timedelta(minutes=30 * i)) for i in range(8)]  # 09:00-12:30
    crossing = datetime.datetime.combine(day, datetime.time(14, 3), tzinfo=AMSTERDAM)
    afternoon = [submit_at(opening, crossing + datetime.timedelta(minutes=20 * i)) for i in range(4)]  # from 14:03
    today = fresh(morning + afternoon)
    assert [app.over_ceiling for app in today] == [False] * 8 + [True] * 4  # in order of arrival, until 14:03
    seed = LotterySeed.objects.get(opening=opening)
    assert (seed.day, seed.committed_at, seed.revealed_at) == (day, crossing, None)  # committed at 14:03
    assert seed.digest == hashlib.sha256(seed.seed.encode()).hexdigest()
    assert draws.draw_ended_days(day) == []  # not while the day lasts

    counts = clock_job.run(day + datetime.timedelta(days=1))  # the clocks, the next morning

    assert counts["days_drawn"] == 1
    run = Allocation.objects.get(opening=opening)
    assert (run.status, run.day, run.run_by, run.approved_by, run.seed) == ("approved", day, None, None, seed.seed)
    drawn = allocation.lottery_order(seed.seed, [app.reference for app in today])
    assert [row["reference"] for row in run.order] == drawn  # all twelve of the day, by lottery, not by the clock
    by_ref = {app.reference: app for app in fresh(today)}
    assert [by_ref[ref].over_ceiling for ref in drawn] == [False] * 8 + [True] * 4
    assert sorted(by_ref[ref].queue_position for ref in drawn) == [by_ref[ref].queue_position for ref in drawn]
    opening.refresh_from_db()
    assert opening.reserved == E("30000.00")
    seed.refresh_from_db()
    assert seed.revealed_at is not None
    assert clock_job.run(day + datetime.timedelta(days=2))["days_drawn"] == 0  # once
    assert reconcile.run() == []

    # money that comes free while the opening is open goes to the next in the drawn order
    leaving = by_ref[drawn[0]]
    f.act(leaving, "withdraw", leaving.created_by, {"reason": "De werknemer is vertrokken."})
    assert fresh([by_ref[drawn[8]]])[0].over_ceiling is False
    assert all(app.over_ceiling for app in fresh([by_ref[ref] for ref in drawn[9:]]))
    assert reconcile.run() == []


def test_a_day_on_which_the_ceiling_is_not_crossed_commits_no_seed_and_draws_nothing(omscholing):
    opening = f.open_opening(omscholing, code="omscholing-ruim", ceiling="1000000.00")
    [submit_at(opening, timezone.now()) for _ in range(3)]
    assert not LotterySeed.objects.filter(opening=opening).exists()
    assert draws.draw_ended_days(clocks.local_date() + datetime.timedelta(days=1)) == []


# --- a lottery after the window: the seed, four eyes, once --------------------------------------------------


@pytest.fixture
def slim_draw():
    scheme = f.omscholing_scheme(code="slim-loting-test")
    opening = f.open_opening(scheme, code="slim-loting", ceiling="15000.00", distribution=Distribution.LOTTERY)
    apps = [f.submitted(opening, f.employer(), units=[f.traject(1)]) for _ in range(6)]
    close(opening)
    return opening, apps, f.reviewer([scheme]), f.senior([scheme])


def test_a_slim_draw_is_recomputed_from_the_published_seed_committed_before_it(slim_draw, caplog):
    opening, apps, proposer, approver = slim_draw
    with caplog.at_level(logging.INFO, logger="applications.services.seeds"):
        assert clock_job.run()["seeds_committed"] == 1  # the window closed: its seed is committed by the clocks
    committed = LotterySeed.objects.get(opening=opening, day__isnull=True)
    logged = [r for r in caplog.records if r.getMessage() == "seed committed"]
    assert [(r.opening, r.seed_sha256) for r in logged] == [(opening.code, committed.digest)]  # on record twice

    preview = draws.preview(opening=opening, user=proposer)
    proposal = draws.propose(opening=opening, user=proposer, data={"note": "Loting SLIM, notaris aanwezig."})
    run = draws.approve(proposal=proposal, user=approver)

    assert preview.status == "preview" and preview.run_by == proposer  # the preview left a trace
    assert preview.order == run.order  # the same seed: what was previewed is what was drawn
    assert run.seed == committed.seed and committed.committed_at < run.approved_at
    # anyone with the published seed and references: the hash matches what was committed, the order follows
    assert hashlib.sha256(run.seed.encode()).hexdigest() == committed.digest
    published = [row["reference"] for row in run.order]
    assert sorted(published, key=lambda ref: allocation.lottery_key(run.seed, ref)) == published
    assert allocation.recompute(run) == published
    assert set(published) == {app.reference for app in apps}
    granted = [row["reference"] for row in run.order if row["outcome"] == "granted"]
    assert granted == published[:4]
    assert reconcile.run() == []


def test_the_proposer_cannot_approve_a_draw_and_it_runs_only_once(slim_draw):
    opening, apps, proposer, approver = slim_draw
    proposal = draws.propose(opening=opening, user=proposer)
    with pytest.raises(Forbidden, match="Vier ogen"):
        draws.approve(proposal=proposal, user=proposer)
    with pytest.raises(Conflict, match="al een voorstel"):
        draws.propose(opening=opening, user=approver)  # no second proposal beside it
    outsider = f.reviewer([f.omscholing_scheme(code="andere-regeling")])
    with pytest.raises(Forbidden):
        draws.approve(proposal=proposal, user=outsider)
    applicant = apps[0].created_by
    with pytest.raises(Forbidden):
        draws.approve(proposal=proposal, user=applicant)
    finance = f.staff(Role.FINANCE, [opening.scheme])  # who pays what a run decides does not decide it
    with pytest.raises(Forbidden):
        draws.approve(proposal=proposal, user=finance)
    opening.refresh_from_db()
    assert opening.reserved == E("0.00")  # nothing reserved before the second person approved

    draws.approve(proposal=proposal, user=approver)
    with pytest.raises(Conflict, match="al afgehandeld"):
        draws.approve(proposal=proposal, user=approver)
    with pytest.raises(Conflict, match="al uitgevoerd"):
        draws.propose(opening=opening, user=proposer)  # a reviewer cannot run it again with another seed
    with pytest.raises(Conflict, match="al uitgevoerd"):
        draws.preview(opening=opening, user=proposer)
    with pytest.raises(IntegrityError), transaction.atomic():  # nor around the services, in the database
        Allocation.objects.create(opening=opening, method="lottery", status="approved", seed="x")
    assert opening.allocations.filter(status="approved").count() == 1


def test_a_draw_is_not_approved_when_the_candidates_changed_since_the_proposal(slim_draw):
    opening, apps, proposer, approver = slim_draw
    proposal = draws.propose(opening=opening, user=proposer)
    f.act(apps[0], "withdraw", apps[0].created_by, {"reason": "Wij zien ervan af."})

    with pytest.raises(Conflict, match="niet meer dezelfde"):
        draws.approve(proposal=proposal, user=approver)

    draws.return_proposal(proposal=proposal, user=approver, data={"note": "Een aanvraag is ingetrokken."})
    run = draws.approve(proposal=draws.propose(opening=opening, user=proposer), user=approver)
    assert apps[0].reference not in {row["reference"] for row in run.order}


def test_no_draw_before_the_window_closes(omscholing):
    opening = f.open_opening(omscholing, code="loting-open", ceiling="15000.00", distribution=Distribution.LOTTERY)
    f.submitted(opening, f.employer(), units=[f.traject(1)])
    with pytest.raises(Conflict, match="pas na het sluiten"):
        draws.propose(opening=opening, user=f.reviewer([omscholing]))
    assert not LotterySeed.objects.filter(opening=opening).exists()


# --- the marginal application (Awb 4:25, tweede lid) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("partial", "minimum", "marginal_gets"),
    [(True, None, "2500.00"), (False, None, "0.00"), (True, "3000.00", "0.00")],
    ids=["voor-zover", "strikt", "rest-onder-minimum"],
)
def test_the_marginal_application_gets_what_is_left_only_where_the_opening_allows_it(partial, minimum, marginal_gets):
    scheme = f.omscholing_scheme(code=f"grens-{partial}-{minimum}")
    if minimum:
        type(scheme).objects.filter(pk=scheme.pk).update(min_amount=E(minimum))
        scheme.refresh_from_db()
    opening = f.open_opening(
        scheme, code="grens", ceiling="10000.00", distribution=Distribution.LOTTERY, partial_grant=partial
    )
    apps = [f.submitted(opening, f.employer()) for _ in range(3)]  # two trajecten each: € 7.500
    close(opening)

    run = f.run_allocation(opening, f.reviewer([scheme]))

    first, marginal, last = (row for row in run.order)
    assert (first["outcome"], first["allocated"]) == ("granted", "7500.00")
    assert marginal["allocated"] == marginal_gets
    assert marginal["outcome"] == ("partial" if marginal_gets != "0.00" else "out")
    assert (last["outcome"], last["allocated"]) == ("out", "0.00")  # strictly in order behind it
    assert sum(E(row["allocated"]) for row in run.order) <= E("10000.00")
    by_ref = {app.reference: app for app in fresh(apps)}
    assert by_ref[marginal["reference"]].amount_reserved == E(marginal_gets)
    assert reconcile.run() == []


def test_the_partial_grant_is_proposed_for_what_the_draw_gave_and_not_more():
    scheme = f.omscholing_scheme(code="grens-besluit")
    opening = f.open_opening(
        scheme, code="grens-besluit", ceiling="10000.00", distribution=Distribution.LOTTERY, partial_grant=True
    )
    apps = [f.submitted(opening, f.employer()) for _ in range(2)]
    close(opening)
    reviewer, senior = f.reviewer([scheme]), f.senior([scheme])
    run = f.run_allocation(opening, reviewer, senior)
    marginal = next(app for app in apps if app.reference == run.order[1]["reference"])
    f.act(marginal, "start_review", reviewer)

    with pytest.raises(Invalid, match="hoger dan wat de verdeling"):
        f.act(marginal, "propose_grant", reviewer, {"amount": "7500.00"})
    f.act(marginal, "propose_grant", reviewer, {})
    decision = marginal.pending_decision()
    assert decision.amount == E("2500.00")
    assert any("toekende" in str(step) for step in decision.data["steps"])
    f.act(marginal, "approve_decision", senior)
    marginal.refresh_from_db()
    assert marginal.amount_granted == E("2500.00")
    assert reconcile.run() == []


# --- the tender ----------------------------------------------------------------------------------------------


def test_a_tender_grants_nothing_before_the_ranking_has_run_and_records_the_committees_advice(omscholing):
    opening = f.open_opening(
        omscholing, code="tender-poort", ceiling="3750.00", distribution=Distribution.TENDER, min_score=E("6")
    )
    reviewer, senior = f.reviewer([omscholing]), f.senior([omscholing])
    best, second = (f.submitted(opening, f.employer(), units=[f.traject(1)]) for _ in range(2))
    for app, score in ((best, 8), (second, 7)):
        f.act(app, "start_review", reviewer)
        scores = {criterion: {"score": score, "justification": "Gewogen."} for criterion in ("fit", "quality")}
        services.record_assessment(application=app, user=reviewer, scores=scores)

    with pytest.raises(Conflict, match="pas voor als de verdeling"):
        f.act(best, "propose_grant", reviewer, {})  # open, no ranking yet
    close(opening)
    with pytest.raises(Conflict, match="pas voor als de verdeling"):
        f.act(best, "propose_grant", reviewer, {})  # closed, but not ranked
    with pytest.raises(Invalid, match="advies van de commissie"):
        draws.propose(opening=opening, user=reviewer)

    advice = "De commissie adviseert: rangschikking op gemiddelde score; nummer twee valt buiten het plafond."
    run = draws.approve(proposal=draws.propose(opening=opening, user=reviewer, data={"advice": advice}), user=senior)

    assert run.advice == advice and [row["reference"] for row in run.order] == [best.reference, second.reference]
    f.act(best, "propose_grant", reviewer, {})
    assert best.pending_decision().amount == E("3750.00")
    with pytest.raises(Conflict, match="pas voor als de verdeling"):
        f.act(second, "propose_grant", reviewer, {})  # ranked, but no money reached it


def test_a_techkwadraat_tender_set_to_consensus_ranks_by_the_committees_agreed_score_not_the_mean(client_for):
    scheme = f.techkwadraat_scheme(code="techkwadraat-consensus", tender_score="consensus")
    opening = f.open_opening(
        scheme, code="tk-consensus", ceiling="1000000.00", distribution=Distribution.TENDER, min_score=E("6")
    )
    first, second, senior = f.reviewer([scheme]), f.reviewer([scheme]), f.senior([scheme])
    # mean of the assessors: Noord 7 (9 and 5), Zuid 6 (6 and 6), West 6,5; the committee agreed otherwise
    consortia = {
        name: f.submitted(opening, f.employer(f.OrganisationFactory(name=f"Consortium {name}")))
        for name in ("Noord", "Zuid", "West")
    }
    for name, (a, b) in {"Noord": (9, 5), "Zuid": (6, 6), "West": (7, 6)}.items():
        app = consortia[name]
        f.act(app, "start_review", first)
        for reviewer, score in ((first, a), (second, b)):
            f.declare_no_conflict(app, reviewer)
            scores = {
                c: {"score": score, "justification": "Gewogen."} for c in ("plan", "impact", "support", "continuity")
            }
            services.record_assessment(application=app, user=reviewer, scores=scores)
    close(opening)

    # without the committee's consensus no ranking: the preview and the proposal name who still lacks one
    with pytest.raises(Conflict, match="consensusscore") as refused:
        draws.preview(opening=opening, user=first)
    assert all(app.reference in str(refused.value) for app in consortia.values())
    services.record_consensus_score(
        application=consortia["Zuid"], user=first, score="8", note="De commissie weegt het bereik in de regio zwaar."
    )
    services.record_consensus_score(
        application=consortia["Noord"], user=first, score="6.5", note="Sterk plan, zwakke borging."
    )
    with pytest.raises(Conflict, match=consortia["West"].reference):
        draws.propose(opening=opening, user=first, data={"advice": "Rangschikking op consensus."})
    # recorded through the API as well, by one case worker (no four eyes: the committee decided it)
    response = client_for(second).post(
        f"/api/v1/applications/{consortia['West'].reference}/consensus-score/",
        {"score": "5.5", "note": "Onvoldoende cofinanciering; onder de minimumscore."},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["consensus_score"] == "5.50"
    assert consortia["West"].events.filter(action="record_consensus_score", actor=second).exists()
    page = client_for(second).get(f"/behandeling/aanvragen/{consortia['West'].reference}/").content.decode()
    assert "Consensusscore van de commissie" in page and "Onvoldoende cofinanciering" in page

    run = f.run_allocation(
        opening, first, senior, advice="De commissie adviseert op haar consensusscore te rangschikken."
    )
    rows = {row["reference"]: row for row in run.order}
    zuid, noord, west = (consortia[n].reference for n in ("Zuid", "Noord", "West"))
    assert [row["reference"] for row in run.order] == [zuid, noord, west]  # not Noord first, as the mean would have it
    assert (rows[zuid]["outcome"], rows[zuid]["score"], rows[zuid]["allocated"]) == ("granted", "8.00", "1000000.00")
    assert rows[noord]["outcome"] == "out"  # the ceiling is reached
    assert (rows[west]["outcome"], rows[west]["score"]) == ("below_min_score", "5.50")
    assert fresh([consortia["Zuid"]])[0].amount_reserved == E("1000000.00")


def test_a_consensus_score_is_refused_where_the_scheme_ranks_by_the_mean(omscholing):
    opening = f.open_opening(omscholing, code="tender-mean", ceiling="3750.00", distribution=Distribution.TENDER)
    reviewer = f.reviewer([omscholing])
    app = f.submitted(opening, f.employer(), units=[f.traject(1)])
    f.declare_no_conflict(app, reviewer)
    with pytest.raises(Invalid, match="niet op een consensusscore"):
        services.record_consensus_score(application=app, user=reviewer, score="7", note="Eens.")


# --- money that comes free after a lower vaststelling --------------------------------------------------------


def test_a_lower_vaststelling_while_open_moves_up_the_next_in_line(omscholing):
    opening = open_for_months(omscholing, "omscholing-vrij")
    reviewer, senior = f.reviewer([omscholing]), f.senior([omscholing])
    granted = submit_at(opening, timezone.now() - datetime.timedelta(days=2), units=2)  # € 7.500, the whole ceiling
    waiting = submit_at(opening, timezone.now() - datetime.timedelta(days=1))  # crosses it, alone on its day
    clock_job.run(clocks.local_date())  # that day drawn: it waits
    f.act(granted, "start_review", reviewer)
    f.act(granted, "propose_grant", reviewer, {})
    f.act(granted, "approve_decision", senior)
    assert fresh([waiting])[0].over_ceiling

    unit_ids = list(granted.units.values_list("id", flat=True))
    f.act(granted, "request_settlement", granted.created_by, {"units_completed": unit_ids[:1]})
    f.act(granted, "propose_settlement", reviewer, {"note": "Eén traject is niet afgerond."})
    f.act(granted, "approve_settlement", senior)  # fixed at € 3.750: € 3.750 comes free, the opening is open

    waiting.refresh_from_db()
    assert (waiting.over_ceiling, waiting.amount_reserved) == (False, E("3750.00"))
    assert waiting.events.filter(action="reserved_in_turn").exists()
    assert reconcile.run() == []


def test_after_the_close_what_comes_free_is_vrijval_and_nobody_moves_up(omscholing):
    opening = open_for_months(omscholing, "omscholing-vrijval")
    reviewer, senior = f.reviewer([omscholing]), f.senior([omscholing])
    granted = submit_at(opening, timezone.now() - datetime.timedelta(days=2), units=2)
    waiting = submit_at(opening, timezone.now() - datetime.timedelta(days=1))
    clock_job.run(clocks.local_date())
    f.act(granted, "start_review", reviewer)
    f.act(granted, "propose_grant", reviewer, {})
    f.act(granted, "approve_decision", senior)
    close(opening)
    unit_ids = list(granted.units.values_list("id", flat=True))
    f.act(granted, "request_settlement", granted.created_by, {"units_completed": unit_ids[:1]})
    f.act(granted, "propose_settlement", reviewer, {"note": "Eén traject is niet afgerond."})
    f.act(granted, "approve_settlement", senior)

    waiting.refresh_from_db()
    assert (waiting.over_ceiling, waiting.amount_reserved) == (True, E("0.00"))
    opening.refresh_from_db()
    assert opening.committed + opening.reserved == E("3750.00")  # € 3.750 vrijval, not handed out
    assert reconcile.run() == []


def test_the_report_books_what_came_free_after_the_close_as_vrijval_not_as_available(omscholing):
    opening = f.open_opening(omscholing, code="omscholing-vrijval-rapport", ceiling="11250.00")
    reviewer, senior = f.reviewer([omscholing]), f.senior([omscholing])
    granted = f.submitted(opening, f.employer())  # € 7.500 of € 11.250
    f.act(granted, "start_review", reviewer)
    f.act(granted, "propose_grant", reviewer, {})
    f.act(granted, "approve_decision", senior)
    before = kpi_report("scheme", omscholing.code)["budget"]
    assert (E(before["available"]), E(before["lapsed"])) == (E("3750.00"), E("0.00"))  # open: free for the next
    close(opening)

    after = kpi_report("scheme", omscholing.code)["budget"]

    assert (E(after["available"]), E(after["lapsed"])) == (E("0.00"), E("3750.00"))  # closed: vrijval, reported apart
    (block,) = kpi_report("scheme", omscholing.code)["openings"]
    assert E(block["budget"]["lapsed"]) == E("3750.00")
