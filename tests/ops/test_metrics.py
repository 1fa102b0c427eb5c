"""/metrics: only for the scraper with the token; the service's figures read from the database at scrape time."""

from __future__ import annotations

import datetime

import pytest
from django.db import DatabaseError
from prometheus_client.parser import text_string_to_metric_families

from applications.models import Application, Outbox
from applications.states import State
from ops import queries
from tests.factories import employer, granted, owe_since, submitted

TOKEN = "scrape-token-for-the-tests-0123456789"


def scrape(client, token=TOKEN) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_without_a_configured_token_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_the_metrics_are_not_public(client, token):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"opensubsidie" not in response.content
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ünïcode").status_code == 403
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
def test_an_empty_service_shows_zeroes(client, token):
    samples = scrape(client)
    assert samples[("opensubsidie_outbox_owed", (("kind", "letter"),))] == 0
    assert samples[("opensubsidie_outbox_owed", (("kind", "email"),))] == 0
    assert samples[("opensubsidie_outbox_oldest_owed_age_seconds", ())] == 0
    assert samples[("opensubsidie_submissions_total", ())] == 0
    assert samples[("opensubsidie_metrics_database_up", ())] == 1


@pytest.mark.django_db
def test_the_owed_letters_and_the_age_of_the_oldest(client, token, opening):
    first = submitted(opening, employer())
    second = submitted(opening, employer())
    owe_since(first, minutes=30)
    owe_since(second, minutes=2)
    failed = owe_since(submitted(opening, employer()), minutes=90)
    Outbox.objects.filter(pk=failed.pk).update(status=Outbox.Status.FAILED, attempts=8)

    samples = scrape(client)
    assert samples[("opensubsidie_outbox_owed", (("kind", "letter"),))] == 2
    assert samples[("opensubsidie_outbox_owed", (("kind", "email"),))] == 0
    assert 1800 <= samples[("opensubsidie_outbox_oldest_owed_age_seconds", ())] < 1900  # the failed one is not owed
    assert samples[("opensubsidie_outbox_failed", (("kind", "letter"),))] == 1
    assert samples[("opensubsidie_submissions_total", ())] == 3
    # figures only: no reference, no name
    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert first.reference not in body and first.organisation.name not in body


@pytest.mark.django_db
def test_decisions_and_applications_past_their_decision_date(client, token, opening, reviewer, senior):
    granted(opening, employer(), reviewer, senior)
    late = submitted(opening, employer())
    waiting_for_them = submitted(opening, employer())
    yesterday = datetime.date.today() - datetime.timedelta(days=2)
    Application.objects.filter(pk__in=[late.pk, waiting_for_them.pk]).update(decision_due=yesterday)
    # a suspended clock is never overdue
    Application.objects.filter(pk=waiting_for_them.pk).update(state=State.SUPPLEMENT_REQUESTED)

    samples = scrape(client)
    assert samples[("opensubsidie_decisions_total", (("action", "approve_decision"),))] == 1
    assert samples[("opensubsidie_decisions_total", (("action", "approve_settlement"),))] == 0
    assert samples[("opensubsidie_applications_past_decision_date", ())] == 1
    assert samples[("opensubsidie_submissions_total", ())] == 3


@pytest.mark.django_db
def test_the_requests_are_counted_per_view(client, token):
    client.get("/gezondheid/live/")
    counted = {
        dict(labels)["view"]: value
        for (name, labels), value in scrape(client).items()
        if name == "django_http_requests_total_by_view_transport_method_total"
    }
    assert counted["health-live"] >= 1


@pytest.mark.django_db
def test_a_database_that_cannot_be_read_is_a_figure_not_an_error(client, token, monkeypatch):
    def broken():
        raise DatabaseError("gone")

    monkeypatch.setattr(queries, "submissions", broken)
    samples = scrape(client)
    assert samples[("opensubsidie_metrics_database_up", ())] == 0
    assert ("opensubsidie_submissions_total", ()) not in samples


@pytest.mark.django_db
def test_with_gunicorn_workers_sharing_a_multiprocess_directory(client, token, tmp_path, monkeypatch, opening):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    submitted(opening, employer())
    assert scrape(client)[("opensubsidie_submissions_total", ())] == 1


@pytest.mark.django_db
def test_scraped_over_plain_http(client, token, settings):
    settings.SECURE_SSL_REDIRECT = True
    scrape(client)
