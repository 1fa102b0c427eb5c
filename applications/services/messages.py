"""Messages between staff and the applicant on one application: a thread in the file, not in someone's mailbox.

Staff of the scheme write from the case screen, after declaring no conflict of interest with the applicant
(the rule of every staff act, ``workflow.REVIEWER``); the applicant — its own employer, or an intermediary
with a mandate — reads and answers in the portal. Every message is an audit event with its text, written in
the same transaction, and owes an e-mail to the other side that links to the thread without its text
(``workflow`` declares it; ``letters.messages`` sends it).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, workflow
from .. import permissions as perms
from ..errors import Conflict, Forbidden, Invalid
from ..models import Application, Message, User
from ..states import State
from . import inputs

MAX_LENGTH = 5000


def can_read(application: Application, user: User) -> bool:
    """The applicant's side of this application, and the case workers of its scheme."""
    return perms.can_view(application, user)


def thread(application: Application, user: User) -> QuerySet[Message]:
    """The messages of one application, oldest first, for whoever may read them."""
    if not can_read(application, user):
        raise Forbidden(_("U mag de berichten bij deze aanvraag niet lezen."))
    return Message.objects.filter(application=application).select_related("author").order_by("sent_at", "id")


def may_write(application: Application, user: User) -> bool:
    """Whether this user may write in the thread now (the screens offer the form only then)."""
    try:
        _direction(application, user)
    except (Forbidden, Conflict):
        return False
    return True


def _direction(application: Application, user: User) -> str:
    if application.state == State.DRAFT:
        raise Conflict(_("Bij een concept horen nog geen berichten: dien de aanvraag eerst in."))
    if user.is_authenticated and user.is_applicant_side:
        if not perms.acts_for_applicant(application, user):
            raise Forbidden(_("U mag niet namens deze organisatie handelen."))
        return Message.Direction.FROM_APPLICANT
    if not perms.reviews(application, user):
        raise Forbidden(_("Alleen de aanvrager en de behandelaars van deze regeling schrijven bij deze aanvraag."))
    if not workflow.REVIEWER(application, user):
        raise Forbidden(workflow.REVIEWER.refuse(application, user))
    return Message.Direction.TO_APPLICANT


@transaction.atomic
def post_message(*, application: Application, user: User, text: str) -> Message:
    """One message in the thread, in the audit trail with its text, and the e-mail that announces it owed."""
    direction = _direction(application, user)
    text = inputs.text({"text": text}, "text", max_length=MAX_LENGTH)
    if not text:
        raise Invalid(_("Schrijf een bericht."), {"text": [_("Dit veld is verplicht.")]})
    application = Application.objects.select_for_update().get(pk=application.pk)
    message = Message.objects.create(
        application=application, author=user, direction=direction, text=text, sent_at=timezone.now()
    )
    action = "message_to_applicant" if direction == Message.Direction.TO_APPLICANT else "message_from_applicant"
    audit.record(application, user, action, reason=text, data={"message": message.pk}, at=message.sent_at)
    return message
