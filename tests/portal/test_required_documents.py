"""The documents a scheme asks for (an offerte per traject) and SLIM's de-minimis declaration: said on the
upload step, listed in "check your answers", and refused at submission by the service itself, so the form, the
API and the bulk upload all meet the same rule and a refusal changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from applications import services
from applications.models import Application, AuditEvent, BulkUpload, Outbox
from applications.portal import bulk
from applications.services import documents
from applications.states import State
from schemes.models import Opening, Scheme
from tests import factories as f

pytestmark = pytest.mark.django_db

OFFERTE = {
    "code": "offerte",
    "label": "Offerte van de opleider",
    "per_unit": True,
    "help": "De offerte met de kosten van de scholing.",
}
PLAN = {"code": "scholingsplan", "label": "Scholingsplan"}


@pytest.fixture
def omscholing_with_offertes(db):
    """The Omscholingsregeling asking an offerte per traject and one scholingsplan."""
    scheme = f.omscholing_scheme(code="oms-docs", required_documents=[OFFERTE, PLAN])
    return f.open_opening(scheme)


def offerte(app, user, name="offerte.pdf", document_type="offerte"):
    return documents.store(
        application=app, user=user, upload=SimpleUploadedFile(name, f.PDF), document_type=document_type
    )


def test_an_employer_with_two_trajecten_and_one_offerte_is_refused_naming_what_is_missing(
    omscholing_with_offertes, werkgever
):
    opening = omscholing_with_offertes
    app = f.draft(opening, werkgever)
    offerte(app, werkgever)
    with pytest.raises(services.ActionError) as refused:
        services.perform(app, "submit", werkgever)
    message = refused.value.detail
    assert "Offerte van de opleider, één per traject; u heeft er 1 van de 2 toegevoegd." in message
    assert "Voeg toe: Scholingsplan." in message
    assert set(refused.value.errors) == {"documents"} and len(refused.value.errors["documents"]) == 2
    # nothing changed: still a draft, no place in the queue, no money reserved, no receipt owed
    app.refresh_from_db()
    opening.refresh_from_db()
    assert app.state == State.DRAFT and app.queue_position is None and app.submitted_at is None
    assert opening.reserved == Decimal("0.00") and opening.queue_length == 0
    assert not AuditEvent.objects.filter(application=app, action="submit").exists()
    assert not Outbox.objects.filter(application=app).exists()


def test_with_an_offerte_per_traject_and_the_plan_it_is_submitted(omscholing_with_offertes, werkgever):
    app = f.draft(omscholing_with_offertes, werkgever)
    offerte(app, werkgever, "offerte-1.pdf")
    offerte(app, werkgever, "offerte-2.pdf")
    offerte(app, werkgever, "plan.pdf", document_type="scholingsplan")
    submitted = services.perform(app, "submit", werkgever)
    assert submitted.state == State.SUBMITTED and submitted.amount_requested == Decimal("7500.00")
    assert sorted(app.documents.values_list("document_type", flat=True)) == ["offerte", "offerte", "scholingsplan"]


def test_a_document_of_a_kind_the_scheme_does_not_ask_for_is_refused(omscholing_with_offertes, werkgever):
    app = f.draft(omscholing_with_offertes, werkgever)
    with pytest.raises(ValidationError, match="geen document van de soort 'loonstrook'"):
        offerte(app, werkgever, document_type="loonstrook")
    assert not app.documents.exists()


def test_the_upload_step_asks_which_document_it_is_and_counts_the_offertes(
    omscholing_with_offertes, werkgever, client_for
):
    app = f.draft(omscholing_with_offertes, werkgever)
    client = client_for(werkgever)
    url = reverse("portal:step", args=[app.reference, "bijlagen"])
    page = client.get(url).content.decode()
    assert "Documenten die de regeling vraagt" in page and "Wat is dit document?" in page
    assert "0 van 2 toegevoegd" in page
    response = client.post(
        url, {"action": "upload", "document_type": "offerte", "file": SimpleUploadedFile("offerte-jansen.pdf", f.PDF)}
    )
    assert response.status_code == 302
    document = app.documents.get()
    assert document.document_type == "offerte" and document.original_name == "offerte-jansen.pdf"
    page = client.get(url).content.decode()
    assert "1 van 2 toegevoegd" in page
    # an upload that is not one of the scheme's documents is kept as another document
    client.post(url, {"action": "upload", "document_type": "", "file": SimpleUploadedFile("brief.pdf", f.PDF)})
    assert app.documents.get(original_name="brief.pdf").document_type == ""


def test_check_your_answers_lists_each_document_by_its_name_and_what_is_still_missing(
    omscholing_with_offertes, werkgever, client_for
):
    app = f.draft(omscholing_with_offertes, werkgever)
    offerte(app, werkgever, "offerte-1.pdf")
    client = client_for(werkgever)
    page = client.get(reverse("portal:step", args=[app.reference, "overzicht"])).content.decode()
    answers = page.split('id="antwoorden-bijlagen"', 1)[1].split("</section>", 1)[0]
    assert "Offerte van de opleider" in answers and "offerte-1.pdf" in answers
    missing = answers.split('id="ontbrekende-documenten"', 1)[1]
    assert "u heeft er 1 van de 2 toegevoegd" in missing and "Voeg toe: Scholingsplan." in missing
    refusals = page.split('id="refusals"', 1)[1]
    assert "Voeg toe: Scholingsplan." in refusals and "#id_file" in refusals
    # submitting from the portal is refused with the same words, and the draft stays a draft
    response = client.post(reverse("portal:submit", args=[app.reference]))
    assert response.status_code == 400
    assert "Voeg toe: Scholingsplan." in response.content.decode()
    assert Application.objects.get(pk=app.pk).state == State.DRAFT


def test_the_api_cannot_submit_without_the_offertes_and_creates_nothing(omscholing_with_offertes, werkgever):
    client = APIClient()
    client.force_authenticate(werkgever)
    body = {
        "opening": omscholing_with_offertes.code,
        "units": [f.traject(1), f.traject(2)],
        "truthfulness_declared": True,
        "submit": True,
    }
    response = client.post("/api/v1/applications/", body, format="json")
    assert response.status_code == 400
    assert "Offerte van de opleider, één per traject; u heeft er 0 van de 2 toegevoegd." in str(response.json())
    assert not Application.objects.exists()  # create and submit are one transaction: both or neither


def test_a_bulk_submission_of_drafts_without_offertes_says_so_per_application(omscholing_with_offertes):
    fund = f.intermediary(username="fonds-docs")
    scheme = omscholing_with_offertes.scheme
    Scheme.objects.filter(pk=scheme.pk).update(intermediaries_allowed=True)
    Opening.objects.filter(pk=omscholing_with_offertes.pk).update(
        rules={**omscholing_with_offertes.rules, "intermediaries_allowed": True}
    )
    opening = Opening.objects.get(pk=omscholing_with_offertes.pk)
    employer = f.OrganisationFactory(name="Bulkwerkgever B.V.")
    f.mandate(employer, fund.organisation, [scheme])
    draft = f.draft(opening, fund, kvk=employer.kvk)
    upload = BulkUpload.objects.create(
        uploaded_by=fund, opening=opening, file_name="trajecten.csv", status=BulkUpload.Status.CREATED
    )
    upload.applications.add(draft)
    refusals = bulk.submit_all(upload=upload, user=fund)
    assert [(app.pk, "Offerte van de opleider" in why) for app, why in refusals] == [(draft.pk, True)]
    draft.refresh_from_db()
    upload.refresh_from_db()
    assert draft.state == State.DRAFT and upload.status == BulkUpload.Status.CREATED


# --- SLIM: the de-minimis declaration --------------------------------------------------------


@pytest.fixture
def slim(db):
    return f.open_opening(f.slim_scheme())


def test_slim_cannot_be_submitted_through_the_api_without_the_de_minimis_declaration(slim, werkgever):
    client = APIClient()
    client.force_authenticate(werkgever)
    body = {
        "opening": slim.code,
        "eligible_costs": "30000.00",
        "project_end_date": "2030-01-31",
        "truthfulness_declared": True,
        "submit": True,
    }
    refused = client.post("/api/v1/applications/", body, format="json")
    assert refused.status_code == 400
    assert "de_minimis_declared" in refused.json()["errors"]
    assert "of verklaar dat zij geen de-minimissteun kreeg" in refused.json()["detail"]
    assert not Application.objects.exists()
    accepted = client.post("/api/v1/applications/", {**body, "de_minimis_declared": "0.00"}, format="json")
    assert accepted.status_code == 201 and accepted.json()["state"] == State.SUBMITTED


def test_a_slim_draft_whose_declaration_was_emptied_is_refused_by_the_service(slim, werkgever):
    app = f.draft(slim, werkgever)
    services.update_draft(application=app, user=werkgever, data={"de_minimis_declared": None})
    with pytest.raises(services.ActionError) as refused:
        services.perform(app, "submit", werkgever)
    assert list(refused.value.errors) == ["de_minimis_declared"]
    assert Application.objects.get(pk=app.pk).state == State.DRAFT


# --- the scheme's data ---------------------------------------------------------------------


def test_the_catalogue_asks_an_offerte_per_traject_for_the_omscholingsregeling(catalogue):
    rules = Opening.objects.get(code="omscholing-2021").published_rules
    assert [(k.code, k.label, k.per_unit) for k in rules.document_types] == [
        ("offerte", "Offerte van de opleider", True)
    ]
    assert "mee te sturen: Offerte van de opleider, één per traject" in rules.explain()
    assert Opening.objects.get(code="slim-2025").published_rules.document_types == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([{"code": "offerte"}], "geen naam"),
        ([{"code": "Offerte!", "label": "Offerte"}], "geen geldige code"),
        ([OFFERTE, OFFERTE], "twee keer"),
        ({"code": "offerte"}, "Een lijst"),
    ],
)
def test_an_administrator_cannot_save_a_list_of_documents_that_cannot_be_used(value, message):
    scheme = f.omscholing_scheme(code="oms-bad")
    scheme.required_documents = value
    with pytest.raises(ValidationError) as refused:
        scheme.full_clean()
    assert message in str(refused.value.message_dict["required_documents"])


def test_an_opening_keeps_the_documents_it_was_published_with(omscholing_with_offertes, werkgever):
    scheme = omscholing_with_offertes.scheme
    scheme.required_documents = []
    scheme.save()
    app = f.draft(Opening.objects.get(pk=omscholing_with_offertes.pk), werkgever)
    with pytest.raises(services.ActionError, match="Offerte van de opleider"):
        services.perform(app, "submit", werkgever)
