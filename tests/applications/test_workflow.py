"""The workflow is the one declaration: django-fsm, the handlers, the screens and the diagram all follow it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications import audit, workflow
from applications.models import Application
from applications.services.actions import HANDLERS
from applications.states import State


def test_every_action_has_exactly_one_handler_and_every_handler_an_action():
    assert set(HANDLERS) == set(workflow.ACTION_NAMES)


def test_django_fsm_enforces_exactly_the_declared_sources_and_targets():
    field = Application._meta.get_field("state")
    enforced = {
        (t.name, str(t.source), str(target))
        for t in field.get_all_transitions(Application)
        for target in (getattr(t.target, "allowed_states", None) or [t.target])
    }
    declared = {(a.name, str(source), str(target)) for a in workflow.ACTIONS for source, target in a.paths()}
    # django-fsm knows each action's sources exactly; a rule's target it knows as a set, the rule narrows it
    assert {(name, source) for name, source, _t in enforced} == {(name, source) for name, source, _t in declared}
    assert declared <= enforced


def test_a_rule_names_a_target_for_every_source_of_its_action():
    for action in workflow.ACTIONS:
        if isinstance(action.target, workflow.Rule):
            assert set(action.target.paths) == set(action.sources), action.name


def test_every_state_but_draft_is_reached_and_every_state_but_closed_is_left():
    reached = {str(target) for a in workflow.ACTIONS for _s, target in a.paths()}
    left = {str(source) for a in workflow.ACTIONS for source, target in a.paths() if source != target}
    assert reached == set(State.values) - {State.DRAFT}
    assert left == set(State.values) - {State.CLOSED}


def test_the_paths_the_old_hand_drawn_diagram_missed_are_there():
    objection = workflow.action("decide_objection")
    assert (State.REJECTED, State.IN_REVIEW) in objection.paths()
    assert (State.REVOKED, State.GRANTED) in objection.paths()  # an upheld objection undoes the revocation
    assert (State.REVOKED, State.SETTLED) in objection.paths()
    assert (State.SETTLEMENT_REQUESTED, State.REVOKED) in workflow.action("approve_decision").paths()
    assert State.SETTLEMENT_REQUESTED in workflow.action("revoke").sources


def test_every_action_has_the_labels_its_screens_show():
    for action in workflow.ACTIONS:
        assert str(action.button) and str(action.log), action.name
        if action.by_applicant and action.name != "submit":
            assert str(action.done), action.name
    assert set(workflow.PORTAL_ACTIONS) == {
        "withdraw",
        "supplement",
        "report_start",
        "request_settlement",
        "lodge_objection",
    }


def test_only_a_declared_event_can_be_recorded(db):
    with pytest.raises(LookupError):
        audit.record(Application(), None, "made_up")


def test_the_committed_lifecycle_diagram_is_the_one_the_workflow_draws():
    call_command("lifecycle_diagram", "--check")


def test_a_stale_diagram_is_refused(tmp_path):
    stale = tmp_path / "diagram.md"
    stale.write_text("stateDiagram-v2\n    draft --> submitted\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("lifecycle_diagram", "--check", "--output", str(stale))
