"""Two actions on the same opening at once: the database may undo one of them whole (a deadlock, PostgreSQL
40P01, or a serialization failure, 40001). That action is tried again, up to three times, and else refused with
a clear 409 — never a 500, never half done, never done twice.

A withdrawal locks the application and then the opening and the next in line; an approval locks its application
and then the opening: two such actions can wait for each other. Here the database's verdict is played by the
handler, so the test does not hang on timing.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from applications import clock_job, reconcile, services
from applications.errors import Conflict
from applications.models import AuditEvent
from applications.services import actions
from applications.services.actions import HANDLERS
from schemes import budget
from tests import factories as f

E = Decimal


class DeadlockDetected(Exception):
    sqlstate = "40P01"


def undone_by_the_database(monkeypatch, action: str, times: int) -> dict:
    """The handler of ``action`` is undone by the database ``times`` times, then runs as it does."""
    handler, calls = HANDLERS[action], {"n": 0}

    def flaky(ctx):
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError("deadlock detected") from DeadlockDetected()
        return handler(ctx)

    monkeypatch.setitem(HANDLERS, action, flaky)
    return calls


WITHDRAW = {"reason": "Het traject gaat niet door."}


@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_undone_by_a_deadlock_is_done_again_once(monkeypatch, omscholing):
    opening = f.open_opening(omscholing, code="slot-1", ceiling="7500.00")
    app = f.submitted(opening, f.employer(), units=2)
    calls = undone_by_the_database(monkeypatch, "withdraw", times=1)

    services.perform(app, "withdraw", app.created_by, WITHDRAW)

    app.refresh_from_db()
    assert calls["n"] == 2 and app.state == "withdrawn" and app.amount_reserved == 0
    assert AuditEvent.objects.filter(application=app, action="withdraw").count() == 1
    assert reconcile.run() == []


@pytest.mark.django_db(transaction=True)
def test_three_deadlocks_in_a_row_refuse_the_action_with_a_conflict_and_change_nothing(monkeypatch, omscholing):
    opening = f.open_opening(omscholing, code="slot-2", ceiling="7500.00")
    app = f.submitted(opening, f.employer(), units=2)
    calls = undone_by_the_database(monkeypatch, "withdraw", times=3)

    with pytest.raises(Conflict, match="Probeer het opnieuw"):
        services.perform(app, "withdraw", app.created_by, WITHDRAW)

    app.refresh_from_db()
    assert calls["n"] == 3 and app.state == "submitted" and app.amount_reserved > 0
    assert not AuditEvent.objects.filter(application=app, action="withdraw").exists()
    assert reconcile.run() == []


@pytest.mark.django_db
def test_inside_another_transaction_a_deadlock_is_not_tried_again_but_refused(monkeypatch, omscholing):
    opening = f.open_opening(omscholing, code="slot-3", ceiling="7500.00")
    app = f.submitted(opening, f.employer(), units=2)
    calls = undone_by_the_database(monkeypatch, "withdraw", times=1)

    with pytest.raises(Conflict, match="Probeer het opnieuw"):  # the outer transaction still holds its locks
        services.perform(app, "withdraw", app.created_by, WITHDRAW)

    app.refresh_from_db()
    assert calls["n"] == 1 and app.state == "submitted"


@pytest.mark.django_db
def test_another_database_error_is_not_mistaken_for_a_deadlock(monkeypatch, omscholing):
    opening = f.open_opening(omscholing, code="slot-4", ceiling="7500.00")
    app = f.submitted(opening, f.employer(), units=2)

    def broken(ctx):
        raise OperationalError("disk full")

    monkeypatch.setitem(HANDLERS, "withdraw", broken)
    with pytest.raises(OperationalError, match="disk full"):
        services.perform(app, "withdraw", app.created_by, WITHDRAW)


# --- the real thing, on PostgreSQL -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_and_the_approval_of_the_marginal_grant_deadlock_and_both_end_cleanly(monkeypatch, omscholing):
    """The withdrawal of the first locks it and the opening, then wants the marginal application to top it up;
    the approval of the marginal one's grant locks it, then wants the opening. PostgreSQL breaks the deadlock by
    undoing one; that one is tried again after the other has committed. Nothing is lost, nothing is done twice."""
    opening = f.open_opening(
        omscholing,
        code="slot-echt",
        ceiling="10000.00",
        partial_grant=True,
        opens_at=timezone.now() - datetime.timedelta(days=30),
        closes_at=timezone.now() + datetime.timedelta(days=30),
    )
    reviewer, senior = f.reviewer([omscholing]), f.senior([omscholing])
    first = f.submitted(opening, f.employer(), units=2, at=timezone.now() - datetime.timedelta(days=2))
    marginal = f.submitted(opening, f.employer(), units=2, at=timezone.now() - datetime.timedelta(days=1))
    clock_job.run(timezone.localdate())  # the marginal one holds € 2.500 of € 7.500
    f.act(marginal, "start_review", reviewer)
    f.act(marginal, "propose_grant", reviewer, {"note": "Voor zover het plafond reikt."})
    f.declare_no_conflict(marginal, senior)

    withdrawal_holds_the_opening = threading.Event()
    real_lock = budget.lock_opening
    attempts = Counter()
    who = threading.local()

    def lock_opening(opening_id):
        if who.name == "approval":
            withdrawal_holds_the_opening.wait(timeout=10)  # the approval holds its application, then wants this
        locked = real_lock(opening_id)
        if who.name == "withdrawal" and not withdrawal_holds_the_opening.is_set():
            withdrawal_holds_the_opening.set()
            time.sleep(0.5)  # the approval now waits for the opening; the withdrawal goes on to the marginal one
        return locked

    monkeypatch.setattr(budget, "lock_opening", lock_opening)
    real_attempt = actions._perform_once

    def attempt(*args, **kwargs):
        attempts[who.name] += 1
        return real_attempt(*args, **kwargs)

    monkeypatch.setattr(actions, "_perform_once", attempt)

    def run(name, fn):
        who.name = name
        try:
            return fn()
        except Exception as exc:  # the outcome is what the test judges
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        withdrawn = pool.submit(
            run, "withdrawal", lambda: services.perform(first, "withdraw", first.created_by, WITHDRAW)
        )
        approved = pool.submit(run, "approval", lambda: services.perform(marginal, "approve_decision", senior))
        outcomes = {"withdrawal": withdrawn.result(timeout=60), "approval": approved.result(timeout=60)}

    assert sorted(attempts.values()) == [1, 2]  # one of them was undone by the database and tried again, once
    assert not isinstance(outcomes["withdrawal"], Exception), outcomes["withdrawal"]
    first.refresh_from_db()
    marginal.refresh_from_db()
    assert first.state == "withdrawn"
    if isinstance(outcomes["approval"], Exception):  # retried after the top-up: proposed anew for € 7.500
        assert isinstance(outcomes["approval"], Conflict) and "meer budget" in outcomes["approval"].detail
        assert marginal.state == "decision_proposed" and marginal.amount_reserved == E("7500.00")
    else:  # approved first, at € 2.500: the withdrawal, tried again, found nobody to top up
        assert marginal.state == "granted" and marginal.amount_granted == E("2500.00")
    assert AuditEvent.objects.filter(application=first, action="withdraw").count() == 1
    assert reconcile.run() == []
