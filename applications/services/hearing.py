"""The hearing before a negative decision (voornemen en zienswijze, Awb 4:7, 4:8, 4:12).

Before rejecting, settling lower than granted or revoking, a reviewer may send
the applicant a letter of intent; the applicant's reply (zienswijze) is recorded
in the file. Neither changes the state: both are audit events, and the intent is
a letter (``workflow`` declares that ``send_intent`` owes a letter of kind ``intent``).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, clocks, workflow
from .. import permissions as perms
from ..errors import Forbidden, Invalid
from ..models import Application, AuditEvent, User
from ..reasons import REASON_CODES

PROPOSED = ("rejection", "revocation", "lower_settlement")
DEFAULT_REPLY_DAYS = 14


@transaction.atomic
def send_intent(
    application: Application,
    user: User,
    reason: str,
    *,
    proposed: str = "rejection",
    reason_code: str = "",
    amount=None,
    reply_days: int = DEFAULT_REPLY_DAYS,
) -> AuditEvent:
    """Tell the applicant what negative decision we intend and why, with a term to reply."""
    if not perms.reviews(application, user):
        raise Forbidden(_("Alleen een behandelaar van deze regeling kan een voornemen sturen."))
    if not workflow.REVIEWER(application, user):
        raise Forbidden(workflow.REVIEWER.refuse(application, user))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Schrijf op waarom u dit besluit van plan bent."), {"reason": [_("Dit veld is verplicht.")]})
    if proposed not in PROPOSED:
        raise Invalid(_("Kies afwijzing, intrekking of lagere vaststelling."), {"proposed": [_("Ongeldige keuze.")]})
    if reason_code and reason_code not in REASON_CODES:
        raise Invalid(_("Kies een geldige reden van afwijzing."), {"reason_code": [_("Ongeldige reden.")]})
    try:
        reply_days = int(reply_days)
    except (TypeError, ValueError):
        raise Invalid(_("De termijn moet een aantal dagen zijn."), {"reply_days": [_("Geef een aantal dagen.")]})
    if not 1 <= reply_days <= 60:
        raise Invalid(_("De termijn voor een zienswijze is 1 tot 60 dagen."), {"reply_days": [_("1 tot 60 dagen.")]})
    application = Application.objects.select_for_update().get(pk=application.pk)
    reply_due = clocks.next_working_day(clocks.local_date() + datetime.timedelta(days=reply_days))
    return audit.record(
        application,
        user,
        "send_intent",
        reason=reason,
        data={
            "proposed": proposed,
            "reason": reason,
            "reason_code": reason_code,
            "amount": amount,
            "reply_due": reply_due,
        },
    )


@transaction.atomic
def record_intent_reply(application: Application, user: User, reply: str) -> AuditEvent:
    """The applicant's zienswijze, given in the portal or recorded by the reviewer who received it."""
    if not (perms.acts_for_applicant(application, user) or perms.reviews(application, user)):
        raise Forbidden(_("U mag voor deze aanvraag geen zienswijze vastleggen."))
    if perms.reviews(application, user) and not workflow.REVIEWER(application, user):
        raise Forbidden(workflow.REVIEWER.refuse(application, user))
    reply = (reply or "").strip()
    if not reply:
        raise Invalid(_("Schrijf de zienswijze op."), {"reply": [_("Dit veld is verplicht.")]})
    intent = last_intent(application)
    if intent is None:
        raise Invalid(_("Er is geen voornemen verstuurd waarop een zienswijze kan worden gegeven."))
    return audit.record(application, user, "intent_reply", reason=reply, data={"intent_event": intent.pk})


def last_intent(application: Application) -> AuditEvent | None:
    return application.events.filter(action="send_intent").order_by("-at", "-id").first()
