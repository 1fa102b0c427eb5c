"""Shared fixtures, and the rule for tests that need a service.

With DATABASE_URL / REDIS_URL set, tests marked ``postgres`` / ``redis`` run
against those services; without, they are skipped with a reason; with
REQUIRE_SERVICES=1 a missing service is a failure, not a skip. Tests marked
``browser`` need Debian's Chromium in the same way.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"

# Properties judge what is computed, never how fast: on a loaded machine generating inputs is slow too.
hypothesis_settings.register_profile("open-subsidie", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("open-subsidie")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""


def _postgres_available() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _redis_available() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    try:
        import redis

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
    from schemes.loader import load_catalogue, read_catalogue

    load_catalogue(read_catalogue())


@pytest.fixture(autouse=True)
def _equated_days_read_afresh():
    """The equated days of the Atw are cached per process: each test reads its own database's."""
    from applications import clocks

    clocks.forget_equated_days()
    yield
    clocks.forget_equated_days()


@pytest.fixture(autouse=True)
def _dutch_first():
    """Every test starts in Dutch: a request in English elsewhere must not leak into the next test."""
    from django.utils import translation

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
