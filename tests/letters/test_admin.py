"""Beheer: letter templates per scheme, failed letters retried, the audit trail read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications import letters
from applications.models import AuditEvent, Letter, LetterTemplate, Role
from tests.factories import UserFactory, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def beheerder(client):
    user = UserFactory(role=Role.ADMINISTRATOR, username="beheerder", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_the_default_templates_are_seeded_and_a_scheme_gets_its_own_text(client, beheerder, opening):
    response = client.get(reverse("admin:applications_lettertemplate_changelist"))
    assert response.status_code == 200
    assert LetterTemplate.objects.filter(scheme__isnull=True).count() == len(LetterTemplate.Kind.values)
    response = client.post(
        reverse("admin:applications_lettertemplate_add"),
        {
            "scheme": opening.scheme.pk,
            "kind": "grant",
            "subject": "Verlening {{ reference }}",
            "body": "<p>{% if x %}</p>",
        },
    )
    assert response.status_code == 200 and "Dit sjabloon klopt niet" in response.content.decode()
    assert not LetterTemplate.objects.filter(scheme=opening.scheme).exists()
    client.post(
        reverse("admin:applications_lettertemplate_add"),
        {
            "scheme": opening.scheme.pk,
            "kind": "grant",
            "subject": "Verlening {{ reference }}",
            "body": "<p>Eigen tekst</p>",
        },
    )
    row = LetterTemplate.objects.get(scheme=opening.scheme, kind="grant")
    assert row.updated_by == beheerder
    assert letters.template_for("grant", opening.scheme) == row


def test_a_failed_letter_is_retried_from_the_admin(
    client, beheerder, opening, team, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        letters.rendering, "render_pdf", lambda html: (_ for _ in ()).throw(RuntimeError("geen lettertype"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(opening, team["employer"])
    letter = Letter.objects.get(application=app)
    listing = client.get(reverse("admin:applications_letter_changelist")).content.decode()
    assert "geen lettertype" in listing
    monkeypatch.undo()
    client.post(reverse("admin:applications_letter_changelist"), {"action": "retry", "_selected_action": [letter.pk]})
    letter.refresh_from_db()
    assert letter.status == Letter.Status.RENDERED
    assert client.post(reverse("admin:applications_letter_delete", args=[letter.pk])).status_code == 403


def test_the_audit_trail_is_visible_and_never_changed_or_deleted(client, beheerder, opening, team):
    app = submitted(opening, team["employer"])
    event = AuditEvent.objects.filter(application=app).first()
    assert client.get(reverse("admin:applications_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:applications_auditevent_change", args=[event.pk])).status_code == 200
    assert client.post(reverse("admin:applications_auditevent_delete", args=[event.pk])).status_code == 403
    client.post(reverse("admin:applications_auditevent_change", args=[event.pk]), {"action": "hacked"})
    event.refresh_from_db()
    assert event.action == "create"


def test_users_get_a_role_and_a_team_in_the_admin(client, beheerder, opening):
    user = UserFactory(username="nieuw", role=Role.APPLICANT)
    page = client.get(reverse("admin:applications_user_change", args=[user.pk])).content.decode()
    assert "Rol en team" in page
