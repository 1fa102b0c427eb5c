"""The embedded default and the real services: which one runs, and what happens when one is away."""

import os
import subprocess
import sys

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from applications import tasks
from applications.models import AuditEvent
from applications.tasks import ping
from config.celery import app as celery_app
from schemes.models import LedgerEntry, Opening
from tests.factories import draft, employer, omscholing_scheme, open_opening


def test_without_redis_tasks_run_in_process(settings):
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL == os.environ["REDIS_URL"]
    else:
        assert settings.CELERY_TASK_ALWAYS_EAGER is True
        assert settings.CELERY_BROKER_URL == "memory://"


def test_the_daily_clock_job_is_scheduled_in_the_settings():
    entry = settings.CELERY_BEAT_SCHEDULE["daily-clocks"]
    assert entry["task"] == "applications.tasks.run_clocks"


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_an_overspent_ceiling_on_postgresql(catalogue):

    assert connection.vendor == "postgresql"
    opening = Opening.objects.get(code="omscholing-2021")
    with pytest.raises(IntegrityError), transaction.atomic():
        Opening.objects.filter(pk=opening.pk).update(reserved=opening.budget_ceiling + 1)
    opening.refresh_from_db()
    assert opening.reserved == 0


@pytest.mark.redis
def test_a_task_travels_through_redis_to_a_worker():

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            assert ping.delay("hallo").get(timeout=20) == "hallo"
    finally:
        celery_app.conf.task_always_eager = previous


@pytest.mark.django_db
def test_a_submission_does_not_depend_on_the_broker(monkeypatch):
    """With the broker down the prompt fails fast and is logged; the owed letter stays a row for the sweep."""

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.deliver_owed, "apply_async", broken)
    assert tasks.prompt_delivery("letter:receipt:application:1") is False


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_itself_refuses_to_change_or_delete_the_audit_trail_and_the_ledger():

    opening = open_opening(omscholing_scheme())
    application = draft(opening, employer())
    event = AuditEvent.objects.create(application=application, action="create", to_state="draft")
    entry = LedgerEntry.objects.create(opening=opening, kind="reserve", amount=1)
    with connection.cursor() as cursor:
        for sql, pk in (
            ("UPDATE applications_auditevent SET action = 'x' WHERE id = %s", event.pk),
            ("DELETE FROM applications_auditevent WHERE id = %s", event.pk),
            ("UPDATE schemes_ledgerentry SET amount = 0 WHERE id = %s", entry.pk),
            ("DELETE FROM schemes_ledgerentry WHERE id = %s", entry.pk),
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(sql, [pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "create"
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 1


def test_the_production_settings_pass_the_deployment_check(monkeypatch):
    """With a real secret and host, `manage.py check --deploy` reports nothing (a fresh interpreter reads the env)."""

    # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never does
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "SECRET_KEY": "a-real-secret-" + "x" * 60,
        "ALLOWED_HOSTS": "subsidie.example.nl",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "1",
        "SESSION_COOKIE_SECURE": "1",
        "CSRF_COOKIE_SECURE": "1",
        "SECURE_HSTS_SECONDS": "31536000",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_openapi_schema_validates_without_warnings():

    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr[-2000:]
