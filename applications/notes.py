"""Internal notes in a file: for staff only, never shown to the applicant."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions as perms
from .models import Application, InternalNote, User
from .services import Forbidden, Invalid


@transaction.atomic
def add_internal_note(*, application: Application, user: User, text: str) -> InternalNote:
    if not perms.reviews(application, user):
        raise Forbidden(_("Alleen behandelaars van deze regeling kunnen notities maken."))
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Schrijf een notitie."), {"text": [_("Dit veld is verplicht.")]})
    return InternalNote.objects.create(
        application=application, author=user, text=text[:5000], created_at=timezone.now()
    )
