"""The hardship clause (hardheidsclausule): a departure from a rule of the scheme in one case, with reasons and four
eyes, visible in the letter, the audit trail and a report; the ceiling and the de-minimis limit are not waived."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications import services
from applications.errors import Invalid
from applications.models import Application, AuditEvent, Letter
from reporting.queries import kpi_report
from tests.factories import act, pdf_text, submitted, team_for

pytestmark = pytest.mark.django_db


def test_a_traject_below_the_minimum_cost_granted_under_the_hardship_clause_with_four_eyes(
    django_capture_on_commit_callbacks,
):
    team = team_for()
    app = submitted(team["opening"], team["employer"], units=1)
    # the provider lowered its price after submission: the traject now costs € 7.200, below the € 7.500 minimum
    app.units.update(cost=Decimal("7200.00"))
    act(app, "start_review", team["reviewer"])
    services.declare_conflict_of_interest(application=app, user=team["reviewer"], conflict=False)
    with pytest.raises(Invalid, match="minstens € 7.500,00"):
        act(app, "propose_grant", team["reviewer"], {"note": "Voldoet."})
    reasons = "De opleider gaf na de indiening korting; het traject zelf is ongewijzigd."
    act(app, "propose_grant", team["reviewer"], {"note": "Afwijking.", "hardship": reasons})
    proposal = app.pending_decision()
    assert proposal.data["hardship"]["rules"] == ["units.0.cost"] and proposal.data["hardship"]["reasons"] == reasons
    with pytest.raises(services.Forbidden):  # four eyes: not the one who proposed it
        act(app, "approve_decision", team["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        app = act(app, "approve_decision", team["senior"])
    assert app.state == "granted" and app.amount_granted == Decimal("3750.00")
    event = AuditEvent.objects.get(application=app, action="propose_grant")
    assert event.data["hardship"]["reasons"] == reasons  # in the audit trail
    text = pdf_text(Letter.objects.get(application=app, kind="grant"))
    assert "hardheidsclausule" in text and "korting" in text
    assert kpi_report("opening", team["opening"].code)["hardship_grants"] == 1


def test_the_hardship_clause_is_not_needed_when_every_rule_is_met():
    team = team_for()
    app = submitted(team["opening"], team["employer"])
    act(app, "start_review", team["reviewer"])
    services.declare_conflict_of_interest(application=app, user=team["reviewer"], conflict=False)
    with pytest.raises(Invalid, match="niet nodig"):
        act(app, "propose_grant", team["reviewer"], {"hardship": "Voor de zekerheid."})
    assert Application.objects.get(pk=app.pk).state == "in_review"
