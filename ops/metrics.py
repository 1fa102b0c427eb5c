"""Prometheus metrics at ``/metrics``, for a scraper that presents ``METRICS_TOKEN``.

Two parts. django-prometheus's middleware counts requests, responses and
latencies per view in this process (with ``PROMETHEUS_MULTIPROC_DIR`` set, for
all gunicorn workers together). Our own figures are computed from the database
at scrape time (``queries``), so they are the same whichever app server is
scraped: the letters and e-mails owed and failed, the age of the oldest owed
one, submissions, decisions, and applications past their decision date.

Without ``METRICS_TOKEN`` the endpoint does not exist (404); without the
``Authorization: Bearer …`` header it answers 401, with a wrong token 403.
"""

from __future__ import annotations

import hmac
import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from . import queries

logger = logging.getLogger(__name__)

PREFIX = "opensubsidie"


class DatabaseFigures:
    """A Prometheus collector: the service's figures, read from the database when scraped."""

    def describe(self):
        # Names only: registering the collector must not query the database.
        return self._families()

    def collect(self):
        families = self._families()
        (owed, oldest, failed, submitted, decided, overdue, up) = families
        try:
            for kind, n in queries.outbox_by_kind("owed").items():
                owed.add_metric([kind], n)
            oldest.add_metric([], queries.oldest_owed_age().total_seconds())
            for kind, n in queries.outbox_by_kind("failed").items():
                failed.add_metric([kind], n)
            submitted.add_metric([], queries.submissions())
            for action, n in queries.decisions().items():
                decided.add_metric([action], n)
            overdue.add_metric([], queries.past_decision_date())
        except DatabaseError:
            logger.exception("the metrics could not be read from the database")
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return families

    @staticmethod
    def _families():
        return [
            GaugeMetricFamily(
                f"{PREFIX}_outbox_owed",
                "Letters and e-mails owed (outbox rows with status owed), by kind.",
                labels=["kind"],
            ),
            GaugeMetricFamily(
                f"{PREFIX}_outbox_oldest_owed_age_seconds",
                "Age in seconds of the oldest owed outbox row (0 when nothing is owed).",
            ),
            GaugeMetricFamily(
                f"{PREFIX}_outbox_failed",
                "Outbox rows that failed after every attempt and wait for an administrator, by kind.",
                labels=["kind"],
            ),
            CounterMetricFamily(f"{PREFIX}_submissions", "Applications submitted (submitted_at set)."),
            CounterMetricFamily(
                f"{PREFIX}_decisions",
                "Decisions and settlements approved by a second reviewer, by action.",
                labels=["action"],
            ),
            GaugeMetricFamily(
                f"{PREFIX}_applications_past_decision_date",
                "Applications waiting for us whose decision date has passed.",
            ),
            GaugeMetricFamily(
                f"{PREFIX}_metrics_database_up",
                "1 when the figures above could be read from the database, else 0.",
            ),
        ]


FIGURES = CollectorRegistry()
FIGURES.register(DatabaseFigures())


def exposition() -> bytes:
    """This process's (or, in multiprocess mode, every worker's) metrics, and the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    return generate_latest(processes) + generate_latest(FIGURES)


def _authorised(request) -> int:
    """200 when the request carries the token, else the status to answer."""
    token = settings.METRICS_TOKEN
    if not token:
        return 404
    scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return 401
    if not hmac.compare_digest(presented.strip().encode(), token.encode()):
        return 403
    return 200


@require_safe
@never_cache
def metrics_view(request):
    status = _authorised(request)
    if status != 200:
        response = HttpResponse(status=status, content_type="text/plain; charset=utf-8")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
