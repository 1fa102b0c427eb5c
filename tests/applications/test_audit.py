"""The audit trail: one event per transition, in the same transaction, never changed or deleted."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from applications import services
from applications.models import Application, AuditEvent
from applications.states import State
from tests import factories as f
from tests.factories import act, declare_no_conflict

pytestmark = pytest.mark.django_db


def actions(app):
    return list(
        AuditEvent.objects.filter(application=app).order_by("id").values_list("action", "from_state", "to_state")
    )


def test_every_transition_writes_exactly_one_event(opening, werkgever, reviewer, senior):
    app = f.draft(opening, werkgever)
    assert actions(app) == [("create", "", "draft")]
    steps = [
        ("submit", werkgever, {}),
        ("start_review", reviewer, {}),
        ("request_supplement", reviewer, {"reason": "Opleidingsplan ontbreekt."}),
        ("supplement", werkgever, {"note": "Bijgevoegd."}),
    ]
    for action, user, data in steps:
        if action == "start_review":
            declare_no_conflict(app, reviewer)
        before = AuditEvent.objects.filter(application=app).count()
        from_state = app.state
        app = services.perform(app, action, user, data)
        new = actions(app)[before:]
        assert new == [(action, from_state, app.state)]
    event = AuditEvent.objects.filter(application=app, action="request_supplement").get()
    assert event.actor == reviewer and event.actor_name == "behandelaar"
    assert event.reason == "Opleidingsplan ontbreekt."
    assert "due_date" in event.data


def test_a_refused_transition_writes_nothing(opening, werkgever, reviewer):
    app = declare_no_conflict(f.submitted(opening, werkgever), reviewer)
    before = actions(app)
    with pytest.raises(services.Forbidden):
        act(app, "start_review", werkgever)
    with pytest.raises(services.Conflict):
        act(app, "submit", werkgever)
    app = act(app, "start_review", reviewer)
    with pytest.raises(services.Invalid):
        act(app, "request_supplement", reviewer, {"reason": ""})
    assert actions(app) == [*before, ("start_review", "submitted", "in_review")]


def test_a_transition_that_fails_halfway_leaves_no_trace(opening, werkgever):
    app = f.draft(opening, werkgever)
    with mock.patch("applications.services.actions.audit.record", side_effect=RuntimeError("disk full")):
        with pytest.raises(RuntimeError):
            act(app, "submit", werkgever)
    app = Application.objects.get(pk=app.pk)
    assert app.state == State.DRAFT and app.queue_position is None and app.amount_reserved == 0
    assert actions(app) == [("create", "", "draft")]
    opening.refresh_from_db()
    assert opening.reserved == 0 and opening.queue_length == 0 and not opening.ledger.exists()


def test_the_event_is_written_in_the_transition_s_transaction(opening, werkgever):
    app = f.draft(opening, werkgever)
    with pytest.raises(RuntimeError), transaction.atomic():
        act(app, "submit", werkgever)
        assert AuditEvent.objects.filter(application=app, action="submit").exists()
        raise RuntimeError("the caller fails after the transition")
    assert not AuditEvent.objects.filter(application=app, action="submit").exists()
    assert Application.objects.get(pk=app.pk).state == State.DRAFT


def test_an_event_is_never_updated_or_deleted(opening, werkgever):
    app = f.submitted(opening, werkgever)
    event = AuditEvent.objects.get(application=app, action="submit")
    event.reason = "achteraf aangepast"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="weg")
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(application=app).delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.reason == ""
    assert AuditEvent.objects.filter(application=app).count() == 2


def test_deleting_an_application_with_events_is_refused(opening, werkgever):
    app = f.submitted(opening, werkgever)
    with pytest.raises(ProtectedError):
        app.delete()
    with pytest.raises(ProtectedError):
        Application.objects.filter(pk=app.pk).delete()
    assert Application.objects.filter(pk=app.pk).exists()
    assert AuditEvent.objects.filter(application=app).count() == 2


def test_events_of_the_system_name_the_system(opening, werkgever):
    app = f.submitted(opening, werkgever)
    app = act(app, "withdraw", None, {"reason": "automatisch"})
    event = AuditEvent.objects.get(application=app, action="withdraw")
    assert event.actor is None and event.actor_name == "systeem"
