"""Personal data kept no longer than needed: a file past its scheme's retention term keeps nothing personal."""

from __future__ import annotations

import datetime

import pytest
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from freezegun import freeze_time

from applications import retention, services
from applications.models import (
    Application,
    AuditEvent,
    Document,
    InternalNote,
    Letter,
    Objection,
    Organisation,
    SupplementRequest,
    Unit,
)
from tests.factories import OpeningFactory, act, decide_objection, rejected, submitted, team_for, worker

pytestmark = pytest.mark.django_db

PERSONAL = ["Johanna Visser", "Pieter de Boer", "Marieke Jansen", "m.jansen@bouwbedrijf.nl", "06 12345678"]


def file_of(application: Application) -> str:
    """Every row of the file, serialised: what a database dump would show of it."""
    app = Application.objects.get(pk=application.pk)
    querysets = [
        Application.objects.filter(pk=app.pk),
        Unit.objects.filter(application=app),
        Document.objects.filter(application=app),
        Letter.objects.filter(application=app),
        SupplementRequest.objects.filter(application=app),
        Objection.objects.filter(application=app),
        InternalNote.objects.filter(application=app),
        AuditEvent.objects.filter(application=app),
        Organisation.objects.filter(pk=app.organisation_id),
    ]
    return "\n".join(serializers.serialize("json", qs) for qs in querysets)


@pytest.fixture
def old_file(django_capture_on_commit_callbacks):
    """A rejection of eight years ago, with names, words, documents, letters, an objection and a note."""
    with freeze_time("2018-03-05 10:00:00+01:00"):
        team = team_for()
        organisation = team["employer"].organisation
        organisation.contact_name, organisation.contact_email = "Marieke Jansen", "m.jansen@bouwbedrijf.nl"
        organisation.contact_phone = "06 12345678"
        organisation.save()
        opening = team["opening"]
        with django_capture_on_commit_callbacks(execute=True):
            app = services.create_draft(
                user=team["employer"],
                opening=opening,
                data={
                    "units": [worker(1, participant="Johanna Visser"), worker(2, participant="Pieter de Boer")],
                    "truthfulness_declared": True,
                },
            )
            app = act(app, "submit", team["employer"])
            act(app, "start_review", team["reviewer"])
            act(app, "request_supplement", team["reviewer"], {"reason": "De offerte ontbreekt."})
            act(app, "supplement", team["employer"], {"note": "Hierbij de offerte van Johanna Visser, 06 12345678."})
            services.declare_conflict_of_interest(application=app, user=team["reviewer"], conflict=False)
            services.add_internal_note(application=app, user=team["reviewer"], text="Gebeld met Marieke Jansen.")
            act(app, "propose_rejection", team["reviewer"], {"reason_code": "not_eligible"})
            app = act(app, "approve_decision", team["senior"])
            act(app, "lodge_objection", team["employer"], {"reason": "Pieter de Boer voldoet wel."})
            data = {"upheld": False, "note": "Niet gegrond."}
            decide_objection(app, data, team["objection_handler"], team["objection_approver"])
        Document.objects.create(
            application=app,
            file=ContentFile(b"%PDF-1.4 Johanna Visser", name="cv-johanna-visser.pdf"),
            original_name="cv-johanna-visser.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            uploaded_by=team["employer"],
        )
    return {**team, "app": app}


def test_after_the_term_nothing_personal_remains_and_the_record_does(old_file):
    app = old_file["app"]
    before = file_of(app)
    assert all(name in before for name in PERSONAL)
    events = list(AuditEvent.objects.filter(application=app).order_by("id").values_list("action", "to_state", "at"))
    stored = [d.file.name for d in Document.objects.filter(application=app)] + [
        letter.file.name for letter in Letter.objects.filter(application=app) if letter.file
    ]
    assert stored and all(Document.file.field.storage.exists(name) for name in stored)

    call_command("apply_retention")

    after = file_of(app)
    assert [name for name in PERSONAL if name in after] == []
    assert not any(Document.file.field.storage.exists(name) for name in stored)
    # the pseudonymous record: the same events, in order, with their states and times; who by role, not by name
    assert (
        list(AuditEvent.objects.filter(application=app).order_by("id").values_list("action", "to_state", "at"))
        == events
    )
    applicant_events = AuditEvent.objects.filter(application=app, actor=old_file["employer"])
    assert set(applicant_events.values_list("actor_name", flat=True)) == {"aanvrager"}
    app.refresh_from_db()
    assert app.anonymised_at is not None and app.state == "rejected" and app.rejection_reason == "not_eligible"
    assert list(app.units.values_list("participant", flat=True)) == ["deelnemer 1", "deelnemer 2"]


def test_a_file_within_its_term_or_with_work_left_is_kept(old_file):
    with freeze_time(timezone.now() - datetime.timedelta(days=365)):  # rejected a year ago: within seven years
        team = team_for(OpeningFactory(scheme=old_file["opening"].scheme))
        recent = rejected(team["opening"], team["employer"], team["reviewer"], team["senior"], units=2)
    live = submitted(OpeningFactory(scheme=old_file["opening"].scheme), team["employer"], units=2)
    assert retention.apply() == [old_file["app"].reference]
    for app in (recent, live):
        app.refresh_from_db()
        assert app.anonymised_at is None
        assert "Werknemer 1" in file_of(app)


def test_the_contact_person_stays_while_the_organisation_has_a_live_file(old_file):
    submitted(OpeningFactory(scheme=old_file["opening"].scheme), old_file["employer"])
    retention.apply()
    organisation = Organisation.objects.get(pk=old_file["employer"].organisation_id)
    assert organisation.contact_email == "m.jansen@bouwbedrijf.nl"


def test_the_retention_term_is_the_scheme_s(old_file):
    scheme = old_file["opening"].scheme
    scheme.retention_years = 10
    scheme.save()
    assert retention.apply() == []
    assert retention.apply(timezone.localdate() + datetime.timedelta(days=366 * 2)) == [old_file["app"].reference]


@pytest.mark.postgres
def test_the_database_pseudonymises_only_a_file_that_was_anonymised(old_file):
    app = old_file["app"]
    with pytest.raises(DatabaseError, match="was not anonymised"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT open_subsidie_pseudonymise_events(%s)", [app.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL open_subsidie.pseudonymising = on")
        # the table's owner with the setting on may only touch free text: changing what happened is refused
        cursor.execute("UPDATE applications_auditevent SET action = 'create' WHERE application_id = %s", [app.pk])
    assert AuditEvent.objects.filter(application=app, action="submit").exists()
