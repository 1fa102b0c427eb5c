"""Personal data kept no longer than needed: after a scheme's retention term, a closed file is anonymised.

The term (``Scheme.retention_years``, seven years unless the scheme says
otherwise) runs from the vaststelling, or from the decision that ended the
application (rejection, not considered, revocation) or its withdrawal. Only a
file with nothing left to do — no payment due, no objection pending — is
anonymised, by ``manage.py apply_retention`` (and the daily clocks):

- the participants become "deelnemer 1", "deelnemer 2", …; the answers and the
  settlement report are emptied;
- the documents' and letters' files are deleted, their rows say so;
- the applicant's words (supplement answers, objection grounds) and the staff's
  notes are removed;
- the organisation's contact person is removed when it has no other live file;
- the audit trail keeps a pseudonymous record: what happened, when and by which
  role, without names or free text (``audit.pseudonymise``).

What remains is enough for the figures and for an auditor: amounts, dates,
states, decisions, the ledger.
"""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import audit, clocks
from .models import (
    Application,
    Document,
    InternalNote,
    Letter,
    Message,
    Objection,
    Organisation,
    Payment,
    SupplementRequest,
)
from .states import State

FINISHED_STATES = (
    State.SETTLED,
    State.CLOSED,
    State.REJECTED,
    State.NOT_CONSIDERED,
    State.WITHDRAWN,
    State.REVOKED,
)
REMOVED = "[verwijderd]"


def ended_on(application: Application) -> datetime.date | None:
    """The day the retention term starts: the vaststelling, else the decision that ended it, else its withdrawal."""
    moment = application.settled_at or application.decided_at
    if moment is None and application.state == State.WITHDRAWN:
        moment = application.updated_at
    return clocks.local_date(moment) if moment else None


def due(today: datetime.date):
    """Finished files not yet anonymised, with nothing left to do; filtered on their term in ``expired``."""
    pending = Objection.objects.filter(application=OuterRef("pk"), outcome=Objection.Outcome.PENDING)
    owed = Payment.objects.filter(application=OuterRef("pk"), status=Payment.Status.DUE)
    return (
        Application.objects.filter(state__in=FINISHED_STATES, anonymised_at__isnull=True)
        .exclude(Exists(pending))
        .exclude(Exists(owed))
        .select_related("opening__scheme", "organisation")
    )


def expired(today: datetime.date) -> list[Application]:
    found = []
    for application in due(today).iterator(chunk_size=500):
        start = ended_on(application)
        years = application.opening.scheme.retention_years
        if start is not None and start + relativedelta(years=years) <= today:
            found.append(application)
    return found


@transaction.atomic
def anonymise(application: Application, *, now: datetime.datetime | None = None) -> None:
    """Remove what is personal from one finished file; keep what happened."""
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    for number, unit in enumerate(application.units.order_by("position", "id"), start=1):
        unit.participant = f"deelnemer {number}"
        unit.save(update_fields=["participant"])
    for document in Document.objects.filter(application=application):
        document.file.delete(save=False)
        Document.objects.filter(pk=document.pk).update(file="", original_name=REMOVED)
    for letter in Letter.objects.filter(application=application):
        letter.file.delete(save=False)
        Letter.objects.filter(pk=letter.pk).update(file="")
    SupplementRequest.objects.filter(application=application).exclude(answer="").update(answer=REMOVED)
    Objection.objects.filter(application=application).update(reason=REMOVED, note=REMOVED)
    InternalNote.objects.filter(application=application).update(text=REMOVED)
    Message.objects.filter(application=application).update(text=REMOVED)
    Application.objects.filter(pk=application.pk).update(answers={}, settlement_report="", anonymised_at=now)
    audit.pseudonymise(application)
    _forget_contact(application.organisation_id)


def _forget_contact(organisation_id: int) -> None:
    """The contact person goes once none of the organisation's files is still live."""
    live = Application.objects.filter(organisation_id=organisation_id, anonymised_at__isnull=True)
    if not live.exists():
        Organisation.objects.filter(pk=organisation_id).update(contact_name="", contact_email="", contact_phone="")


def apply(today: datetime.date | None = None) -> list[str]:
    """Anonymise every file whose term has passed; the references of those done."""
    today = today or clocks.local_date()
    done = []
    for application in expired(today):
        anonymise(application)
        done.append(application.reference)
    return done
