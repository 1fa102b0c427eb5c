"""An objection is handled by someone not involved in the contested decision: the hearing (Awb 7:5) and the decision
on it (10:3 lid 3: not by whoever took the decision under mandate). The reviewer who proposed a rejection and the
senior who approved it may neither hear the objector, nor decide the objection, nor propose or approve the decision
taken again after it is upheld; a third reviewer may, and the new decision still needs four eyes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from applications import reconcile, services
from applications.errors import Forbidden
from applications.models import Objection
from applications.states import State
from tests.factories import act, decide_objection, declare_no_conflict, rejected, senior, team_for

pytestmark = pytest.mark.django_db

E = Decimal


@pytest.fixture
def objected():
    """An Omscholing application for two trajecten, rejected by Bart (proposed) and Sanne (approved); the employer
    objects."""
    team = team_for()
    app = rejected(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "lodge_objection", team["employer"], {"reason": "Beide werknemers staan in een krapteberoep."})
    return team, app


UNFOUNDED = {"outcome": "unfounded", "note": "Het beroep staat niet op de lijst."}


@pytest.mark.parametrize(("who", "what"), [("reviewer", "voorgesteld"), ("senior", "goedgekeurd")])
def test_who_proposed_or_approved_the_rejection_may_not_hear_or_decide_the_objection(objected, who, what):
    team, app = objected
    user = team[who]
    declare_no_conflict(app, user)
    proposals = ("propose_objection_decision", UNFOUNDED)
    for action, data in (proposals, ("record_objection_hearing", {"waived": "Afgezien."})):
        with pytest.raises(Forbidden) as refused:
            services.perform(app, action, user, data)
        assert f"U heeft het besluit {what} waartegen bezwaar is gemaakt" in refused.value.detail
        assert "7:5" in refused.value.detail
        assert action not in services.available_actions(app, user)
    app.refresh_from_db()
    objection = app.objections.get()
    assert app.state == State.REJECTED
    assert objection.outcome == Objection.Outcome.PENDING and objection.hearing_waived == ""
    assert "extend_objection_term" in services.available_actions(app, user)  # the procedure itself is not barred


def test_a_third_reviewer_hears_the_objector_and_proposes_a_fourth_decides(objected):
    team, app = objected
    handler, approver = team["objection_handler"], team["objection_approver"]
    app = act(app, "record_objection_hearing", handler, {"waived": "De bezwaarmaker ziet af van horen (7:3)."})
    app = act(app, "propose_objection_decision", handler, UNFOUNDED)
    assert app.objections.get().outcome == Objection.Outcome.PENDING  # proposed: nothing decided yet
    app = act(app, "decide_objection", approver)
    objection = app.objections.get()
    assert objection.outcome == Objection.Outcome.DISMISSED
    assert (objection.proposed_by, objection.decided_by) == (handler, approver)
    assert app.state == State.REJECTED
    assert reconcile.run() == []


def test_the_decision_taken_again_after_an_upheld_objection_is_not_theirs_and_still_needs_four_eyes(objected):
    team, app = objected
    scheme = team["opening"].scheme
    third, fourth = senior([scheme]), senior([scheme])
    data = {"outcome": "upheld", "note": "De werknemers voldoen wel."}
    app = decide_objection(app, data, team["objection_handler"], team["objection_approver"])
    assert app.state == State.IN_REVIEW
    declare_no_conflict(app, team["reviewer"], team["senior"])
    with pytest.raises(Forbidden, match="U heeft het besluit voorgesteld waartegen bezwaar is gemaakt"):
        services.perform(app, "propose_grant", team["reviewer"], {"note": "Toch verlenen."})
    app = act(app, "propose_grant", third, {"note": "Twee trajecten voldoen."})
    with pytest.raises(Forbidden, match="Vier ogen: u heeft dit besluit zelf voorgesteld"):
        services.perform(app, "approve_decision", third)
    with pytest.raises(Forbidden, match="U heeft het besluit goedgekeurd waartegen bezwaar is gemaakt"):
        services.perform(app, "approve_decision", team["senior"])
    app.refresh_from_db()
    assert app.state == State.DECISION_PROPOSED and app.amount_committed == E("0.00")
    app = act(app, "approve_decision", fourth)
    assert app.state == State.GRANTED and app.amount_committed == E("7500.00")
    decision = app.decisions.get(kind="grant")
    assert (decision.proposed_by, decision.approved_by) == (third, fourth)
    # decided again: the objection's handling is over, the first reviewer works the case as before
    assert "propose_tranche" not in services.available_actions(app, team["reviewer"])
    assert "revoke" in services.available_actions(app, team["reviewer"])
    assert reconcile.run() == []


def test_the_case_screen_says_why_the_objection_is_not_theirs(client, objected):
    team, app = objected
    declare_no_conflict(app, team["reviewer"])
    client.force_login(team["reviewer"])
    page = client.get(reverse("review:case", args=[app.reference])).content.decode()
    assert "Niet voor u: een collega neemt deze stap" in page
    assert (
        "Beslissing op bezwaar voorstellen</strong>: U heeft het besluit voorgesteld waartegen bezwaar is gemaakt"
        in page
    )
    assert 'value="propose_objection_decision"' not in page
    client.force_login(team["objection_handler"])
    declare_no_conflict(app, team["objection_handler"])
    page = client.get(reverse("review:case", args=[app.reference])).content.decode()
    assert 'value="propose_objection_decision"' in page
