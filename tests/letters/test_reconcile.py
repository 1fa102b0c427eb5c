"""Reconciliation: letters owed, the money and the queue, checked against the database; findings make it fail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications import reconcile
from applications.models import Application, Finding, Outbox
from demo.replay import load_replay
from schemes.models import Opening
from tests.factories import act, granted, pay, submitted, team_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def life(django_capture_on_commit_callbacks):
    """An opening with two submissions, a grant with its advance paid, and a withdrawal."""
    team = team_for()
    with django_capture_on_commit_callbacks(execute=True):
        first = submitted(team["opening"], team["employer"])
        grant = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
        pay(grant, team["payer"], team["checker"])
        gone = submitted(team["opening"], team["employer"])
        act(gone, "withdraw", team["employer"], {"reason": "Toch niet nodig."})
    return {**team, "first": first, "grant": grant}


def test_a_life_of_the_scheme_reconciles_and_the_command_says_so(life, capsys):
    assert reconcile.run() == []
    call_command("reconcile")
    assert "Alles klopt" in capsys.readouterr().out


def test_an_event_without_its_letter_is_found_and_the_command_fails(life):
    Outbox.objects.filter(application=life["first"]).delete()
    with pytest.raises(CommandError):
        call_command("reconcile")
    finding = Finding.objects.get()
    assert finding.kind == Finding.Kind.OWED and "submit" in finding.detail


def test_a_failed_letter_is_a_finding(life):
    Outbox.objects.filter(application=life["first"]).update(
        status=Outbox.Status.FAILED, last_error="OSError: disk full"
    )
    [finding] = reconcile.run()
    assert finding.subject == f"letter:receipt:application:{life['first'].pk}" and "disk full" in finding.detail


def test_totals_that_disagree_with_the_ledger_are_found(life):
    Opening.objects.filter(pk=life["opening"].pk).update(paid=Decimal("1.00"))
    Application.objects.filter(pk=life["grant"].pk).update(amount_committed=Decimal("1.00"))
    subjects = {f.subject for f in reconcile.run()}
    assert subjects == {f"{life['opening'].code}: paid", f"{life['opening'].code}: committed"}


def test_a_gap_in_the_queue_is_found(life):
    Application.objects.filter(pk=life["first"].pk).update(queue_position=9)
    [finding] = reconcile.run()
    assert finding.kind == Finding.Kind.QUEUE and finding.subject == life["opening"].code


def test_the_replay_of_2021_reconciles(catalogue):

    load_replay()
    assert reconcile.run() == []
    assert Outbox.objects.filter(status=Outbox.Status.WAIVED).exists()
