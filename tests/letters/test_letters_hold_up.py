"""Letters that hold up: one competent body and who signs under mandate, the legal basis from the scheme's data,
a postal address for objections, the de-minimis statement, a receipt that reads naturally."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from applications.models import Letter
from schemes.models import Scheme
from tests.factories import OpeningFactory, SchemeFactory, granted, pdf_text, team_for

pytestmark = pytest.mark.django_db


@freeze_time("2026-03-02 10:00:00+01:00")
def test_a_slim_grant_names_the_minister_the_mandate_the_regulation_the_address_and_the_de_minimis_aid(
    django_capture_on_commit_callbacks,
):
    scheme = SchemeFactory(
        slim=True,
        de_minimis=True,
        owner="Ministerie van Sociale Zaken en Werkgelegenheid (SZW)",
        executing_agency="Ministerie van SZW (eigen uitvoering)",
        competent_authority="De Minister van Sociale Zaken en Werkgelegenheid",
        signed_under_mandate="de directeur Uitvoering van Beleid",
        legal_basis="de Stimuleringsregeling leren en ontwikkelen in mkb-ondernemingen (SLIM)",
    )
    team = team_for(OpeningFactory(scheme=scheme))
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    grant = pdf_text(Letter.objects.get(application=app, kind="grant"))
    assert "De Minister van Sociale Zaken en Werkgelegenheid, namens deze: de directeur Uitvoering van Beleid" in grant
    assert "berust op de Stimuleringsregeling leren en ontwikkelen in mkb" in grant  # (hyphenated at the line end)
    assert "Postbus 90801" in grant  # where to send an objection: SLIM letters had no address
    assert "Verordening (EU) 2023/2831" in grant and "de-minimissteun" in grant and "€ 18.000,00" in grant
    receipt = pdf_text(Letter.objects.get(application=app, kind="receipt"))
    assert "U hebt € 18.000,00 aangevraagd; dat is het bedrag waarop wij uw aanvraag beoordelen." in receipt
    assert "Hebt u" not in receipt


def test_a_letter_names_one_body_not_three(django_capture_on_commit_callbacks):
    scheme = SchemeFactory(
        programme=True,
        owner="Ministerie van OCW en Ministerie van EZ, met Platform Talent voor Technologie",
        competent_authority="De Minister van Onderwijs, Cultuur en Wetenschap",
        signed_under_mandate="Rijksdienst voor Ondernemend Nederland",
    )
    team = team_for(OpeningFactory(scheme=scheme))
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    grant = pdf_text(Letter.objects.get(application=app, kind="grant"))
    assert "Platform Talent voor Technologie" not in grant
    assert (
        "De Minister van Onderwijs, Cultuur en Wetenschap, namens deze: Rijksdienst voor Ondernemend Nederland" in grant
    )
    assert "Verordening (EU) 2023/2831" not in grant  # not de-minimis aid


def test_every_scheme_in_the_catalogue_names_its_body_signer_and_basis(catalogue):
    for scheme in Scheme.objects.filter(is_demo=False):
        assert scheme.competent_authority.startswith("De Minister"), scheme.code
        assert scheme.signed_under_mandate and scheme.legal_basis, scheme.code
