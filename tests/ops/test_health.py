"""The health probes: live asks nothing, ready asks what an app server needs, health asks about the whole service."""

from __future__ import annotations

import functools
import os
import time

import pytest
from health_check import Database

from ops import health
from tests.factories import owe_since

LIVE, READY, HEALTH = "/gezondheid/live/", "/gezondheid/klaar/", "/gezondheid/"


def answer(client, url, status):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == ("ok" if status == 200 else "unavailable")
    return body


def test_live_answers_without_touching_the_database(client):
    # not marked django_db: any query here would fail the test
    assert answer(client, LIVE, 200) == {"status": "ok", "checks": {}}


def test_live_stays_up_when_the_database_is_away(client, monkeypatch):
    monkeypatch.setattr(health, "Database", functools.partial(Database, alias="elders"))
    answer(client, LIVE, 200)


@pytest.mark.django_db
def test_ready_with_the_database_and_the_media_disk_fine(client):
    body = answer(client, READY, 200)
    assert set(body["checks"]) == {"database", "media", "disk"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.django_db
def test_not_ready_without_the_database(client, monkeypatch):
    monkeypatch.setattr(health, "Database", functools.partial(Database, alias="elders"))
    body = answer(client, READY, 503)
    assert body["checks"]["database"]["status"] == "unavailable"
    assert "Database alias does not exist" in body["checks"]["database"]["detail"]
    assert body["checks"]["media"]["status"] == "ok"


@pytest.mark.django_db
def test_not_ready_when_the_media_disk_is_full(client, settings):
    settings.HEALTH_DISK_MAX_USED_PERCENT = 0
    body = answer(client, READY, 503)
    assert "the media disk is" in body["checks"]["disk"]["detail"]


@pytest.mark.django_db
def test_a_letter_owed_too_long_makes_the_service_unwell_but_the_app_server_stays_ready(client, settings, application):
    settings.REDIS_URL = ""
    settings.HEALTH_OUTBOX_MAX_AGE_MINUTES = 15
    owe_since(application, minutes=10)
    assert answer(client, HEALTH, 200)["checks"]["outbox"]["status"] == "ok"

    owe_since(application, minutes=20)
    response = client.get(HEALTH)
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["status"] == "unavailable"
    assert "more than 900 s" in outbox["detail"]
    # figures only: nothing that names the application or the applicant
    assert application.reference not in response.content.decode()
    assert application.organisation.name not in response.content.decode()
    # a load balancer keeps sending requests: the letter waits safely in the database
    answer(client, READY, 200)


@pytest.mark.django_db
def test_the_embedded_default_has_no_redis_and_is_healthy(client, settings):
    settings.REDIS_URL = ""
    body = answer(client, HEALTH, 200)
    assert set(body["checks"]) == {"database", "media", "disk", "outbox"}


@pytest.mark.django_db
def test_a_redis_that_does_not_answer_makes_the_service_unwell_quickly(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    body = answer(client, HEALTH, 503)
    assert time.monotonic() - started < 5
    assert body["checks"]["redis"]["status"] == "unavailable"
    assert "Unable to connect to Redis" in body["checks"]["redis"]["detail"]
    answer(client, READY, 200)  # requests are still served: a submission never depends on Redis


@pytest.mark.redis
@pytest.mark.django_db
def test_the_real_redis_is_checked_when_configured(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    body = answer(client, HEALTH, 200)
    assert body["checks"]["redis"]["status"] == "ok"


@pytest.mark.django_db
def test_the_probes_are_not_redirected_to_https(client, settings):
    """The load balancer probes each app server over plain HTTP; every other page still goes to HTTPS."""
    settings.SECURE_SSL_REDIRECT = True
    answer(client, LIVE, 200)
    answer(client, READY, 200)
    assert client.get("/regelingen/").status_code == 301


@pytest.mark.django_db
def test_the_probes_need_no_login_and_refuse_writes(client):
    assert client.post(READY).status_code == 405
    assert client.delete(LIVE).status_code == 405
