"""First come, first served — strictly, by the date the application is complete (allocation issue, points 1 and 3).

An Omscholing opening with a ceiling of € 15.000 (four trajecten of € 3.750): who is in line, who waits,
and where money goes when it comes free.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications import clock_job, reconcile, services
from applications.errors import Conflict
from applications.models import AuditEvent
from applications.services import allocation
from schemes.services import change_ceiling
from tests import factories as f

pytestmark = pytest.mark.django_db

E = Decimal


def trajecten(n: int) -> list[dict]:
    return [f.traject(i) for i in range(1, n + 1)]


@pytest.fixture
def opening(omscholing):
    now = timezone.now()
    return f.open_opening(
        omscholing,
        code="wie-eerst",
        ceiling="15000.00",
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now + datetime.timedelta(days=30),
    )


def fresh(*apps):
    for app in apps:
        app.refresh_from_db()
    return apps


def test_a_later_smaller_application_does_not_leapfrog_an_earlier_one_that_does_not_fit(opening):
    first = f.submitted(opening, f.employer(), units=trajecten(2))  # € 7.500: fits
    big = f.submitted(opening, f.employer(), units=trajecten(3))  # € 11.250: does not fit next to it
    small = f.submitted(opening, f.employer(), units=trajecten(2))  # € 7.500: would fit, but big is before it

    first, big, small = fresh(first, big, small)
    assert (first.over_ceiling, first.amount_reserved) == (False, E("7500.00"))
    assert (big.over_ceiling, big.amount_reserved) == (True, E("0.00"))
    assert (small.over_ceiling, small.amount_reserved) == (True, E("0.00"))
    opening.refresh_from_db()
    assert opening.reserved == E("7500.00")
    assert reconcile.run() == []


def test_money_freed_while_open_goes_to_the_next_in_line_and_no_further_than_it_reaches(opening):
    first = f.submitted(opening, f.employer(), units=trajecten(2))
    big = f.submitted(opening, f.employer(), units=trajecten(3))
    small = f.submitted(opening, f.employer(), units=trajecten(2))

    f.act(first, "withdraw", first.created_by, {"reason": "Het traject gaat niet door."})

    first, big, small = fresh(first, big, small)
    assert first.amount_reserved == E("0.00")
    assert (big.over_ceiling, big.amount_reserved) == (False, E("11250.00"))  # next in line: € 11.250 of € 15.000
    assert (small.over_ceiling, small.amount_reserved) == (True, E("0.00"))  # € 3.750 left: it waits on
    moved = AuditEvent.objects.get(application=big, action="reserved_in_turn")
    assert moved.actor is None and moved.data["amount"] == "11250.00"
    assert reconcile.run() == []


def test_after_the_close_freed_money_moves_nobody_up(opening):
    first = f.submitted(opening, f.employer(), units=trajecten(2))
    big = f.submitted(opening, f.employer(), units=trajecten(3))
    type(opening).objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))

    f.act(first, "withdraw", first.created_by, {"reason": "Het traject gaat niet door."})

    (big,) = fresh(big)
    assert (big.over_ceiling, big.amount_reserved) == (True, E("0.00"))  # vrijval: the closed opening stays closed
    opening.refresh_from_db()
    assert opening.reserved == E("0.00")
    assert not AuditEvent.objects.filter(action="reserved_in_turn").exists()
    assert reconcile.run() == []


def test_a_supplement_forty_days_later_puts_the_application_in_line_on_that_day(opening, reviewer):
    start = timezone.now() - datetime.timedelta(days=50)
    early = f.submitted(opening, f.employer(), units=trajecten(2))  # first in the queue, € 7.500 reserved
    second = f.submitted(opening, f.employer(), units=trajecten(2))  # € 7.500: the ceiling is full
    third = f.submitted(opening, f.employer(), units=trajecten(2))  # waits
    f.act(early, "start_review", reviewer)
    f.act(early, "request_supplement", reviewer, {"reason": "De offerte ontbreekt.", "due_days": 60})
    early, third = fresh(early, third)
    place, completed = early.queue_position, early.complete_at
    assert early.amount_reserved == E("7500.00") and third.over_ceiling

    answered = timezone.now()
    f.act(early, "supplement", early.created_by, {"note": "Hierbij de offerte."}, now=answered)

    early, second, third = fresh(early, second, third)
    assert early.complete_at == answered and early.complete_at > completed and start < completed
    assert early.queue_position > third.queue_position > place  # at the end of the line, on the day it was complete
    assert (third.over_ceiling, third.amount_reserved) == (False, E("7500.00"))  # third was waiting before it
    assert (early.over_ceiling, early.amount_reserved) == (True, E("0.00"))  # now it waits
    assert second.amount_reserved == E("7500.00")
    assert reconcile.run() == []


def test_a_lottery_keeps_its_drawn_order_strictly(omscholing, reviewer):
    opening = f.open_opening(omscholing, code="loting-strikt", ceiling="15000.00", distribution="lottery")
    apps = [f.submitted(opening, f.employer(), units=trajecten(n)) for n in (3, 2, 1, 3, 2)]
    type(opening).objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    opening.refresh_from_db()

    result = f.run_allocation(opening, reviewer)

    outcomes = [row["outcome"] for row in result.order]
    first_out = outcomes.index("out")
    assert set(outcomes[first_out:]) == {"out"}  # nobody after the first that does not fit
    granted = sum(E(row["allocated"]) for row in result.order)
    assert granted <= E("15000.00")
    assert [row["reference"] for row in result.order] == allocation.lottery_order(
        result.seed, [a.reference for a in apps]
    )


def test_in_a_slim_draw_applications_still_waiting_for_a_supplement_go_after_every_complete_one(omscholing, reviewer):
    opening = f.open_opening(omscholing, code="loting-aanvulling", ceiling="15000.00", distribution="lottery")
    complete = [f.submitted(opening, f.employer(), units=trajecten(1)) for _ in range(3)]
    waiting = [f.submitted(opening, f.employer(), units=trajecten(1)) for _ in range(2)]
    for app in waiting:
        f.act(app, "start_review", reviewer)
        f.act(app, "request_supplement", reviewer, {"reason": "De offerte ontbreekt.", "due_days": 14})
    type(opening).objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    opening.refresh_from_db()

    result = f.run_allocation(opening, reviewer)

    order = [row["reference"] for row in result.order]
    assert order[:3] == allocation.lottery_order(result.seed, [a.reference for a in complete])
    assert order[3:] == allocation.lottery_order(result.seed, [a.reference for a in waiting])
    assert [row.get("incomplete") for row in result.order] == [None, None, None, True, True]
    assert allocation.recompute(result) == order  # anyone with the seed and the published rows


# --- the marginal application's partial grant, topped up while the opening is open (Awb 4:25 lid 2) ----------


def days_ago(n: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=n)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def submit_at(opening, moment, units: int):
    return f.submitted(opening, f.employer(), units=trajecten(units), at=moment)


@pytest.fixture
def voor_zover(omscholing):
    """€ 10.000 under the ceiling, a partial grant allowed: two trajecten of € 3.750 fit, a third in part."""
    return f.open_opening(
        omscholing,
        code="voor-zover",
        ceiling="10000.00",
        partial_grant=True,
        opens_at=days_ago(30),
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )


def test_the_marginal_application_is_topped_up_before_anyone_behind_it_when_money_comes_free(voor_zover):
    first = submit_at(voor_zover, days_ago(2), units=2)  # € 7.500: fits
    marginal = submit_at(voor_zover, days_ago(1), units=2)  # € 7.500: crosses the ceiling, alone on its day
    clock_job.run(timezone.localdate())  # that day is drawn: the marginal one gets what is left
    (marginal,) = fresh(marginal)
    assert (marginal.over_ceiling, marginal.amount_reserved) == (False, E("2500.00"))
    behind = f.submitted(voor_zover, f.employer(), units=trajecten(1))  # € 3.750 today: it waits behind it
    (behind,) = fresh(behind)
    assert (behind.over_ceiling, behind.amount_reserved) == (True, E("0.00"))

    f.act(first, "withdraw", first.created_by, {"reason": "Het traject gaat niet door."})  # € 7.500 comes free

    marginal, behind = fresh(marginal, behind)
    assert marginal.amount_reserved == E("7500.00")  # first what it asked: € 5.000 more
    assert (behind.over_ceiling, behind.amount_reserved) == (False, E("2500.00"))  # the rest, in part
    events = AuditEvent.objects.filter(action="reserved_in_turn").order_by("id")
    assert [(e.application_id, e.data["amount"], e.data["topped_up"]) for e in events] == [
        (marginal.pk, "7500.00", True),
        (behind.pk, "2500.00", False),
    ]
    voor_zover.refresh_from_db()
    assert voor_zover.reserved == E("10000.00")
    assert reconcile.run() == []


def test_without_a_partial_grant_the_marginal_application_waits_whole_and_nobody_passes_it(omscholing):
    opening = f.open_opening(
        omscholing,
        code="heel-of-niet",
        ceiling="10000.00",
        opens_at=days_ago(30),
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )
    first = submit_at(opening, days_ago(2), units=2)
    marginal = submit_at(opening, days_ago(1), units=2)
    clock_job.run(timezone.localdate())
    small = f.submitted(opening, f.employer(), units=trajecten(1))  # € 3.750 would fit in the € 2.500? no, and it waits
    marginal, small = fresh(marginal, small)
    assert (marginal.over_ceiling, marginal.amount_reserved) == (True, E("0.00"))
    assert small.over_ceiling

    f.act(first, "withdraw", first.created_by, {"reason": "Het traject gaat niet door."})

    marginal, small = fresh(marginal, small)
    assert (marginal.over_ceiling, marginal.amount_reserved) == (False, E("7500.00"))
    assert (small.over_ceiling, small.amount_reserved) == (True, E("0.00"))  # € 2.500 left: not in part
    assert reconcile.run() == []


def test_a_grant_lower_than_what_was_reserved_frees_the_rest_for_the_next_in_line(opening, reviewer, senior):
    lowered = submit_at(opening, days_ago(3), units=2)  # € 7.500 reserved
    submit_at(opening, days_ago(3, hour=11), units=2)  # € 7.500: the ceiling is full, not crossed
    next_in_line = submit_at(opening, days_ago(2), units=1)  # € 3.750: crosses it, alone on its day, and waits
    clock_job.run(timezone.localdate())
    f.act(lowered, "start_review", reviewer)
    f.act(lowered, "propose_grant", reviewer, {"amount": "3750.00", "note": "Eén traject komt in aanmerking."})
    f.act(lowered, "approve_decision", senior)

    lowered, next_in_line = fresh(lowered, next_in_line)
    assert lowered.amount_granted == E("3750.00")
    assert (next_in_line.over_ceiling, next_in_line.amount_reserved) == (False, E("3750.00"))
    opening.refresh_from_db()
    assert opening.committed + opening.reserved == E("15000.00")
    assert reconcile.run() == []


def test_a_partial_proposal_topped_up_since_is_not_approved_for_the_old_amount(voor_zover, reviewer, senior):
    first = submit_at(voor_zover, days_ago(2), units=2)
    marginal = submit_at(voor_zover, days_ago(1), units=2)
    clock_job.run(timezone.localdate())
    f.act(marginal, "start_review", reviewer)
    f.act(marginal, "propose_grant", reviewer, {"note": "Voldoet; voor zover het plafond reikt."})
    assert fresh(marginal)[0].pending_decision().amount == E("2500.00")
    f.act(first, "withdraw", first.created_by, {"reason": "Het traject gaat niet door."})  # € 7.500 comes free
    assert fresh(marginal)[0].amount_reserved == E("7500.00")

    with pytest.raises(Conflict, match="Sinds het voorstel kreeg deze aanvraag meer budget"):
        f.act(marginal, "approve_decision", senior)

    (marginal,) = fresh(marginal)
    assert marginal.state == "decision_proposed" and marginal.amount_granted in (None, E("0.00"))
    f.act(marginal, "return_decision", senior, {"note": "Er is meer budget: opnieuw voorstellen."})
    f.act(marginal, "propose_grant", reviewer, {"note": "Voldoet."})
    f.act(marginal, "approve_decision", senior)
    (marginal,) = fresh(marginal)
    assert marginal.amount_granted == E("7500.00")
    assert reconcile.run() == []


# --- no grant before the day's place is known -------------------------------------------------------------


def test_an_application_complete_today_is_not_granted_before_the_day_has_ended(opening, reviewer):
    app = f.submitted(opening, f.employer(), units=trajecten(1))  # fits: € 3.750 of € 15.000
    f.act(app, "start_review", reviewer)
    f.declare_no_conflict(app, reviewer)

    with pytest.raises(Conflict, match="de dag waarop de aanvraag volledig werd, voorbij is"):
        services.perform(app, "propose_grant", reviewer, {"note": "Voldoet."})  # today the ceiling may yet be crossed

    (app,) = fresh(app)
    assert app.state == "in_review" and app.pending_decision() is None
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    services.perform(app, "propose_grant", reviewer, {"note": "Voldoet."}, now=tomorrow)
    assert fresh(app)[0].pending_decision() is not None


def test_on_the_crossing_day_even_a_morning_application_waits_for_the_draw(voor_zover, reviewer):
    morning = submit_at(voor_zover, days_ago(1, hour=9), units=2)  # € 7.500 at 09:00: fits
    submit_at(voor_zover, days_ago(1, hour=14), units=2)  # 14:00 the same day: the ceiling is crossed
    f.act(morning, "start_review", reviewer)

    with pytest.raises(Conflict, match="de loting over die dag is gehouden"):  # the day is over, not yet drawn
        services.perform(morning, "propose_grant", reviewer, {"note": "Voldoet."})

    clock_job.run(timezone.localdate())
    (morning,) = fresh(morning)
    if morning.amount_reserved == E("7500.00"):  # first in the draw: granted in full
        f.act(morning, "propose_grant", reviewer, {"note": "Voldoet."})
        assert morning.pending_decision().amount == E("7500.00")
    else:  # second in the draw: what is left
        assert morning.amount_reserved == E("2500.00")
        f.act(morning, "propose_grant", reviewer, {"note": "Voldoet."})
        assert morning.pending_decision().amount == E("2500.00")


def test_a_raised_ceiling_goes_to_the_marginal_application_and_the_next_in_line(voor_zover):
    submit_at(voor_zover, days_ago(2), units=2)  # € 7.500
    marginal = submit_at(voor_zover, days_ago(1), units=2)  # € 2.500 of € 7.500 after the day's draw
    clock_job.run(timezone.localdate())
    behind = f.submitted(voor_zover, f.employer(), units=trajecten(1))  # € 3.750: waits

    change_ceiling(opening=voor_zover, new_ceiling=E("17500.00"), reason="Extra middelen (Stcrt.)")

    marginal, behind = fresh(marginal, behind)
    assert marginal.amount_reserved == E("7500.00")
    assert (behind.over_ceiling, behind.amount_reserved) == (False, E("2500.00"))  # the rest, in part
    assert reconcile.run() == []


def test_a_raised_ceiling_after_the_close_moves_nobody(opening):
    f.submitted(opening, f.employer(), units=trajecten(4))  # € 15.000: full
    waiting_one = f.submitted(opening, f.employer(), units=trajecten(1))
    type(opening).objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    opening.refresh_from_db()

    change_ceiling(opening=opening, new_ceiling=E("30000.00"), reason="Extra middelen (Stcrt.)")

    assert fresh(waiting_one)[0].over_ceiling
    assert reconcile.run() == []
