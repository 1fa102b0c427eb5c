"""The programme report in a real browser: PPS's gates, budget lines and KPIs, and the demo PPS's tranches.

Run alone with ``pytest -m browser``. With ``SCREENSHOTS=<dir>`` the pages are also saved there as PNG.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from applications.models import Role
from demo import seed as demo_seed
from schemes.loader import load_catalogue, read_catalogue
from schemes.models import Scheme
from tests import factories as f
from tests.e2e.conftest import login
from tests.e2e.test_portal_accessibility import AXE, violations

pytestmark = pytest.mark.browser


def _shoot(page, name: str) -> None:
    target = os.environ.get("SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def test_the_pps_report_shows_its_gate_budget_lines_and_kpis_without_the_100_percent(
    live_server, transactional_db, page, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    load_catalogue(read_catalogue())
    demo_seed.seed()
    manager = f.staff(Role.PROGRAM_MANAGER, list(Scheme.objects.all()), username="pm-programma")
    login(page, live_server, manager)

    page.goto(live_server.url + reverse("reporting:scheme", args=["ngf-pps"]) + "?as_of=2025-06-30")
    programme = page.locator("#programma-ngf-pps")
    programme.scroll_into_view_if_needed()
    assert page.get_by_role("row", name="Programmamanagement en monitoring").is_visible()
    gates = page.get_by_role("table", name="Beoordelingsmomenten en wat zij vrijgeven")
    assert "Evaluatie 2026" in gates.inner_text() and "€ 60.000.000,00" in gates.inner_text()
    kpis = page.get_by_role("table", name="KPI's: definitie, doel en realisatie")
    companies = kpis.get_by_role("row", name="Betrokken bedrijven (extra per jaar)").inner_text()
    assert "5,18" in companies and "geen voortgang op het doel" in companies and "100,00" not in companies
    _shoot(page, "programme-report-ngf-pps")
    if AXE.exists():
        assert violations(page) == []

    page.goto(live_server.url + reverse("reporting:opening", args=["ngf-pps-demo"]))
    tranches = page.get_by_role("table", name="Tranches van de toekenningen op de peildatum")
    assert "€ 4.000.000,00" in tranches.inner_text()
    schedule = page.get_by_role("table", name="Tranches per toekenning, gedateerd vanaf de start van elke toekenning")
    assert "Jaren 5-6" in schedule.inner_text() and "vrijgegeven" in schedule.inner_text()
    assert page.get_by_role("table", name="Betrokken bedrijven (extra per jaar) per toekenning (eigen metingen)")
    _shoot(page, "programme-report-ngf-pps-demo")

    page.goto(live_server.url + reverse("reporting:scheme", args=["ngf-techkwadraat"]))
    gates = page.get_by_role("table", name="Beoordelingsmomenten en wat zij vrijgeven")
    assert "€ 205.800.000,00" in gates.inner_text()
    _shoot(page, "programme-report-ngf-techkwadraat")
