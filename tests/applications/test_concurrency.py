"""On PostgreSQL, many at once: the ceiling is never overspent and nothing is lost."""

from __future__ import annotations

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from applications import clock_job, services
from applications.models import Application, AuditEvent, Role
from applications.services import ActionError, Conflict
from applications.states import State
from schemes.models import LedgerEntry
from tests import factories as f
from tests.factories import act

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def in_threads(jobs, fn):
    """Run ``fn(job)`` for every job on THREADS threads that start together; outcomes in job order."""
    barrier = threading.Barrier(min(THREADS, len(jobs)))

    def work(job):
        try:
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            return fn(job)
        except Exception as exc:  # the outcome is what the test judges
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(work, jobs))


def ledger_total(opening, kind):
    return LedgerEntry.objects.filter(opening=opening, kind=kind).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def assert_ledger_matches(opening):
    opening.refresh_from_db()
    assert opening.reserved + opening.committed <= opening.budget_ceiling
    assert ledger_total(opening, "reserve") - ledger_total(opening, "release") == opening.reserved
    assert ledger_total(opening, "commit") - ledger_total(opening, "decommit") == opening.committed
    assert ledger_total(opening, "pay") == opening.paid


def test_eighty_employers_submit_at_once_against_a_small_ceiling(omscholing):
    opening = f.open_opening(omscholing, code="stormloop", ceiling=str(Decimal("7500.00") * 30))
    drafts = [f.draft(opening, f.employer()) for _ in range(80)]

    def submit(app):
        return act(app, "submit", app.created_by)

    outcomes = in_threads(drafts, submit)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    apps = list(Application.objects.filter(opening=opening).order_by("queue_position"))
    assert len(apps) == 80
    assert all(a.state == State.SUBMITTED for a in apps)
    assert [a.queue_position for a in apps] == list(range(1, 81))
    assert len({a.reference for a in apps}) == 80
    fitting = [a for a in apps if not a.over_ceiling]
    # the first thirty in the queue fit, in queue order; every other one is marked over the ceiling
    assert [a.queue_position for a in fitting] == list(range(1, 31))
    assert all(a.amount_reserved == Decimal("7500.00") for a in fitting)
    assert all(a.amount_reserved == 0 for a in apps if a.over_ceiling)
    assert AuditEvent.objects.filter(application__opening=opening, action="submit").count() == 80
    assert_ledger_matches(opening)
    assert opening.reserved == opening.budget_ceiling
    assert opening.queue_length == 80


def test_concurrent_grant_approvals_never_commit_more_than_the_ceiling(omscholing):
    yesterday = timezone.now() - datetime.timedelta(days=1)
    opening = f.open_opening(
        omscholing, code="krap", ceiling="30000.00", opens_at=yesterday - datetime.timedelta(days=9)
    )
    reviewer = f.staff(Role.REVIEWER, [omscholing], username="beh")
    senior = f.staff(Role.SENIOR_REVIEWER, [omscholing], username="sen")
    apps = [f.submitted(opening, f.employer(), at=yesterday) for _ in range(12)]  # 12 × € 7.500 on € 30.000
    clock_job.run(timezone.localdate())  # the day the ceiling was crossed, drawn: four reserved, eight waiting
    for app in apps:
        act(app, "start_review", reviewer)
        act(app, "propose_grant", reviewer, {"note": "Voldoet."})
    for app in apps:  # the second reviewer declares no conflict of interest on each, as every staff act asks
        f.declare_no_conflict(app, senior)

    def approve(app):
        client = APIClient()
        client.force_authenticate(senior)
        response = client.post(f"/api/v1/applications/{app.reference}/actions/approve_decision/", {}, format="json")
        return response.status_code, response.json()

    outcomes = in_threads(apps, approve)

    codes = sorted(code for code, _body in outcomes)
    assert codes == [200] * 4 + [409] * 8
    for code, body in outcomes:
        if code == 409:
            assert "subsidieplafond" in body["detail"]
    granted = Application.objects.filter(opening=opening, state=State.GRANTED)
    assert granted.count() == 4
    assert Application.objects.filter(opening=opening, state=State.DECISION_PROPOSED).count() == 8
    assert_ledger_matches(opening)
    assert opening.committed == Decimal("30000.00")
    assert AuditEvent.objects.filter(application__opening=opening, action="approve_decision").count() == 4


def test_two_reviewers_take_the_same_application_at_once_one_wins(omscholing):
    opening = f.open_opening(omscholing)
    reviewers = [f.staff(Role.REVIEWER, [omscholing], username=f"beh{i}") for i in range(2)]
    app = f.submitted(opening, f.employer())

    outcomes = in_threads(reviewers, lambda reviewer: act(app, "start_review", reviewer))

    wins = [o for o in outcomes if isinstance(o, Application)]
    losses = [o for o in outcomes if isinstance(o, ActionError)]
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], Conflict)
    app.refresh_from_db()
    assert app.state == State.IN_REVIEW
    assert AuditEvent.objects.filter(application=app, action="start_review").count() == 1


def test_withdraw_and_start_review_at_once_one_wins(omscholing):
    opening = f.open_opening(omscholing)
    reviewer = f.staff(Role.REVIEWER, [omscholing], username="beh")
    user = f.employer()
    app = f.declare_no_conflict(f.submitted(opening, user), reviewer)
    app.refresh_from_db()
    version = app.version
    declared = AuditEvent.objects.filter(application=app).exclude(action__in=["create", "submit"]).count()

    def take(who):
        if who == "employer":
            return services.perform(app, "withdraw", user, {"reason": "Toch niet."}, expected_version=version)
        return services.perform(app, "start_review", reviewer, expected_version=version)

    outcomes = in_threads(["employer", "reviewer"], take)

    assert sum(isinstance(o, Application) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    app.refresh_from_db()
    assert app.state in (State.WITHDRAWN, State.IN_REVIEW)
    assert AuditEvent.objects.filter(application=app).exclude(action__in=["create", "submit"]).count() == declared + 1
    assert_ledger_matches(opening)


def test_double_click_on_submit_submits_once(omscholing):
    opening = f.open_opening(omscholing)
    user = f.employer()
    app = f.draft(opening, user)

    outcomes = in_threads([1, 2, 3, 4], lambda _i: act(app, "submit", user))

    assert sum(isinstance(o, Application) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, Application))
    opening.refresh_from_db()
    assert opening.queue_length == 1 and opening.reserved == Decimal("7500.00")


def test_one_slim_application_per_window_even_when_submitted_at_once():
    scheme = f.slim_scheme()
    opening = f.open_opening(scheme)
    user = f.employer()
    drafts = [f.draft(opening, user, eligible_costs="10000.00") for _ in range(4)]

    outcomes = in_threads(drafts, lambda app: act(app, "submit", user))

    assert sum(isinstance(o, Application) for o in outcomes) == 1
    refusals = [o for o in outcomes if not isinstance(o, Application)]
    assert all(isinstance(o, services.Invalid) and "al een aanvraag" in o.detail for o in refusals)
    assert Application.objects.filter(opening=opening, state=State.SUBMITTED).count() == 1
