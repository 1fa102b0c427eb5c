"""WCAG 2.1 AA, as far as a machine can tell: axe-core finds nothing on the portal's pages.

Also with errors on the page, where the focus must land on the error summary.
Run alone with ``pytest -m browser``; needs Chromium and ``npm ci`` (axe-core).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories as f
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}))
    .violations.map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""


@pytest.fixture(autouse=True)
def _axe_installed():
    """Before the browser starts (autouse fixtures come first)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def test_the_portal_pages_pass_axe_with_and_without_errors(live_server, transactional_db, page):
    scheme = f.omscholing_scheme(code="omscholing-a11y")
    opening = f.open_opening(scheme)
    reviewer = f.staff("reviewer", [scheme], username="a11y-behandelaar")
    senior = f.staff("senior_reviewer", [scheme], username="a11y-senior")
    user = f.employer(username="a11y-werkgever")
    draft = f.draft(opening, user)
    granted = f.granted(f.open_opening(scheme, code="omscholing-a11y-2"), user, reviewer, senior)

    login(page, live_server, user)

    urls = [
        reverse("portal:home"),
        reverse("portal:profile"),
        reverse("portal:mandates"),
        reverse("portal:start", args=[opening.code]),
        *[
            reverse("portal:step", args=[draft.reference, s])
            for s in ("aanvrager", "trajecten", "bijlagen", "verklaringen", "overzicht")
        ],
        reverse("portal:detail", args=[granted.reference]),
        reverse("portal:receipt", args=[granted.reference]),
        reverse("portal:action", args=[granted.reference, "request_settlement"]),
    ]
    found = {}
    for url in urls:
        page.goto(live_server.url + url)
        if problems := violations(page):
            found[url] = problems
    # With errors: a new traject with only a cost below the minimum.
    page.goto(live_server.url + reverse("portal:step", args=[draft.reference, "trajecten"]))
    page.get_by_role("button", name="+ traject toevoegen").click()
    page.fill("#id_units-2-cost", "5000")
    page.get_by_role("button", name="Opslaan en verder", exact=True).click()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    if problems := violations(page):
        found["trajecten met fouten"] = problems
    assert found == {}
