"""The e-mail that announces a message of the thread on an application: a link to it, never its text.

A message may say anything about a person, and e-mail is not a safe place for that: the e-mail says that
there is a message and where to read it, after signing in. A message to the applicant goes to the
organisation's contact (as letters do); a message from the applicant to the case's reviewer, else to the
staff who wrote in the thread last. Sent once per event (``Notification``), however often the outbox tries.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import workflow
from ..models import Application, AuditEvent, Message, Notification
from .issuing import recipient_for


def staff_recipient(application: Application) -> str:
    """The case's reviewer; without one, whoever of staff wrote in the thread last."""
    if application.assigned_to_id and application.assigned_to.is_active and application.assigned_to.email:
        return application.assigned_to.email
    last = (
        Message.objects.filter(application=application, direction=Message.Direction.TO_APPLICANT)
        .select_related("author")
        .order_by("-sent_at", "-id")
        .first()
    )
    return last.author.email if last is not None and last.author.is_active else ""


def thread_url(application: Application, side: str) -> str:
    name = "portal:detail" if side == "applicant" else "review:case"
    return f"{settings.SITE_URL}{reverse(name, args=[application.reference])}#berichten"


def announce_message(event: AuditEvent) -> bool:
    """One e-mail for one message's event, to the other side of the thread; False when there is no one to tell."""
    side = workflow.BY_NAME[event.action].message
    if not side:
        return False
    application = event.application
    recipient = recipient_for(application) if side == "applicant" else staff_recipient(application)
    if not recipient:
        return False
    _notification, created = Notification.objects.get_or_create(event=event, defaults={"recipient": recipient})
    if not created:
        return False  # sent already: a retry sends nothing twice
    if side == "applicant":
        text = _(
            "Er staat een nieuw bericht voor u klaar over uw aanvraag %(reference)s.\n\n"
            "Lees het na inloggen onder 'Mijn aanvragen': %(url)s\n\n"
            "Om uw gegevens te beschermen staat het bericht niet in deze e-mail. U kunt in Open Subsidie antwoorden."
        )
    else:
        text = _(
            "De aanvrager heeft een bericht gestuurd over aanvraag %(reference)s.\n\n"
            "Lees het na inloggen op het dossier: %(url)s"
        )
    send_mail(
        subject=_("Nieuw bericht over aanvraag %(reference)s") % {"reference": application.reference},
        message=text % {"reference": application.reference, "url": thread_url(application, side)},
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
        fail_silently=False,
    )
    return True
