"""Two actions on the same opening at once: the database may undo one of them whole (a deadlock, PostgreSQL
40P01, or a serialization failure, 40001). That action is tried again, up to three times, and else refused with
a clear 409 — never a 500, never half done, never done twice.

A withdrawal locks the application and then the opening and the next in line; an approval locks its application
and then the opening: two such actions can wait for each other. Here the database's verdict is played by the
handler, so the test does not hang on timing.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError

from applications import reconcile, services
from applications.errors import Conflict
from applications.models import AuditEvent
from applications.services.actions import HANDLERS
from tests import factories as f


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
