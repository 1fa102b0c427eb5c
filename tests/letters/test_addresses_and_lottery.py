"""Every letter carries a postal address, every decision the address an objection goes to, and a lottery
opening's receipt says the order is drawn by lot, not a place in the order of arrival."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core import mail

from applications.models import LetterTemplate
from schemes.models import Distribution
from tests import factories as f
from tests.letters.test_letters import only, pdf_text

pytestmark = pytest.mark.django_db

receipt_migration = importlib.import_module("applications.migrations.0022_receipt_names_the_lottery")


def test_a_lottery_openings_receipt_says_loting_and_names_no_place_in_a_queue(django_capture_on_commit_callbacks):
    scheme = f.slim_scheme()
    opening = f.open_opening(scheme, distribution=Distribution.LOTTERY)
    with django_capture_on_commit_callbacks(execute=True):
        app = f.submitted(opening, f.employer())
    assert app.queue_position == 1  # counted, but not the order of a lottery
    text = pdf_text(only(app, "receipt"))
    assert "bepaald door loting" in text
    assert "volgorde van binnenkomst" not in text and "plaats 1" not in text


def test_a_first_come_first_served_receipt_names_the_place_in_the_order_of_arrival(
    team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app = f.submitted(team["opening"], team["employer"])
    text = pdf_text(only(app, "receipt"))
    assert "plaats 1 in de volgorde van binnenkomst" in text and "loting" not in text


def test_an_rvo_grant_carries_the_postal_address_and_sends_objections_to_legal_affairs_in_zwolle(
    team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app = f.granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    receipt = pdf_text(only(app, "receipt"))
    assert "Postadres Postbus 93144 2509 AC Den Haag" in receipt  # every letter, a decision or not
    grant = pdf_text(only(app, "grant"))
    assert "Postbus 93144" in grant
    assert (
        "Postadres voor bezwaar Rijksdienst voor Ondernemend Nederland Afdeling Juridische Zaken Postbus 40219 "
        "8004 DE Zwolle" in grant
    )


def test_a_scheme_of_an_agency_we_do_not_know_carries_the_addresses_its_administrators_keep(
    django_capture_on_commit_callbacks,
):
    scheme = f.omscholing_scheme(
        code="oms-eigen-adres",
        executing_agency="Uitvoeringsorganisatie Scholing",
        postal_address="Postbus 1234\n1000 AA  Amsterdam",
        objection_address="Uitvoeringsorganisatie Scholing\nBezwaarteam\nPostbus 99\n1000 AB  Amsterdam",
    )
    team = f.team_for(f.open_opening(scheme))
    with django_capture_on_commit_callbacks(execute=True):
        app = f.granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    grant = pdf_text(only(app, "grant"))
    assert "Postadres Postbus 1234 1000 AA Amsterdam" in grant
    assert "Postadres voor bezwaar Uitvoeringsorganisatie Scholing Bezwaarteam Postbus 99 1000 AB Amsterdam" in grant
    assert "Postbus 40219" not in grant


def test_the_default_receipt_text_is_brought_up_to_date_unless_an_administrator_changed_it():
    LetterTemplate.objects.create(kind="receipt", subject="Ontvangstbevestiging", body=receipt_migration.OLD)
    own = LetterTemplate.objects.create(
        kind="receipt", scheme=f.slim_scheme(), subject="Ontvangen", body="Onze eigen tekst."
    )
    receipt_migration.forwards(apps, None)
    assert "bepaald door loting" in LetterTemplate.objects.get(scheme__isnull=True, kind="receipt").body
    own.refresh_from_db()
    assert own.body == "Onze eigen tekst."


# --- mail that arrives: the letter announced and linked, never attached --------------------------


def test_the_receipt_is_announced_with_a_link_to_the_letter_in_the_portal_and_not_attached(
    team, settings, client_for, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://subsidie.example.nl"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        app = f.submitted(team["opening"], team["employer"])
    letter = only(app, "receipt")
    [message] = [m for m in mail.outbox if app.reference in m.subject]
    link = f"https://subsidie.example.nl/mijn/aanvragen/{app.reference}/brieven/{letter.pk}/"
    assert link in message.body
    assert "niet als bijlage" in message.body and message.attachments == []
    assert message.to == [app.organisation.contact_email]
    # the link opens the letter for the applicant, behind the sign-in
    response = client_for(team["employer"]).get(link.removeprefix("https://subsidie.example.nl"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client_for(f.employer()).get(link.removeprefix("https://subsidie.example.nl")).status_code == 404
