"""Background work (Celery): the side effects of an audit event, and the daily clocks.

Queued on commit, never before; idempotent, so a retry or a second run does
nothing twice. A submission never depends on the broker being up: when the
task cannot be queued it runs in-process instead.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import clock_job, letters
from .models import AuditEvent

logger = logging.getLogger(__name__)


def queue_side_effects(event: AuditEvent) -> None:
    """The audit trail's consumer (subscribed in ``AppConfig.ready``): queue what an event owes."""
    if letters.owes(event):
        dispatch_after_event(event.pk)


def dispatch_after_event(event_id: int) -> None:
    """Queue the side effects of an audit event; run them here if the broker is away."""
    try:
        after_event.delay(event_id)
    except Exception:  # the broker is down: do the work now rather than lose it
        logger.warning("broker unavailable, running after_event(%s) in-process", event_id, exc_info=True)
        after_event.apply(args=[event_id])


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def after_event(self, event_id: int) -> None:
    event = AuditEvent.objects.select_related("application__organisation").filter(pk=event_id).first()
    if event is None:
        return
    try:
        letters.after_event(event)
    except Exception as exc:  # a failed letter is retried; staff see it meanwhile
        logger.exception("letter for event %s failed", event_id)
        raise self.retry(exc=exc) from exc


@shared_task
def run_clocks() -> dict:
    """The daily clock job (Celery beat)."""
    return clock_job.run()


@shared_task
def ping(value: str) -> str:
    """A health check of the broker and the workers."""
    return value
