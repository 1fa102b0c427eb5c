"""Background work after a transition: letters and e-mails, the daily clocks.

Queued on commit, never before; idempotent, so a retry or a second run does
nothing twice. A submission never depends on the broker being up: when the
task cannot be queued it runs in-process instead.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)

# Which transitions announce themselves to the applicant by e-mail.
ANNOUNCED = {
    "submit": "Wij hebben uw aanvraag {reference} ontvangen.",
    "request_supplement": "Wij missen informatie bij uw aanvraag {reference}.",
    "approve_decision": "Er is een besluit over uw aanvraag {reference}.",
    "approve_settlement": "De subsidie voor {reference} is vastgesteld.",
    "declare_not_considered": "Uw aanvraag {reference} is buiten behandeling gesteld.",
    "decide_objection": "Er is een beslissing op uw bezwaar over {reference}.",
}


def dispatch_after_event(event_id: int) -> None:
    """Queue the side effects of an audit event; run them here if the broker is away."""
    try:
        after_event.delay(event_id)
    except Exception:  # the broker is down: do the work now rather than lose it
        logger.warning("broker unavailable, running after_event(%s) in-process", event_id, exc_info=True)
        after_event.apply(args=[event_id])


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def after_event(self, event_id: int) -> None:
    from .models import AuditEvent

    event = AuditEvent.objects.select_related("application__organisation").filter(pk=event_id).first()
    if event is None:
        return
    try:
        from . import letters

        letters.issue_for_event(event)
    except ImportError:
        pass
    except Exception as exc:  # a failed letter is retried; staff see it meanwhile
        logger.exception("letter for event %s failed", event_id)
        raise self.retry(exc=exc) from exc
    _announce(event)


def _announce(event) -> None:
    from .models import Notification

    text = ANNOUNCED.get(event.action)
    if not text:
        return
    application = event.application
    recipient = application.organisation.contact_email or (
        application.created_by.email if application.created_by_id else ""
    )
    if not recipient:
        return
    _notification, created = Notification.objects.get_or_create(event=event, defaults={"recipient": recipient})
    if not created:
        return  # sent already: a retry sends nothing twice
    send_mail(
        subject=f"Open Subsidie — {application.reference}",
        message=text.format(reference=application.reference)
        + "\n\nU vindt de details en eventuele brieven onder 'Mijn aanvragen'.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
        fail_silently=False,
    )


@shared_task
def run_clocks() -> dict:
    """The daily clock job (Celery beat)."""
    from . import clock_job

    return clock_job.run()


@shared_task
def ping(value: str) -> str:
    """A health check of the broker and the workers."""
    return value
