"""What the browser tests share: a page in Debian's Chromium, and signing in.

Playwright's sync API runs an event loop in the test's thread; the ORM calls of
the tests are plain and safe, hence DJANGO_ALLOW_ASYNC_UNSAFE.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import sync_playwright

from config.signin import needs_second_factor
from tests import factories as f
from tests.conftest import CHROMIUM

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]


@pytest.fixture
def page():
    """A fresh Chromium page (Playwright's default viewport, 1280 × 720), in Dutch."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # the tests inject axe and wait on script of their own: past our Content-Security-Policy, the pages not
        context = browser.new_context(locale="nl-NL", accept_downloads=True, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        context.close()
        browser.close()


def login(page, live_server, user) -> None:
    """Sign ``user`` in through the sign-in page, as a person would (every user of the factories has f.PASSWORD);
    staff then type the code their authenticator app shows."""
    device = f.authenticator(user) if needs_second_factor(user) else None  # set up at an earlier sign-in
    page.goto(f"{live_server.url}/inloggen/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f.PASSWORD)
    page.locator("main").get_by_role("button", name="Inloggen").click()
    if device is not None:
        page.fill("#id_otp_token", f.code_now(device))
        page.locator("main").get_by_role("button", name="Inloggen").click()
