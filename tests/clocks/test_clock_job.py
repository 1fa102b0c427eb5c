"""The daily clocks at chosen dates: digests, expired terms, settlement reminders and ex officio settlement,
tranches; and a second run on the same day does nothing twice."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from freezegun import freeze_time

from applications import clock_job, clocks, interest, letters, services
from applications.models import AuditEvent, ClockRun, Decision, Letter, Tranche
from applications.states import State
from tests.factories import OpeningFactory, SchemeFactory, act, granted, pay, submitted, team_for

pytestmark = pytest.mark.django_db

START = "2024-03-04 10:00:00+01:00"  # a Monday


def run_on(day: datetime.date) -> dict:
    with freeze_time(f"{day.isoformat()} 06:00:00+01:00"):
        return clock_job.run()


def digests_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to and "termijnen" in m.subject]


def test_a_reviewer_is_warned_once_a_day_of_a_decision_due_within_a_week():
    with freeze_time(START):
        team = team_for()
        app = submitted(team["opening"], team["employer"])
        act(app, "start_review", team["reviewer"])
        app.refresh_from_db()
    assert app.assigned_to == team["reviewer"]
    due = app.decision_due
    mail.outbox.clear()

    assert run_on(due - datetime.timedelta(days=10))["digests_sent"] == 0
    first = run_on(due - datetime.timedelta(days=3))
    assert first["digests_sent"] == 1
    assert len(digests_to(team["reviewer"])) == 1
    assert app.reference in digests_to(team["reviewer"])[0].body
    assert "nog 3 dagen" in digests_to(team["reviewer"])[0].body

    again = run_on(due - datetime.timedelta(days=3))
    assert again["digests_sent"] == 0
    assert len(digests_to(team["reviewer"])) == 1

    late = run_on(due + datetime.timedelta(days=2))
    assert late["digests_sent"] == 1
    assert "2 dagen te laat" in digests_to(team["reviewer"])[-1].body
    assert ClockRun.objects.filter(kind="digest").count() == 2


def test_an_unassigned_application_is_in_the_digest_of_the_whole_team():
    with freeze_time(START):
        team = team_for()
        app = submitted(team["opening"], team["employer"])
    mail.outbox.clear()
    run_on(app.decision_due)
    assert app.reference in digests_to(team["reviewer"])[0].body
    assert app.reference in digests_to(team["senior"])[0].body


def test_an_unused_supplement_term_is_flagged_once_and_then_not_considered_is_offered():
    with freeze_time(START):
        team = team_for()
        app = submitted(team["opening"], team["employer"])
        act(app, "start_review", team["reviewer"])
        act(app, "request_supplement", team["reviewer"], {"reason": "Het opleidingsplan ontbreekt."})
    request = app.supplement_requests.get()
    assert run_on(request.due_date)["supplement_terms_expired"] == 0

    day_after = request.due_date + datetime.timedelta(days=1)
    assert run_on(day_after)["supplement_terms_expired"] == 1
    assert run_on(day_after)["supplement_terms_expired"] == 0
    assert run_on(day_after + datetime.timedelta(days=1))["supplement_terms_expired"] == 0
    assert AuditEvent.objects.filter(application=app, action="supplement_term_expired", actor=None).count() == 1
    with freeze_time(f"{day_after.isoformat()} 12:00:00+01:00"):
        app.refresh_from_db()
        assert "declare_not_considered" in services.available_actions(app, team["reviewer"])


def test_a_late_settlement_request_is_reminded_once_and_settled_ex_officio_after_13_weeks():
    with freeze_time(START):
        team = team_for()
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    due = app.settlement_due
    assert due == clocks.settlement_request_due(app.units.first().end_date)
    mail.outbox.clear()

    assert run_on(due - datetime.timedelta(days=40))["settlement_reminders"] == 0
    assert run_on(due - datetime.timedelta(days=28))["settlement_reminders"] == 1
    assert run_on(due - datetime.timedelta(days=27))["settlement_reminders"] == 0
    reminders = [m for m in mail.outbox if "vaststelling" in m.subject.lower()]
    assert len(reminders) == 1 and app.organisation.contact_email in reminders[0].to

    # the due date passed: one more reminder, with a last term of four weeks (Awb 4:44)
    assert run_on(due)["settlement_overdue_reminders"] == 0
    assert run_on(due + datetime.timedelta(days=1))["settlement_overdue_reminders"] == 1
    assert run_on(due + datetime.timedelta(days=2))["settlement_overdue_reminders"] == 0
    overdue = [m for m in mail.outbox if "niet aangevraagd" in m.subject]
    assert len(overdue) == 1 and "nihil" in overdue[0].body
    assert AuditEvent.objects.filter(application=app, action="settlement_overdue_reminder").count() == 1

    just_before = clocks.ex_officio_settlement_from(due) - datetime.timedelta(days=1)
    assert run_on(just_before)["settled_ex_officio_late"] == 0
    app.refresh_from_db()
    assert app.state == State.GRANTED

    day = clocks.ex_officio_settlement_from(due)
    assert run_on(day)["settled_ex_officio_late"] == 1
    app.refresh_from_db()
    assert app.state == State.SETTLEMENT_PROPOSED
    decision = app.pending_decision()
    assert decision.kind == Decision.Kind.SETTLEMENT
    assert decision.proposed_by is None and decision.note == "ambtshalve"
    # on what is known: no traject reported completed, so nil — not the € 7.500 granted (4:47)
    assert decision.amount == Decimal("0.00") and decision.data["ex_officio"] is True
    assert run_on(day)["settled_ex_officio_late"] == 0

    # four eyes: the system proposed, a senior reviewer approves
    with freeze_time(f"{day.isoformat()} 11:00:00+02:00"):
        assert "approve_settlement" in services.available_actions(app, team["senior"])
        app = act(app, "approve_settlement", team["senior"])
    assert app.state == State.SETTLED


def test_without_a_reminder_and_its_term_there_is_no_ex_officio_settlement():
    """A clock that did not run after the due date reminds first, 13 weeks late; four weeks later it settles."""
    with freeze_time(START):
        team = team_for()
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    day = clocks.ex_officio_settlement_from(app.settlement_due)
    counts = run_on(day)
    assert (counts["settlement_overdue_reminders"], counts["settled_ex_officio_late"]) == (1, 0)
    assert run_on(day + datetime.timedelta(weeks=4) - datetime.timedelta(days=1))["settled_ex_officio_late"] == 0
    assert run_on(day + datetime.timedelta(weeks=4))["settled_ex_officio_late"] == 1


def test_a_recovery_not_paid_is_reminded_once_with_the_interest_so_far():
    with freeze_time(START):
        team = team_for()
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
        pay(app, team["payer"], team["checker"])
        act(app, "revoke", team["reviewer"], {"ground": "4:48-b", "reason": "Het contract is niet verlengd."})
        app = act(app, "approve_decision", team["senior"])
    recovery = app.payments.get(kind="recovery")
    mail.outbox.clear()
    assert run_on(recovery.due_date)["recovery_reminders"] == 0  # still in time
    later = recovery.due_date + datetime.timedelta(days=30)
    assert run_on(later)["recovery_reminders"] == 1
    assert run_on(later + datetime.timedelta(days=1))["recovery_reminders"] == 0
    recovery.refresh_from_db()
    assert recovery.reminded_on == later
    event = AuditEvent.objects.get(application=app, action="recovery_reminder")
    assert Decimal(event.data["interest"]) == interest.statutory_interest(Decimal("7500.00"), recovery.due_date, later)
    assert Decimal(event.data["interest"]) > 0
    (letter,) = [m for m in mail.outbox if "Aanmaning" in m.subject]
    assert "€ 7.500,00" in letter.body and "wettelijke rente" in letter.body


def test_a_slim_grant_below_25000_is_settled_ex_officio_on_its_due_date():
    with freeze_time(START):
        team = team_for(OpeningFactory(scheme=SchemeFactory(slim=True)))
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    assert app.amount_granted == Decimal("18000.00")  # 60 % of € 30.000
    mail.outbox.clear()
    assert run_on(app.settlement_due - datetime.timedelta(days=20))["settlement_reminders"] == 0
    assert run_on(app.settlement_due - datetime.timedelta(days=1))["settled_ex_officio_small"] == 0
    counts = run_on(app.settlement_due)
    assert counts["settled_ex_officio_small"] == 1
    app.refresh_from_db()
    assert app.state == State.SETTLEMENT_PROPOSED
    assert app.pending_decision().data["ex_officio"] is True
    assert not [m for m in mail.outbox if "vaststelling" in m.subject.lower()]


def test_tranches_are_released_on_their_date_and_gated_ones_put_on_the_queue():
    with freeze_time(START):
        team = team_for(OpeningFactory(scheme=SchemeFactory(techkwadraat=True)))
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
        app.tranches.all().delete()
        Tranche.objects.create(
            application=app,
            number=1,
            label="Onvoorwaardelijk deel",
            amount=Decimal("400000.00"),
            planned_date=datetime.date(2024, 4, 1),
        )
        Tranche.objects.create(
            application=app,
            number=2,
            label="Na KPI-beoordeling",
            amount=Decimal("600000.00"),
            planned_date=datetime.date(2025, 4, 1),
            gated=True,
            review_kind="KPI-beoordeling",
            review_date=datetime.date(2025, 3, 3),
        )
    counts = run_on(datetime.date(2024, 4, 1))
    assert counts["tranches_released"] == 1
    assert run_on(datetime.date(2024, 4, 1))["tranches_released"] == 0
    assert app.payments.filter(kind="tranche", amount=Decimal("400000.00")).count() == 1

    assert run_on(datetime.date(2025, 3, 2))["tranches_due"] == 0
    assert run_on(datetime.date(2025, 3, 3))["tranches_due"] == 1
    assert run_on(datetime.date(2025, 3, 3))["tranches_due"] == 0
    assert app.tranches.get(number=2).status == Tranche.Status.DUE
    with freeze_time("2025-03-03 12:00:00+01:00"):
        assert "propose_tranche" in services.available_actions(app, team["reviewer"])


def test_the_clock_job_retries_a_failed_letter(monkeypatch, django_capture_on_commit_callbacks):

    with freeze_time(START):
        team = team_for()
        monkeypatch.setattr(
            letters.rendering, "render_pdf", lambda html: (_ for _ in ()).throw(RuntimeError("schijf vol"))
        )
        with django_capture_on_commit_callbacks(execute=True):
            app = submitted(team["opening"], team["employer"])
        monkeypatch.undo()
    letter = Letter.objects.get(application=app)
    assert letter.status == Letter.Status.FAILED
    assert run_on(datetime.date(2024, 3, 5))["letters_and_emails_delivered"] == 1
    letter.refresh_from_db()
    assert letter.status == Letter.Status.RENDERED
    assert run_on(datetime.date(2024, 3, 5))["letters_and_emails_delivered"] == 0


def test_running_twice_on_the_same_day_does_nothing_twice():
    with freeze_time(START):
        team = team_for()
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
        other = submitted(OpeningFactory(scheme=team["opening"].scheme), team["employer"])
    day = clocks.ex_officio_settlement_from(app.settlement_due)
    assert other.decision_due < day
    run_on(app.settlement_due + datetime.timedelta(days=1))  # the reminder after the due date, and its term
    mail.outbox.clear()
    first = run_on(day)
    assert first["settled_ex_officio_late"] == 1 and first["digests_sent"] >= 1
    events, emails, runs = AuditEvent.objects.count(), len(mail.outbox), ClockRun.objects.count()
    second = run_on(day)
    assert {k: v for k, v in second.items() if k != "day" and v} == {}
    assert (AuditEvent.objects.count(), len(mail.outbox), ClockRun.objects.count()) == (events, emails, runs)


def test_the_command_takes_a_date(capsys):
    with freeze_time(START):
        team = team_for()
        app = submitted(team["opening"], team["employer"])
    mail.outbox.clear()
    call_command("run_clocks", "--date", app.decision_due.isoformat())
    out = capsys.readouterr().out
    assert '"digests_sent": 4' in out  # one to each reviewer of the team: reviewer, senior, objection handler, approver
    assert app.decision_due.isoformat() in out
