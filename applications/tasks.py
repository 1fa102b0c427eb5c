"""Background work (Celery): delivering what events owe, the outbox's sweep, the daily clocks.

Nothing here keeps the only copy of anything: what an event owes is an
``Outbox`` row written with the event, so a task is only a prompt to deliver it.
Publishing a prompt never makes a request wait on the broker: it fails fast,
is logged, and the sweep (every minute) delivers what the prompt would have.
Tasks keep no result; delivery is acknowledged late and requeued when its
worker dies, and idempotent, so a second run delivers nothing twice.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import clock_job, outbox
from .models import AuditEvent

logger = logging.getLogger(__name__)


def queue_side_effects(event: AuditEvent) -> None:
    """The audit trail's consumer (subscribed in ``AppConfig.ready``): prompt the delivery of what an event owes."""
    for key in getattr(event, "owed_keys", ()):
        prompt_delivery(key)


def prompt_delivery(key: str) -> bool:
    """Ask a worker to deliver an owed row now; with the broker away, leave it to the sweep."""
    try:
        deliver_owed.apply_async(args=[key], retry=False)
    except Exception:  # the broker is down or slow: the row is safe in the database, the sweep delivers it
        logger.warning("could not publish the delivery of %s; the outbox sweep will deliver it", key, exc_info=True)
        return False
    return True


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_owed(key: str) -> str | None:
    return outbox.deliver(key)


@shared_task(ignore_result=True)
def sweep_outbox() -> dict:
    """Every minute (Celery beat): deliver whatever is owed longer than a minute."""
    return outbox.sweep()


@shared_task(ignore_result=True)
def run_clocks() -> dict:
    """The daily clock job (Celery beat)."""
    return clock_job.run()


@shared_task(ignore_result=False)
def ping(value: str) -> str:
    """A health check of the broker and the workers (the only task whose result is kept)."""
    return value
