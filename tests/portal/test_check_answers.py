"""Check your answers: the last step shows every answer with the link that changes it, and comes back."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Unit
from tests import factories as f

pytestmark = pytest.mark.django_db


def step_url(app, step):
    return reverse("portal:step", args=[app.reference, step])


def change_links(html: str) -> dict[str, str]:
    """{"deelnemer, traject 2": href} for every "Wijzig" link on the page."""
    return {
        label: href.replace("&amp;", "&")
        for href, label in re.findall(
            r'<a class="rvo-link" href="([^"]+)">Wijzig<span class="os-visually-hidden"> ([^<]+)</span></a>', html
        )
    }


def test_every_answer_of_an_omscholing_application_has_its_own_change_link(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    wclient.post(
        step_url(app, "bijlagen"),
        {"action": "upload", "file": SimpleUploadedFile("offerte.pdf", f.PDF, content_type="application/pdf")},
    )

    links = change_links(wclient.get(step_url(app, "overzicht")).content.decode())

    document = app.documents.get()
    back = "?terug=overzicht"
    assert links["IBAN"] == step_url(app, "aanvrager") + back + "#id_iban"
    for n in (1, 2):
        for field, label in [
            ("participant", "deelnemer"),
            ("occupation", "beoogd beroep"),
            ("occupation_sector", "sector van het beroep"),
            ("provider", "opleider"),
            ("cost", "kosten"),
            ("start_date", "start"),
            ("end_date", "einde"),
            ("contract_end_date", "einde contract"),
        ]:
            assert links[f"{label}, traject {n}"] == step_url(app, "trajecten") + back + f"#id_units-{n - 1}-{field}"
    assert links["bijlage offerte.pdf"] == step_url(app, "bijlagen") + back + f"#document-{document.pk}"
    assert links["naar waarheid ingevuld"] == step_url(app, "verklaringen") + back + "#id_truthfulness_declared"
    # the anchors exist on the step they point at
    units_page = wclient.get(step_url(app, "trajecten")).content.decode()
    assert 'id="id_units-1-contract_end_date"' in units_page
    assert f'id="document-{document.pk}"' in wclient.get(step_url(app, "bijlagen")).content.decode()


def test_a_change_from_the_summary_is_saved_and_brings_the_employer_back_to_the_summary(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    rows = f.unit_rows(f.traject(1), {**f.traject(2), "participant": "B. Bakker-Smit"})

    response = wclient.post(step_url(app, "trajecten") + "?terug=overzicht", {**rows, "action": "next"})

    assert response.status_code == 302
    assert response["Location"] == step_url(app, "overzicht") + "#antwoorden-trajecten"
    assert list(Unit.objects.filter(application=app).values_list("participant", flat=True).order_by("id")) == [
        "J. Jansen 1",
        "B. Bakker-Smit",
    ]
    page = wclient.get(step_url(app, "trajecten") + "?terug=overzicht").content.decode()
    assert "Opslaan en terug naar het overzicht" in page


def test_an_intermediary_sees_the_employers_details_without_change_links(client_for):
    employer = f.OrganisationFactory(name="Metaal Oost B.V.")
    agent = f.intermediary()
    scheme = f.slim_scheme()
    f.mandate(employer, agent.organisation, [scheme])
    app = f.draft(f.open_opening(scheme), agent, kvk=employer.kvk)

    links = change_links(client_for(agent).get(step_url(app, "overzicht")).content.decode())

    assert "IBAN" not in links and "naam" not in links
    assert links["subsidiabele kosten"].startswith(step_url(app, "kosten"))
    assert links["de-minimissteun elders ontvangen"].endswith("#de_minimis-table")
