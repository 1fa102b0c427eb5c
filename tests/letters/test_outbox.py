"""Never lose a decision: what an event owes is a row written with it, delivered once, whatever fails."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from applications import audit, clock_job, letters, outbox, tasks
from applications.admin import OutboxAdmin
from applications.models import AuditEvent, Decision, Letter, Notification, Outbox
from demo.replay import load_replay
from tests.factories import granted, submitted, team_for

pytestmark = pytest.mark.django_db


def later(minutes: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


@pytest.fixture
def broker_down(monkeypatch):
    """Every prompt to a worker fails, as when Redis is away: only the outbox keeps what is owed."""

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.deliver_owed, "apply_async", refused)


def test_a_submission_owes_its_receipt_in_the_same_transaction(broker_down, django_capture_on_commit_callbacks):
    team = team_for()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    event = app.events.get(action="submit")
    row = Outbox.objects.get(application=app)
    assert row.event == event and row.kind == Outbox.Kind.LETTER and row.status == Outbox.Status.OWED
    assert row.key == f"letter:receipt:application:{app.pk}" and row.payload["kind"] == "receipt"
    assert not Letter.objects.filter(application=app).exists()  # the broker is down: nothing delivered yet


def test_an_act_that_is_rolled_back_owes_nothing(django_capture_on_commit_callbacks):
    team = team_for()
    with pytest.raises(RuntimeError), transaction.atomic():
        submitted(team["opening"], team["employer"])
        raise RuntimeError("the request failed after the submission")
    assert not Outbox.objects.exists() and not AuditEvent.objects.filter(action="submit").exists()


def test_with_the_broker_down_the_sweep_delivers_every_letter_and_e_mail_exactly_once(
    broker_down, django_capture_on_commit_callbacks
):
    team = team_for()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # one traject each: with the grant's two the employer stays within six per opening
        apps = [submitted(team["opening"], team["employer"], units=1) for _ in range(3)]
        apps.append(granted(team["opening"], team["employer"], team["reviewer"], team["senior"]))
    owed = Outbox.objects.filter(status=Outbox.Status.OWED)
    assert owed.count() == 5  # three receipts, and the fourth's receipt and grant
    assert outbox.sweep()["delivered"] == 0  # owed for less than a minute: the kick's minute
    assert outbox.sweep(now=later(2)) == {"delivered": 5, "still_owed": 0, "failed": 0}
    assert outbox.sweep(now=later(3))["delivered"] == 0
    assert Letter.objects.filter(status=Letter.Status.RENDERED).count() == 5
    for app in apps:
        for letter in app.letters.all():
            assert letter.emailed_at is not None
            assert len([m for m in mail.outbox if app.reference in m.subject]) == app.letters.count()
    assert len(mail.outbox) == 5


def test_delivering_one_row_twice_makes_one_letter_and_one_e_mail(broker_down, django_capture_on_commit_callbacks):
    team = team_for()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    row = Outbox.objects.get(application=app)
    mail.outbox.clear()
    assert outbox.deliver(row.key) == Outbox.Status.DONE
    assert outbox.deliver(row.key) is None  # done: nothing to deliver
    # a duplicate prompt of an older version of the row, or a second worker: the letter and its e-mail stay one
    Outbox.objects.filter(pk=row.pk).update(status=Outbox.Status.OWED)
    assert outbox.deliver(row.key) == Outbox.Status.DONE
    assert Letter.objects.filter(application=app).count() == 1
    assert len(mail.outbox) == 1 and Notification.objects.filter(event=row.event).count() == 1


def test_a_row_claimed_by_a_worker_is_left_alone_until_its_lease_runs_out(
    broker_down, django_capture_on_commit_callbacks
):
    team = team_for()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    row = Outbox.objects.get(application=app)
    # a worker claimed it and was killed mid-render: the row is leased for two minutes
    Outbox.objects.filter(pk=row.pk).update(locked_until=later(2), attempts=1)
    assert outbox.sweep(now=later(1))["delivered"] == 0
    assert outbox.sweep(now=later(3))["delivered"] == 1
    assert Letter.objects.get(application=app).status == Letter.Status.RENDERED


def test_a_failing_letter_backs_off_then_fails_and_an_administrator_retries_it(
    broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    team = team_for()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    row = Outbox.objects.get(application=app)
    monkeypatch.setattr(letters.rendering, "render_pdf", lambda html: (_ for _ in ()).throw(OSError("font missing")))
    moment = later(2)
    waits = []
    for _attempt in range(outbox.MAX_ATTEMPTS):
        status = outbox.deliver(row.key, now=moment)
        row.refresh_from_db()
        waits.append(round((row.next_attempt_at - timezone.now()).total_seconds() / 60))
        moment = row.next_attempt_at + datetime.timedelta(seconds=1)
        assert outbox.deliver(row.key, now=row.next_attempt_at - datetime.timedelta(seconds=5)) is None  # not yet
    assert status == Outbox.Status.FAILED and row.attempts == outbox.MAX_ATTEMPTS
    assert "font missing" in row.last_error
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert outbox.sweep(now=later(24 * 60))["delivered"] == 0  # failed rows wait for a person

    monkeypatch.undo()
    admin = OutboxAdmin(Outbox, site)
    request = RequestFactory().post("/")
    request.user = team["senior"]
    monkeypatch.setattr(admin, "message_user", lambda *args, **kwargs: None)
    admin.retry(request, Outbox.objects.filter(pk=row.pk))
    row.refresh_from_db()
    assert row.status == Outbox.Status.DONE and row.last_error == ""
    assert Letter.objects.get(application=app).status == Letter.Status.RENDERED


def test_a_tranche_decision_owes_an_e_mail_and_no_letter(broker_down, django_capture_on_commit_callbacks):
    team = team_for()
    app = submitted(team["opening"], team["employer"])
    decision = Decision.objects.create(application=app, kind=Decision.Kind.TRANCHE_RELEASE, status="approved")
    with django_capture_on_commit_callbacks(execute=True):
        event = audit.record(app, team["senior"], "approve_decision", data={"decision": decision.pk})
    row = Outbox.objects.get(event=event)
    assert row.kind == Outbox.Kind.EMAIL and row.key == f"email:event:{event.pk}"
    mail.outbox.clear()
    assert outbox.deliver(row.key) == Outbox.Status.DONE
    assert [m.body.splitlines()[0] for m in mail.outbox] == [f"Er is een besluit over uw aanvraag {app.reference}."]
    assert not Letter.objects.filter(event=event).exists()


def test_the_replay_owes_nothing(catalogue):

    load_replay()
    assert AuditEvent.objects.filter(action="submit").exists()
    assert Outbox.objects.exists() and not Outbox.objects.exclude(status=Outbox.Status.WAIVED).exists()


def test_an_owed_letter_is_delivered_after_the_commit_when_the_broker_is_up(django_capture_on_commit_callbacks):
    team = team_for()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    row = Outbox.objects.get(application=app)
    assert row.status == Outbox.Status.DONE and row.attempts == 1 and row.done_at is not None
    assert Letter.objects.get(application=app).status == Letter.Status.RENDERED


def test_the_clock_job_delivers_what_is_owed(broker_down, django_capture_on_commit_callbacks):

    team = team_for()
    with django_capture_on_commit_callbacks(execute=True):
        submitted(team["opening"], team["employer"])
    assert clock_job.run()["letters_and_emails_delivered"] == 1
    assert not Outbox.objects.filter(status=Outbox.Status.OWED).exists()


def test_services_never_deliver_inside_the_transaction():
    """The owed row is written with the event; delivery waits for the commit (a rolled-back grant sends nothing)."""
    team = team_for()
    with transaction.atomic():
        app = submitted(team["opening"], team["employer"])
        assert Outbox.objects.get(application=app).status == Outbox.Status.OWED
        assert not Letter.objects.exists()
