"""What ``make run`` says last, once the server listens: the address, the demo logins and where each starts."""

from __future__ import annotations

from django.urls import reverse

from applications.models import User
from config.start import START_PAGES

from .seed import EMPLOYER, INTERMEDIARY, LOGINS, PASSWORD, SECOND_EMPLOYER


def start_path(username: str) -> str:
    """The page a demo user lands on after signing in (``config/start.py``)."""
    user = User.objects.filter(username=username).only("role").first()
    if user is None:
        return ""
    return reverse(START_PAGES.get(user.role, "home"))


def logins() -> list[str]:
    lines = [f"Demo-logins (wachtwoord voor allemaal: {PASSWORD}):"]
    for username, description in LOGINS:
        start = start_path(username)
        lines.append(f"  {username:<17} {description}" + (f"  → begint op {start}" if start else ""))
    lines.append(
        "Medewerkers (behandelaar, senior, programmamanager, beheerder) stellen bij de eerste keer inloggen een "
        "authenticator-app in (TOTP) en geven daarna bij elke keer inloggen de code."
    )
    lines.append(
        "Of via /inloggen/: 'Inloggen met eHerkenning (testomgeving)' met KVK-nummer "
        f"{EMPLOYER['kvk']} (werkgever), {SECOND_EMPLOYER['kvk']} (tweede werkgever) of "
        f"{INTERMEDIARY['kvk']} (intermediair, eventueel namens een werkgever), en single sign-on voor "
        "medewerkers met de rollen os-behandelaar, os-senior, os-programmamanager, os-beheer."
    )
    return lines


def banner(url: str) -> str:
    rule = "─" * 72
    return "\n".join(
        [
            "",
            rule,
            f"Open Subsidie draait op {url}   (stoppen: Ctrl-C; een andere poort: make run PORT=8001)",
            "",
            *logins(),
            "",
            "E-mail (ontvangstbevestigingen, brieven) verschijnt in deze terminal.",
            rule,
        ]
    )
