"""On a phone (390 × 844) and on a desktop: nothing scrolls sideways, a traject is a card, and
"check your answers" changes every answer, documents included.

Run alone with ``pytest -m browser``; Playwright drives Debian's Chromium.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Document
from applications.states import State
from tests import factories as f
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# The page itself, and every box that would scroll on its own (a table in a wrapper), must fit the width.
SIDEWAYS = """() => {
  const d = document.documentElement;
  const inner = [...document.querySelectorAll('body *')].filter(e => {
    const s = getComputedStyle(e);
    return (s.overflowX === 'auto' || s.overflowX === 'scroll') && e.scrollWidth > e.clientWidth + 1;
  }).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className);
  return {page: d.scrollWidth - d.clientWidth, inner: inner};
}"""
RUN_AXE = """async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}))
    .violations.map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


@pytest.fixture
def desktop(page):
    page.set_viewport_size(DESKTOP)
    return page


def fits(page) -> None:
    found = page.evaluate(SIDEWAYS)
    assert found == {"page": 0, "inner": []}, page.url


def no_violations(page) -> None:
    if AXE.exists():
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(RUN_AXE) == [], page.url


def fill_traject(page, index: int, name: str, cost: str) -> None:
    start = timezone.localdate() + datetime.timedelta(days=30)
    prefix = f"#id_units-{index}-"
    page.fill(prefix + "participant", name)
    page.fill(prefix + "occupation", "Software-ontwikkelaar")
    page.select_option(prefix + "occupation_sector", "ict")
    page.fill(prefix + "provider", "Hogeschool Utrecht")
    page.fill(prefix + "cost", cost)
    page.fill(prefix + "start_date", start.isoformat())
    page.fill(prefix + "end_date", (start + datetime.timedelta(days=200)).isoformat())
    page.fill(prefix + "contract_end_date", (start + datetime.timedelta(days=800)).isoformat())


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def test_on_a_phone_an_employer_applies_from_the_catalogue_to_the_receipt_without_scrolling_sideways(
    live_server, transactional_db, phone, tmp_path
):
    page = phone
    opening = f.open_opening(
        f.omscholing_scheme(), code="omscholing-telefoon", name="Omscholing, openstelling telefoon"
    )
    f.closed_opening(opening.scheme, name="Omscholing, september 2021")
    user = f.employer(f.OrganisationFactory(name="Installatiebedrijf Jansen B.V."), username="telefoon-werkgever")
    login(page, live_server, user)

    page.goto(f"{live_server.url}/regelingen/")
    fits(page)
    page.goto(f"{live_server.url}/regelingen/{opening.scheme.code}/")
    fits(page)
    page.click(f"a[href='/mijn/aanvragen/nieuw/{opening.code}/']")
    fits(page)
    button(page, "Start de aanvraag").click()

    assert "Stap 1 van 5" in page.content()
    fits(page)
    button(page, "Opslaan en verder").click()

    # Trajecten: one card per traject, added one by one.
    fill_traject(page, 0, "A. de Vries", "8000")
    button(page, "+ traject toevoegen").click()
    assert page.input_value("#id_units-0-participant") == "A. de Vries"
    assert page.locator("fieldset.os-rowcard").count() == 2
    fill_traject(page, 1, "B. Bakker", "9.500,00")
    fits(page)
    no_violations(page)
    button(page, "Opslaan en verder").click()

    pdf = tmp_path / "offerte.pdf"
    pdf.write_bytes(f.PDF)
    page.set_input_files("#id_file", str(pdf))
    button(page, "Uploaden").click()
    fits(page)
    button(page, "Opslaan en verder").click()

    page.check("#id_truthfulness_declared")
    fits(page)
    button(page, "Opslaan en verder").click()

    # Check your answers: every answer with its own change link.
    assert "Overzicht en indienen" in page.content()
    fits(page)
    no_violations(page)
    app = Application.objects.get()
    document = Document.objects.get(application=app)
    page.get_by_role("link", name="Wijzig deelnemer, traject 2").click()
    assert page.url.endswith(
        reverse("portal:step", args=[app.reference, "trajecten"]) + "?terug=overzicht#id_units-1-participant"
    )
    page.fill("#id_units-1-participant", "B. Bakker-Smit")
    button(page, "Opslaan en terug naar het overzicht").click()
    assert page.url.endswith(reverse("portal:step", args=[app.reference, "overzicht"]) + "#antwoorden-trajecten")
    assert "B. Bakker-Smit" in page.inner_text("#antwoorden-trajecten")
    assert app.units.filter(participant="B. Bakker-Smit").exists()

    page.get_by_role("link", name="Wijzig bijlage offerte.pdf").click()
    assert page.url.endswith(f"?terug=overzicht#document-{document.pk}")
    assert page.locator(f"#document-{document.pk}").is_visible()
    page.go_back()

    button(page, "Aanvraag indienen").click()
    assert "Uw aanvraag is ingediend" in page.content()
    fits(page)
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    page.goto(f"{live_server.url}/mijn/")
    fits(page)
    page.goto(live_server.url + reverse("portal:detail", args=[app.reference]))
    fits(page)


def test_on_a_desktop_six_trajecten_are_six_cards_each_with_its_remove_button_in_view(
    live_server, transactional_db, desktop
):
    page = desktop
    opening = f.open_opening(f.omscholing_scheme(), code="omscholing-breed")
    user = f.employer(username="breed-werkgever")
    app = f.draft(opening, user, units=[f.traject(n) for n in range(1, 7)])
    login(page, live_server, user)

    page.goto(live_server.url + reverse("portal:step", args=[app.reference, "trajecten"]))

    fits(page)
    assert page.locator("fieldset.os-rowcard").count() == 6
    width = page.evaluate("document.documentElement.clientWidth")
    for n in range(1, 7):
        box = button(page, f"Verwijder traject {n}").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    # a list of those added, each linking to its card; and no seventh: the scheme allows six
    assert page.locator("ol.os-added li").count() == 6
    assert button(page, "+ traject toevoegen").count() == 0
    button(page, "Verwijder traject 3").click()
    assert page.locator("fieldset.os-rowcard").count() == 5
    assert page.input_value("#id_units-2-participant") == "J. Jansen 4"


def test_on_a_phone_every_error_of_the_trajecten_shows_at_once_and_the_amount_waits(
    live_server, transactional_db, phone
):
    page = phone
    opening = f.open_opening(f.omscholing_scheme(), code="omscholing-fouten")
    user = f.employer(username="fouten-werkgever")
    app = f.draft(opening, user, units=[f.traject(1)])
    login(page, live_server, user)
    page.goto(live_server.url + reverse("portal:step", args=[app.reference, "trajecten"]))

    page.fill("#id_units-0-cost", "-100")
    button(page, "+ traject toevoegen").click()
    fill_traject(page, 1, "", "5")
    button(page, "Opslaan en verder").click()

    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = page.locator("#error-summary a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#id_units-0-cost",
        "#id_units-1-participant",
        "#id_units-1-cost",
    ]
    assert page.locator("#id_units-0-cost-error").is_visible()
    assert page.locator("#id_units-1-participant-error").is_visible()
    assert "Traject 2 kost € 5,00" in page.inner_text("#id_units-1-cost-error")
    assert page.inner_text("#amount-value") == "—"
    fits(page)
    no_violations(page)
    assert list(app.units.values_list("participant", "cost")) == [("J. Jansen 1", Decimal("8000.00"))]  # nothing saved


def test_on_a_phone_the_limit_per_applicant_shows_before_the_first_step_and_caps_the_trajecten(
    live_server, transactional_db, phone
):
    page = phone
    opening = f.open_opening(f.omscholing_scheme(), code="omscholing-grens")
    user = f.employer(username="grens-werkgever")
    f.submitted(opening, user, units=[f.traject(n) for n in range(1, 5)])
    login(page, live_server, user)

    page.goto(live_server.url + reverse("portal:start", args=[opening.code]))
    assert "er kunnen er nog 2 bij" in page.inner_text("#remaining")
    fits(page)
    button(page, "Start de aanvraag").click()
    assert "er kunnen er nog 2 bij" in page.inner_text("#remaining")  # the first step says it again
    button(page, "Opslaan en verder").click()

    assert "u kunt er nog 2 aanvragen" in page.inner_text("#units-left")
    fill_traject(page, 0, "C. Claassen", "8000")
    button(page, "+ traject toevoegen").click()
    assert page.locator("fieldset.os-rowcard").count() == 2
    assert button(page, "+ traject toevoegen").count() == 0  # two is all that is left
    fits(page)
