"""Health probes (django-health-check), answered in JSON, without login and without personal data.

Three questions, three URLs (``ops.urls``):

- live: does the process answer? No dependencies at all: an orchestrator restarts
  a process that fails it.
- ready: can this app server serve requests? The database and the media volume
  (writable, not full). A load balancer sends traffic only to app servers that are ready.
- health: is the whole service well? Everything ``ready`` checks, plus Redis (when
  ``REDIS_URL`` is set) and the outbox: the oldest letter or e-mail still owed is
  not older than ``HEALTH_OUTBOX_MAX_AGE_MINUTES``. For monitoring and alerts.

Redis and the outbox are kept out of ``ready`` on purpose: a submission never
depends on Redis, and owed letters wait safely in PostgreSQL, so a stopped
broker or a worker that fell behind must raise an alert, not take every app
server out of the load balancer.

Each answer is ``{"status": "ok" | "unavailable", "checks": {name: {"status", "detail", "seconds"}}}``
with 200 or 503.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import shutil
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from health_check import Database, Storage
from health_check.base import HealthCheck
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from . import queries


@dataclasses.dataclass
class OutboxBacklog(HealthCheck):
    """The oldest owed letter or e-mail has not waited longer than ``max_age``."""

    max_age: datetime.timedelta = dataclasses.field(
        default_factory=lambda: datetime.timedelta(minutes=settings.HEALTH_OUTBOX_MAX_AGE_MINUTES)
    )

    async def run(self) -> None:
        # In the request's own thread and database connection, as every ORM read of a request.
        try:
            age = await sync_to_async(queries.oldest_owed_age, thread_sensitive=True)()
        except DatabaseError as exc:
            raise ServiceUnavailable("the outbox could not be read") from exc
        if age > self.max_age:
            raise ServiceUnavailable(
                f"the oldest owed letter or e-mail has waited {int(age.total_seconds())} s, "
                f"more than {int(self.max_age.total_seconds())} s"
            )


@dataclasses.dataclass
class DiskSpace(HealthCheck):
    """The disk that holds ``MEDIA_ROOT`` (documents, letters, reports) is not fuller than ``max_used_percent``."""

    path: Path = dataclasses.field(default_factory=lambda: Path(settings.MEDIA_ROOT), repr=False)
    max_used_percent: float = dataclasses.field(default_factory=lambda: settings.HEALTH_DISK_MAX_USED_PERCENT)

    def run(self) -> None:
        path = self.path
        while not path.exists() and path != path.parent:  # MEDIA_ROOT is made on the first upload
            path = path.parent
        try:
            usage = shutil.disk_usage(path)
        except OSError as exc:
            raise ServiceUnavailable("the media disk could not be read") from exc
        used = 100 * (usage.total - usage.free) / usage.total if usage.total else 100.0
        if used > self.max_used_percent:
            raise ServiceUnavailable(f"the media disk is {used:.0f}% full, more than {self.max_used_percent:g}%")


def _redis_client() -> RedisClient:
    return RedisClient.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def ready_checks() -> list[tuple[str, HealthCheck]]:
    return [
        ("database", Database()),
        ("media", Storage()),
        ("disk", DiskSpace()),
    ]


def health_checks() -> list[tuple[str, HealthCheck]]:
    checks = ready_checks()
    if settings.REDIS_URL:  # the embedded default has no Redis, and needs none
        checks.append(("redis", Redis(client_factory=_redis_client)))
    checks.append(("outbox", OutboxBacklog()))
    return checks


class Probe(HealthCheckView):
    """django-health-check's view, answering JSON only, with 503 when a check fails."""

    def named_checks(self) -> list[tuple[str, HealthCheck]]:
        return []

    def get_checks(self):
        for _name, check in self.named_checks():
            yield check

    async def get(self, request, *args, **kwargs):
        named = self.named_checks()
        results = await asyncio.gather(*(check.get_result() for _name, check in named))
        checks = {
            name: {
                "status": "unavailable" if result.error else "ok",
                "detail": str(result.error) if result.error else "",
                "seconds": round(result.time_taken, 4),
            }
            for (name, _check), result in zip(named, results, strict=True)
        }
        ok = not any(result.error for result in results)
        return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


class Live(Probe):
    """The process answers: nothing else is asked."""


class Ready(Probe):
    def named_checks(self):
        return ready_checks()


class Health(Probe):
    def named_checks(self):
        return health_checks()
