"""After signing in each role starts where its work is; 403, 404 and 500 in the house style, saying what to do next."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from applications.models import Role
from config.signin import needs_second_factor
from tests import factories as f

pytestmark = pytest.mark.django_db


def signs_in(user, **extra) -> tuple[Client, object]:
    """The password, and for staff the code of the app they set up at their first sign-in."""
    client = Client()
    code = f.code_now(f.authenticator(user)) if needs_second_factor(user) else None
    return client, f.sign_in(client, user.username, code=code, **extra)


@pytest.mark.parametrize(
    ("make", "start"),
    [
        (lambda: f.employer(username="start-werkgever"), "/mijn/"),
        (lambda: f.intermediary(username="start-intermediair"), "/mijn/"),
        (lambda: f.staff(Role.REVIEWER, username="start-behandelaar"), "/behandeling/"),
        (lambda: f.staff(Role.SENIOR_REVIEWER, username="start-senior"), "/behandeling/"),
        (lambda: f.staff(Role.PROGRAM_MANAGER, username="start-programmamanager"), "/rapportages/"),
        (lambda: f.staff(Role.ADMINISTRATOR, username="start-beheerder", is_staff=True), "/beheer/"),
        (lambda: f.staff(Role.FINANCE, username="start-betaler"), "/behandeling/betalingen/"),
    ],
    ids=["werkgever", "intermediair", "behandelaar", "senior", "programmamanager", "beheerder", "betaler"],
)
def test_each_role_lands_on_its_own_start_page_after_signing_in(make, start):
    client, response = signs_in(make())

    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert landing.status_code == 302 and landing["Location"] == start
    assert client.get(start).status_code == 200


def test_a_next_address_still_wins_over_the_start_page():
    user = f.employer(username="start-volgende")
    _client, response = signs_in(user, next="/regelingen/")
    assert response["Location"] == "/regelingen/"


def test_a_page_that_does_not_exist_says_so_in_dutch_with_what_to_do_next(client):
    response = client.get("/bestaat-niet/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in page and "Wat u kunt doen" in page
    assert 'href="/regelingen/"' in page and "os-header" in page  # the house style, with its header


def test_a_reviewer_in_the_portal_is_told_why_and_where_to_go(client):
    reviewer = f.staff(Role.REVIEWER, username="start-verdwaald")
    client.force_login(reviewer)

    response = client.get(reverse("portal:home"))

    page = response.content.decode()
    assert response.status_code == 403
    assert "U heeft geen toegang tot deze pagina" in page
    assert "Het portaal is voor werkgevers en intermediairs." in page
    assert 'href="/start/"' in page


def test_a_server_error_page_reassures_in_dutch_and_needs_nothing_that_could_fail():
    response = server_error(RequestFactory().get("/mijn/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Er ging bij ons iets mis" in page and "is bewaard" in page


def test_the_public_scheme_page_carries_no_internal_source_marks(client):
    scheme = f.omscholing_scheme(
        sources="Bedrag per traject € 3.750 (000:L1184-1188); doel 19.000 trajecten (000:L1236)."
    )

    page = client.get(reverse("scheme-detail", args=[scheme.code])).content.decode()

    assert scheme.name in page
    assert "000:L" not in page
