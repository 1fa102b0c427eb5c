"""In a real browser: an employer applies for Omscholing from sign-in to the receipt PDF.

Run alone with ``pytest -m browser``. Playwright drives Debian's Chromium
(``apt-get install chromium``); without it the test is skipped, and with
REQUIRE_SERVICES=1 it fails instead.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from applications.models import Application, Document
from applications.states import State
from tests import factories as f
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser


def fill_traject(page, index: int, name: str, cost: str, sector: str) -> None:
    start = timezone.localdate() + datetime.timedelta(days=30)
    prefix = f"#id_units-{index}-"
    page.fill(prefix + "participant", name)
    page.fill(prefix + "occupation", "Software-ontwikkelaar" if sector == "ict" else "Monteur")
    page.select_option(prefix + "occupation_sector", sector)
    page.fill(prefix + "provider", "Hogeschool Utrecht")
    page.fill(prefix + "cost", cost)
    page.fill(prefix + "start_date", start.isoformat())
    page.fill(prefix + "end_date", (start + datetime.timedelta(days=200)).isoformat())
    page.fill(prefix + "contract_end_date", (start + datetime.timedelta(days=800)).isoformat())


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def test_an_employer_applies_for_omscholing_with_two_trajecten_and_downloads_the_receipt(
    live_server, transactional_db, page, tmp_path
):

    opening = f.open_opening(f.omscholing_scheme(), code="omscholing-e2e", name="Omscholing, openstelling e2e")
    user = f.employer(f.OrganisationFactory(name="Installatiebedrijf Jansen B.V."), username="e2e-werkgever")

    # Sign in.
    login(page, live_server, user)
    assert "/mijn/" in page.url or page.url.rstrip("/") == live_server.url

    # From the catalogue to the start of an application.
    page.goto(f"{live_server.url}/regelingen/{opening.scheme.code}/")
    page.click(f"a[href='/mijn/aanvragen/nieuw/{opening.code}/']")
    button(page, "Start de aanvraag").click()
    assert "Stap 1 van 5" in page.content()
    assert page.input_value("#id_name") == "Installatiebedrijf Jansen B.V."  # prefilled from the profile
    button(page, "Opslaan en verder").click()

    # Two trajecten: one row, then "+ traject toevoegen" without losing it, then the second.
    fill_traject(page, 0, "A. de Vries", "8000", "ict")
    button(page, "+ traject toevoegen").click()
    assert page.input_value("#id_units-0-participant") == "A. de Vries"
    fill_traject(page, 1, "B. Bakker", "9.500,00", "techniek")
    # With JavaScript the amount follows the typing (htmx); without it, "Bedrag opnieuw berekenen" does.
    page.wait_for_function("document.querySelector('.os-amount__value').textContent.includes('7.500,00')")
    button(page, "Concept opslaan").click()
    assert "Uw concept is opgeslagen" in page.content()
    assert "2 × € 3.750,00 per traject = € 7.500,00" in page.content()
    app = Application.objects.get()
    assert app.state == State.DRAFT and app.units.count() == 2

    # Resume later from Mijn aanvragen.
    page.goto(f"{live_server.url}/mijn/")
    page.get_by_role("link", name=f"Verder invullen en indienen {app.reference}").click()
    page.get_by_role("link", name="2 Trajecten").click()
    assert page.input_value("#id_units-1-participant") == "B. Bakker"
    button(page, "Opslaan en verder").click()

    # Upload a document.
    pdf = tmp_path / "offerte.pdf"
    pdf.write_bytes(f.PDF)
    page.set_input_files("#id_file", str(pdf))
    button(page, "Uploaden").click()
    assert "offerte.pdf" in page.content()
    assert Document.objects.filter(application=app).count() == 1
    button(page, "Opslaan en verder").click()

    # Declarations, summary, submit.
    page.check("#id_truthfulness_declared")
    button(page, "Opslaan en verder").click()
    assert "Overzicht en indienen" in page.content() and "B. Bakker" in page.content()
    button(page, "Aanvraag indienen").click()
    assert "Uw aanvraag is ingediend" in page.content()
    assert page.inner_text("#reference") == app.reference
    app.refresh_from_db()
    assert app.state == State.SUBMITTED and app.complete_at is not None

    # The receipt as PDF.
    with page.expect_download() as download_info:
        page.click("#receipt-pdf")
    content = open(download_info.value.path(), "rb").read()
    assert content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert app.reference in text
