"""GET /api/v1/applications/{reference}/letters/ and the PDF behind each url, for whoever may see the file."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications.models import Role
from tests.factories import OrganisationFactory, SchemeFactory, UserFactory, employer, granted

pytestmark = pytest.mark.django_db


def test_the_employer_and_the_reviewer_list_and_download_the_letters(
    client, opening, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(opening, team["employer"], team["reviewer"], team["senior"])
    url = reverse("api-application-letters", args=[app.reference])
    for user in (team["employer"], team["reviewer"]):
        client.force_login(user)
        body = client.get(url).json()
        assert [row["kind"] for row in body] == ["receipt", "grant"]
        assert set(body[0]) == {"kind", "created_at", "url"}
        pdf = client.get(body[1]["url"])
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_no_one_else_sees_the_letters(client, opening, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(opening, team["employer"], team["reviewer"], team["senior"])
    letter = app.letters.get(kind="grant")
    strangers = [
        employer(),
        UserFactory(role=Role.INTERMEDIARY, organisation=OrganisationFactory(is_intermediary=True)),
        UserFactory(role=Role.REVIEWER, schemes=[SchemeFactory(code="andere")]),
        UserFactory(role=Role.PROGRAM_MANAGER, schemes=[opening.scheme]),
    ]
    for user in strangers:
        client.force_login(user)
        assert client.get(reverse("api-application-letters", args=[app.reference])).status_code == 404
        response = client.get(reverse("letter-download", args=[app.reference, letter.pk]))
        assert response.status_code == 404
        assert b"%PDF" not in response.content and app.reference not in response.content.decode()
    client.logout()
    assert client.get(reverse("letter-download", args=[app.reference, letter.pk])).status_code in (401, 403)
