"""The scheme's dashboard reads in ten seconds, on a desktop (1440 px) and a phone (390 px): the four tiles
first, the burn-up chart readable, nothing scrolls sideways, and no WCAG 2.1 AA violations.

Run alone with ``pytest -m browser``; ``REPORT_SCREENSHOTS=/some/dir`` keeps the screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from applications.models import Role
from demo import replay
from schemes.models import Scheme
from tests import factories as f
from tests.e2e.conftest import login
from tests.e2e.test_phone import AXE, RUN_AXE, SIDEWAYS

pytestmark = pytest.mark.browser

SIZES = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


def test_the_omscholing_dashboard_opens_with_its_tiles_and_a_burn_up_that_shows_both(page, live_server, catalogue):
    replay.load_replay()
    manager = f.staff(Role.PROGRAM_MANAGER, schemes=[Scheme.objects.get(code="omscholing")])
    login(page, live_server, manager)
    keep = os.environ.get("REPORT_SCREENSHOTS")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}{reverse('reporting:scheme', args=['omscholing'])}")
        tiles = page.locator(".os-tile")
        assert tiles.count() == 4
        # all four tiles in the first screen on a desktop; on a phone the first two
        first_screen = 4 if name == "1440" else 2
        for index in range(first_screen):
            box = tiles.nth(index).bounding_box()
            assert box["y"] + box["height"] <= size["height"], f"tile {index} below the fold at {name}"
        text = tiles.nth(0).inner_text()
        assert "99" in text and "19.000" in text and "0,52 %" in text
        assert "illustratief" in tiles.nth(0).inner_text()  # the completed trajecten are the replay's
        assert page.locator("#illustratief").is_visible()
        chart = page.locator("svg.os-chart").filter(has_text="logaritmische schaal")
        assert chart.count() == 1 and "doel 19.000" in chart.text_content()
        legend = page.locator(".os-legend").inner_text()
        assert "verleend: 99 (0,52 % van het doel)" in legend and "ingediend: 142" in legend
        assert page.evaluate(SIDEWAYS)["page"] == 0  # wide tables scroll in their own wrapper, the page not
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(keep) / f"omscholing-{name}-top.png"))
            page.screenshot(path=str(Path(keep) / f"omscholing-{name}-full.png"), full_page=True)
            page.locator("figure", has=chart).screenshot(path=str(Path(keep) / f"omscholing-{name}-burn-up.png"))
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []

    # the first opening on 15 September 2021, day 14 of its window: red at a glance
    page.set_viewport_size(SIZES["1440"])
    page.goto(f"{live_server.url}{reverse('reporting:opening', args=['omscholing-2021'])}?as_of=2021-09-15")
    warning = page.locator(".os-tile").nth(2).inner_text()
    assert "rood" in warning and "bij dit tempo" in warning
    if keep:
        page.screenshot(path=str(Path(keep) / "omscholing-2021-as-of-2021-09-15-1440.png"), full_page=True)
