"""``make run`` ends with what a newcomer needs: the address, the demo logins, where each starts, the second
factor for staff and where the e-mail goes; and never shows demo passwords outside development."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications.models import Role
from demo.banner import banner
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_last_lines_name_the_address_each_demo_login_and_where_it_starts():
    f.employer(username="werkgever")
    f.intermediary(username="intermediair")
    f.staff(Role.REVIEWER, username="behandelaar")
    f.staff(Role.SENIOR_REVIEWER, username="senior")
    f.staff(Role.PROGRAM_MANAGER, username="programmamanager")
    f.staff(Role.ADMINISTRATOR, username="beheerder")
    text = banner("http://127.0.0.1:8001/")
    assert "Open Subsidie draait op http://127.0.0.1:8001/" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    assert lines["werkgever"].endswith("→ begint op /mijn/")
    assert lines["intermediair"].endswith("→ begint op /mijn/")
    assert lines["behandelaar"].endswith("→ begint op /behandeling/")
    assert lines["senior"].endswith("→ begint op /behandeling/")
    assert lines["programmamanager"].endswith("→ begint op /rapportages/")
    assert lines["beheerder"].endswith("→ begint op /beheer/")
    assert "wachtwoord voor allemaal: opensubsidie" in text
    assert "authenticator-app" in text and "E-mail" in text and "terminal" in text
    assert text.rstrip().endswith("─")  # the banner is the end of what make run prints


def test_the_demo_server_refuses_to_start_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="alleen met DEBUG=1"):
        call_command("serve_demo", "127.0.0.1:0", use_reloader=False)
