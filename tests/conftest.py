"""Shared fixtures (the team of the scenarios), and the rule for tests that need a service.

The team: an Omscholing opening open now, the employer "werkgever" (Bouwbedrijf De Vries B.V.), a
reviewer "behandelaar" and seniors "senior" and "senior2" of its scheme; ``team`` gathers them for the
tests that speak of "the employer" and "the reviewer"; ``client_for(user)`` signs anyone in.

With DATABASE_URL / REDIS_URL set, tests marked ``postgres`` / ``redis`` run
against those services; without, they are skipped with a reason; with
REQUIRE_SERVICES=1 a missing service is a failure, not a skip. Tests marked
``browser`` need Debian's Chromium in the same way.
"""

from __future__ import annotations

import os
import shutil

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from applications import clocks
from schemes.loader import load_catalogue, read_catalogue
from tests import factories as f

# Hypothesis: "ci" is deterministic (the same examples on every run) and never fails a test because a
# loaded machine was slow to produce them; "dev" (the default) explores new examples on each run.
# HYPOTHESIS_PROFILE picks one (.ci/run sets ci).
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
hypothesis_settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""


def _postgres_available() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _redis_available() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


def _need(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _services(request):
    if request.node.get_closest_marker("postgres") and not _postgres_available():
        _need("PostgreSQL is not configured (set DATABASE_URL=postgres://…)")
    if request.node.get_closest_marker("redis") and not _redis_available():
        _need("Redis is not reachable (set REDIS_URL=redis://…)")
    if request.node.get_closest_marker("browser") and not CHROMIUM:
        _need("Chromium is not installed (apt-get install chromium)")
    if request.node.get_closest_marker("faults"):
        if not _postgres_available():
            _need("the fault tests need PostgreSQL (set DATABASE_URL=postgres://…)")
        if not shutil.which("redis-server"):
            _need("the fault tests start a Redis of their own: redis-server is not installed")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(db):
    """Every real scheme and opening, loaded as load_regelingen does."""

    load_catalogue(read_catalogue())


@pytest.fixture(autouse=True)
def _equated_days_read_afresh():
    """The equated days of the Atw are cached per process: each test reads its own database's."""

    clocks.forget_equated_days()
    yield
    clocks.forget_equated_days()


@pytest.fixture(autouse=True)
def _force_login_is_a_whole_sign_in(monkeypatch):
    """``client.force_login(user)`` stands for a finished sign-in: for staff that includes the second factor.

    The sign-in itself (password, code, recovery code, lockout) is tested through the login page in
    tests/security/test_ways_in.py; everywhere else a test signs in a staff member as having done both steps.
    """
    force_login = Client.force_login

    def whole_sign_in(client, user, backend=None):
        force_login(client, user, backend)
        f.second_factor_done(client, user)

    monkeypatch.setattr(Client, "force_login", whole_sign_in)


@pytest.fixture(autouse=True)
def _throttles_count_per_test():
    """The API's throttles count in the cache: each test starts with none of another test's requests."""
    cache.clear()


@pytest.fixture(autouse=True)
def _dutch_first():
    """Every test starts in Dutch: a request in English elsewhere must not leak into the next test."""

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@receiver(connection_created)
def _test_databases_may_be_flushed(sender, connection, **kwargs):
    """The suite empties its own test database between transactional tests (TRUNCATE): say so on purpose.

    The append-only tables refuse TRUNCATE unless the session sets this (migration 0012); the tests that
    prove the refusal switch it off again.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET open_subsidie.truncate_allowed = on")


# --- the team ------------------------------------------------------------------------------------


@pytest.fixture
def omscholing(db):
    return f.omscholing_scheme()


@pytest.fixture
def opening(omscholing):
    """An Omscholing opening, open now, with room for plenty of trajecten."""
    return f.open_opening(omscholing)


@pytest.fixture
def reviewer(omscholing):
    return f.reviewer([omscholing], username="behandelaar")


@pytest.fixture
def senior(omscholing):
    return f.senior([omscholing], username="senior")


@pytest.fixture
def senior2(omscholing):
    return f.senior([omscholing], username="senior2")


@pytest.fixture
def werkgever(db):
    return f.employer(f.OrganisationFactory(name="Bouwbedrijf De Vries B.V."), username="werkgever")


@pytest.fixture
def team(opening, werkgever, reviewer, senior):
    """The opening, its employer, its reviewer and its senior reviewer, by the names the scenarios use."""
    return {"opening": opening, "employer": werkgever, "reviewer": reviewer, "senior": senior}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client signed in as the user."""
    return signed_in


@pytest.fixture
def wclient(werkgever):
    """The employer's signed-in client."""
    return signed_in(werkgever)
