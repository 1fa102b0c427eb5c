"""The audit trail truly append-only: no TRUNCATE, a runtime role that cannot disable triggers, organisations audited."""

from __future__ import annotations

import os

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from applications.models import AuditEvent, OrganisationEvent
from schemes.models import LedgerEntry
from tests.factories import submitted, team_for


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE applications_auditevent CASCADE",
        "TRUNCATE schemes_ledgerentry",
        "TRUNCATE applications_application CASCADE",
        "TRUNCATE applications_organisationevent",
    ],
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_truncate_is_refused_even_with_cascade(statement):
    team = team_for()
    app = submitted(team["opening"], team["employer"])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL open_subsidie.truncate_allowed = off")  # as in production: nobody says so
        cursor.execute(statement)
    assert AuditEvent.objects.filter(application=app).count() == 2
    assert LedgerEntry.objects.filter(application=app).exists()


@pytest.fixture
def runtime_role(db):
    """A role of our own for the running application, granted by the command, dropped afterwards."""
    role = f"os_runtime_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    call_command("grant_runtime_role", role)
    settings = connection.settings_dict
    url = f"postgresql://{role}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    yield url
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE applications_auditevent SET reason = 'gewist'",
        "SET open_subsidie.pseudonymising = on; UPDATE applications_auditevent SET reason = 'gewist'",
        "DELETE FROM applications_auditevent",
        "TRUNCATE applications_auditevent CASCADE",
        "ALTER TABLE applications_auditevent DISABLE TRIGGER applications_auditevent_append_only",
        "ALTER TABLE applications_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER applications_auditevent_append_only ON applications_auditevent",
        "SET session_replication_role = replica",
        "ALTER TABLE schemes_ledgerentry DISABLE TRIGGER schemes_ledgerentry_no_truncate",
    ],
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_runtime_role_writes_rows_but_cannot_touch_the_trail_or_its_guards(runtime_role, statement):
    team = team_for()
    app = submitted(team["opening"], team["employer"])
    with psycopg.connect(runtime_role, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM applications_auditevent").fetchone()[0] == 2
        conn.execute(  # the application's own work goes on: a new event is an INSERT
            "INSERT INTO applications_auditevent (application_id, actor_name, action, from_state, to_state, reason, "
            "data, changes, at) VALUES (%s, 'systeem', 'assign', 'submitted', 'submitted', '', '{}', '{}', now())",
            [app.pk],
        )
        with pytest.raises(psycopg.Error):
            conn.execute(statement)
    assert AuditEvent.objects.filter(application=app).count() == 3
    assert not AuditEvent.objects.filter(reason="gewist").exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_command_refuses_a_role_that_owns_the_tables():
    owner = connection.settings_dict["USER"]
    with pytest.raises(Exception, match="eigenaar"):  # noqa: PT011
        call_command("grant_runtime_role", owner)


@pytest.mark.django_db
def test_a_changed_iban_is_kept_with_its_old_and_new_value_and_the_log_never_changes():
    team = team_for()
    werkgever = team["employer"]
    organisation = werkgever.organisation
    old_iban = organisation.iban
    client = Client()
    client.force_login(werkgever)
    response = client.post(
        reverse("portal:profile"),
        {
            "name": organisation.name,
            "size_class": "sme",
            "sector": "techniek",
            "province": "utrecht",
            "iban": "NL02ABNA0123456789",
            "contact_name": "A. Bakker",
            "contact_email": "a.bakker@example.nl",
            "contact_phone": "030 123 45 67",
        },
    )
    assert response.status_code == 302
    event = OrganisationEvent.objects.get(organisation=organisation)
    assert event.changes["iban"] == [old_iban, "NL02ABNA0123456789"]
    assert event.actor == werkgever and event.source == "portaal"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        OrganisationEvent.objects.filter(pk=event.pk).update(changes={})
    with pytest.raises(ValidationError):
        event.delete()
    # saving again without a change adds nothing
    client.post(reverse("portal:profile"), {**response.wsgi_request.POST.dict()})
    assert OrganisationEvent.objects.filter(organisation=organisation).count() == 1
