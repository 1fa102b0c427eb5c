"""Which event gets which letter and e-mail, and delivering them once.

``after_event`` is handed each audit event that owes something (``workflow``
declares what), after the commit. An event that calls for a letter gets exactly
one ``Letter`` row, found by its ``key`` (``grant:decision:12``): a retry after
a failure renders that same row again, never a second letter. The e-mail that
announces a letter stands in for the event's own announcement; an event that
owes an e-mail but no letter gets that e-mail, once (``Notification``).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import workflow
from ..models import Application, AuditEvent, Letter, Notification
from ..workflow import LetterKind as Kind
from .rendering import render

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def owes(event: AuditEvent) -> bool:
    declared = workflow.BY_NAME.get(event.action)
    return declared is not None and bool(declared.letter or declared.email)


def after_event(event: AuditEvent) -> Letter | None:
    """Everything an event owes the applicant: its letter (rendered and announced), or its e-mail."""
    letter = issue_for_event(event)
    if letter is None:
        announce_event(event)
    return letter


def issue_for_event(event: AuditEvent) -> Letter | None:
    """The letter for this event, rendered and announced: once, whatever the number of calls."""
    spec = workflow.letter_for(event)
    if spec is None:
        return None
    letter, _created = Letter.objects.get_or_create(
        key=spec.key,
        defaults={
            "application_id": event.application_id,
            "decision_id": spec.decision_id,
            "event": event,
            "kind": spec.kind,
            "created_at": event.at,
        },
    )
    if letter.status != Letter.Status.RENDERED:
        render(letter)  # raises on failure: the task retries, staff see the error meanwhile
    announce(letter)
    return letter


def announce_event(event: AuditEvent) -> bool:
    """The e-mail an event without a letter owes (``workflow``), sent once per event."""
    text = workflow.email_for(event.action)
    if not text:
        return False
    application = event.application
    recipient = recipient_for(application)
    if not recipient:
        return False
    _notification, created = Notification.objects.get_or_create(event=event, defaults={"recipient": recipient})
    if not created:
        return False  # sent already: a retry sends nothing twice
    send_mail(
        subject=f"Open Subsidie — {application.reference}",
        message=text.format(reference=application.reference)
        + "\n\nU vindt de details en eventuele brieven onder 'Mijn aanvragen'.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
        fail_silently=False,
    )
    return True


def recipient_for(application: Application) -> str:
    return application.organisation.contact_email or (application.created_by.email if application.created_by_id else "")


def announce(letter: Letter) -> bool:
    """One e-mail per letter (emailed_at); it stands in for the event's own announcement.

    Sent while the letter row is locked and marked in the same transaction: a
    failed send leaves it unmarked for the retry, a second worker waits and sends nothing.
    """
    with transaction.atomic():
        letter = (
            Letter.objects.select_for_update()
            .select_related("application__organisation", "application__created_by")
            .get(pk=letter.pk)
        )
        if letter.emailed_at is not None or letter.status != Letter.Status.RENDERED:
            return False
        app = letter.application
        recipient = recipient_for(app)
        letter.emailed_at = timezone.now()
        letter.save(update_fields=["emailed_at"])
        if letter.event_id and recipient:
            Notification.objects.get_or_create(event_id=letter.event_id, defaults={"recipient": recipient})
        if not recipient:
            return False
        send_mail(
            subject=_("Nieuwe brief over uw aanvraag %(reference)s") % {"reference": app.reference},
            message=_(
                "Er staat een nieuwe brief voor u klaar: %(kind)s over uw aanvraag %(reference)s.\n\n"
                "U vindt de brief onder 'Mijn aanvragen' in Open Subsidie. Deze e-mail is automatisch verstuurd."
            )
            % {"kind": Kind(letter.kind).label, "reference": app.reference},
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[recipient],
            fail_silently=False,
        )
    return True


def retry(letter: Letter) -> Letter:
    """Render a failed (or stuck) letter again, and announce it once it is there."""
    if letter.status == Letter.Status.RENDERED:
        announce(letter)
        return letter
    Letter.objects.filter(pk=letter.pk).update(status=Letter.Status.PENDING)
    rendered = render(letter)
    announce(rendered)
    return rendered


def retry_failed(*, older_than: datetime.timedelta = datetime.timedelta(minutes=30)) -> dict:
    """For the clocks: failed letters, and pending ones a lost task left behind."""
    cutoff = timezone.now() - older_than
    counts = {"retried": 0, "failed": 0}
    stuck = Letter.objects.filter(status=Letter.Status.FAILED, attempts__lt=MAX_ATTEMPTS) | Letter.objects.filter(
        status=Letter.Status.PENDING, created_at__lt=cutoff
    )
    for letter in stuck.order_by("id")[:500]:
        try:
            retry(letter)
            counts["retried"] += 1
        except Exception:
            logger.exception("letter %s failed again", letter.pk)
            counts["failed"] += 1
    return counts
