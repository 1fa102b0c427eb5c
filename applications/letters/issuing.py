"""Delivering what an event owes, once: its letter (rendered and announced), or its e-mail.

The outbox (``applications.outbox``) calls these for each owed row. A letter is
exactly one ``Letter`` row, found by its ``key`` (``grant:decision:12``): a
retry after a failure renders that same row again, never a second letter, and
its announcement is sent once (``emailed_at``, set under the row's lock). The
e-mail that announces a letter stands in for the event's own announcement; an
event that owes an e-mail but no letter gets that e-mail, once (``Notification``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import workflow
from ..models import Application, AuditEvent, Letter, Notification
from ..workflow import LetterKind as Kind
from .rendering import render

logger = logging.getLogger(__name__)


def issue_for_event(event: AuditEvent) -> Letter | None:
    """The letter ``workflow`` says this event owes, rendered and announced: once, whatever the number of calls."""
    spec = workflow.letter_for(event)
    return None if spec is None else issue(event, spec)


def issue(event: AuditEvent, spec: workflow.LetterSpec) -> Letter:
    """The letter of ``spec`` for ``event``, rendered and announced: once, whatever the number of calls."""
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
        + "\n\n"
        + _("U vindt de details en eventuele brieven onder 'Mijn aanvragen' (na inloggen):\n%(link)s")
        % {"link": link(reverse("portal:detail", args=[application.reference]))},
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
        fail_silently=False,
    )
    return True


def link(path: str) -> str:
    """A page of the portal as a link in an e-mail: the site's address (``SITE_URL``) and the path."""
    return f"{settings.SITE_URL}{path}"


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
                "Lees de brief in Open Subsidie, onder 'Mijn aanvragen' (na inloggen):\n%(link)s\n\n"
                "De brief zit niet als bijlage bij deze e-mail: zo blijven uw gegevens in Open Subsidie. "
                "Deze e-mail is automatisch verstuurd."
            )
            % {
                "kind": Kind(letter.kind).label,
                "reference": app.reference,
                "link": link(reverse("portal:letter", args=[app.reference, letter.pk])),
            },
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
