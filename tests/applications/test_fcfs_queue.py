"""First come, first served — strictly, by the date the application is complete (allocation issue, points 1 and 3).

An Omscholing opening with a ceiling of € 15.000 (four trajecten of € 3.750): who is in line, who waits,
and where money goes when it comes free.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications import reconcile
from applications.models import AuditEvent
from applications.services import allocation
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
