"""Hearing before a negative decision (Awb 4:7, 4:8): a rejection, a lower settlement or a revocation that departs
from what the applicant supplied, proposed without a letter of intent, is flagged to the second reviewer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications import services
from applications.services import hearing
from tests.factories import act, granted, submitted, team_for

pytestmark = pytest.mark.django_db

WARNING = "de aanvrager is niet gehoord (artikel 4:7 en 4:8 Awb)"


def in_review(team):
    app = submitted(team["opening"], team["employer"])
    act(app, "start_review", team["reviewer"])
    services.declare_conflict_of_interest(application=app, user=team["reviewer"], conflict=False)
    return app


def case_page(client, team, app) -> str:
    client.force_login(team["senior"])
    return client.get(reverse("review:case", args=[app.reference])).content.decode()


def test_a_rejection_on_the_merits_without_a_hearing_warns_the_second_reviewer(client):
    team = team_for()
    app = in_review(team)
    act(app, "propose_rejection", team["reviewer"], {"reason_code": "not_eligible", "note": "Geen."})
    assert app.pending_decision().data["hearing"] == "missing"
    assert WARNING in case_page(client, team, app)


def test_after_a_letter_of_intent_the_rejection_is_heard_and_no_warning_shows(client):
    team = team_for()
    app = in_review(team)
    hearing.send_intent(app, team["reviewer"], "Het beroep staat niet op de lijst.", reason_code="not_eligible")
    act(app, "propose_rejection", team["reviewer"], {"reason_code": "not_eligible", "note": "Gehoord."})
    assert app.pending_decision().data["hearing"] == "heard"
    assert WARNING not in case_page(client, team, app)


def test_a_rejection_for_the_ceiling_does_not_depart_from_what_the_applicant_supplied(client):
    team = team_for()
    app = in_review(team)
    act(app, "propose_rejection", team["reviewer"], {"reason_code": "ceiling_reached", "note": "Op."})
    assert app.pending_decision().data["hearing"] == "not_needed"
    assert WARNING not in case_page(client, team, app)


def test_a_settlement_below_the_recipient_s_own_report_and_a_revocation_need_a_hearing_too(client):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "revoke", team["reviewer"], {"ground": "4:48-b", "reason": "Niet verlengd."})
    assert app.pending_decision().data["hearing"] == "missing"
    act(app, "return_decision", team["senior"], {"note": "Eerst horen."})
    units = list(app.units.values_list("id", flat=True))
    act(app, "request_settlement", team["employer"], {"units_completed": units})
    act(app, "propose_settlement", team["reviewer"], {"amount": "5000.00", "note": "Lager."})
    assert app.pending_decision().data["hearing"] == "missing"  # below the € 7.500 the report gives
    assert WARNING in case_page(client, team, app)
