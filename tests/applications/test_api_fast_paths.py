"""The opening-day paths of the API, as an employer's software takes them with its token.

Submitting in one request (``"submit": true``) is the same as creating a draft and
submitting it: the same checks, the same queue place and reservation, and an error
leaves no draft behind. The answers read nothing stale from what the request had
already loaded.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from applications.models import Application, AuditEvent
from applications.states import State
from schemes.models import LedgerEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(user)}")
    return client


def body(opening, **extra):
    return {"opening": opening.code, "units": [f.traject(1), f.traject(2)], "truthfulness_declared": True, **extra}


def test_an_employer_creates_and_submits_in_one_request(opening, werkgever):
    response = token_client(werkgever).post("/api/v1/applications/", body(opening, submit=True), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    app = Application.objects.get(reference=data["reference"])
    assert app.state == State.SUBMITTED and data["state"] == State.SUBMITTED
    assert app.queue_position == 1 and data["queue_position"] == 1
    assert app.amount_reserved == app.amount_requested > 0
    assert [e.action for e in AuditEvent.objects.filter(application=app).order_by("at", "id")] == ["create", "submit"]
    opening.refresh_from_db()
    assert opening.queue_length == 1 and opening.reserved == app.amount_reserved
    assert data["scheme"] == opening.scheme.code and data["organisation"] == werkgever.organisation.kvk
    assert [u["participant"] for u in data["units"]] == ["J. Jansen 1", "J. Jansen 2"]
    assert data["available_actions"] == ["withdraw"]


def test_one_request_answers_exactly_as_reading_the_application_again(opening, werkgever):
    client = token_client(werkgever)
    created = client.post("/api/v1/applications/", body(opening, submit=True), format="json").json()

    assert client.get(f"/api/v1/applications/{created['reference']}/").json() == created


def test_a_refused_submission_in_one_request_leaves_no_draft(opening, werkgever):
    response = token_client(werkgever).post(
        "/api/v1/applications/", body(opening, submit=True, truthfulness_declared=False), format="json"
    )

    assert response.status_code == 400
    assert "truthfulness_declared" in response.json()["errors"]
    assert not Application.objects.exists() and not AuditEvent.objects.exists()
    opening.refresh_from_db()
    assert opening.queue_length == 0 and opening.reserved == 0


def test_submitting_in_two_requests_answers_as_reading_again(opening, werkgever):
    client = token_client(werkgever)
    draft = client.post("/api/v1/applications/", body(opening), format="json").json()

    submitted = client.post(f"/api/v1/applications/{draft['reference']}/actions/submit/", {}, format="json")

    assert submitted.status_code == 200, submitted.json()
    assert submitted.json() == client.get(f"/api/v1/applications/{draft['reference']}/").json()
    assert submitted.json()["units"] == draft["units"]


def test_over_the_ceiling_the_queue_place_is_kept_without_a_reservation(omscholing, werkgever):
    opening = f.open_opening(omscholing, ceiling="3750.00")  # room for one traject
    client = token_client(werkgever)
    second_employer = f.employer(f.OrganisationFactory(name="Installatiebedrijf Smit B.V."), username="smit")
    first = client.post("/api/v1/applications/", body(opening, units=[f.traject(1)], submit=True), format="json")
    second = token_client(second_employer).post(
        "/api/v1/applications/", body(opening, units=[f.traject(2)], submit=True), format="json"
    )

    assert first.json()["over_ceiling"] is False and second.json()["over_ceiling"] is True
    assert second.json()["queue_position"] == 2
    opening.refresh_from_db()
    assert opening.queue_length == 2 and opening.reserved == opening.budget_ceiling
    assert LedgerEntry.objects.filter(opening=opening, kind="reserve").count() == 1


def test_a_token_of_a_deactivated_user_is_refused(opening, werkgever):
    client = token_client(werkgever)
    werkgever.is_active = False
    werkgever.save()

    response = client.post("/api/v1/applications/", body(opening, submit=True), format="json")

    assert response.status_code in (401, 403)  # DRF answers 403 when session authentication comes first
    assert not Application.objects.exists()


def test_an_unknown_token_is_refused(opening):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0123456789abcdef" * 4)

    assert client.post("/api/v1/applications/", body(opening, submit=True), format="json").status_code in (401, 403)
    assert not Application.objects.exists()
