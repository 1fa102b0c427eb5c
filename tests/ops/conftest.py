"""The hosting team's side: probes, metrics, logs, SMTP and the process list."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from applications.models import AuditEvent, Outbox, Role

try:  # the tests branch gathers every helper in tests.factories
    from tests.factories import employer, granted, omscholing_scheme, open_opening, staff, submitted
except ImportError:
    from tests.applications.factories import employer, granted, omscholing_scheme, open_opening, staff, submitted

__all__ = ["employer", "granted", "omscholing_scheme", "open_opening", "staff", "submitted"]


@pytest.fixture
def opening(db):
    return open_opening(omscholing_scheme())


@pytest.fixture
def application(opening):
    """A submitted application: its receipt is owed (an outbox row), never delivered (no commit in the test)."""
    return submitted(opening, employer())


def owe_since(application, minutes: float) -> Outbox:
    """The receipt the submission owes, as an outbox row written ``minutes`` ago (and not delivered)."""
    event = AuditEvent.objects.get(application=application, action="submit")
    row, _created = Outbox.objects.get_or_create(  # audit.record writes it where the outbox is wired in
        key=f"letter:receipt:application:{application.pk}",
        defaults={"kind": Outbox.Kind.LETTER, "event": event, "application": application},
    )
    Outbox.objects.filter(pk=row.pk).update(
        status=Outbox.Status.OWED, created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )
    return row


def team(opening):
    scheme = opening.scheme
    return staff(Role.REVIEWER, [scheme], username="ops-behandelaar"), staff(
        Role.SENIOR_REVIEWER, [scheme], username="ops-senior"
    )


def fresh_settings(*names: str, **env: str):
    """The named settings as a fresh process reads them from ``env`` (on top of this one's environment,
    less the variables under test); the finished process itself when the settings refused to load."""
    tested = {"DEBUG", "LOG_FORMAT", "EMAIL_BACKEND", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT"}
    environment = {k: v for k, v in os.environ.items() if k not in tested}
    code = f"import django, json; django.setup(); from django.conf import settings; print(json.dumps([getattr(settings, n) for n in {list(names)!r}]))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    return json.loads(done.stdout) if done.returncode == 0 else done
