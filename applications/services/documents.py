"""Uploaded documents: the type judged on the content, never on the name.

A PDF, PNG or JPEG of at most 10 MB, stored with its SHA-256 so that a
reviewer can tell two uploads of the same file apart from two files.
"""

from __future__ import annotations

import hashlib
import os
import re

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from .. import permissions as perms
from ..models import Application, Document, Unit, User
from ..states import State

MAX_SIZE = 10 * 1024 * 1024
MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
# Which kinds of document the applicant may add in which state.
UPLOAD_STATES = {
    State.DRAFT: {Document.Kind.ATTACHMENT},
    State.SUPPLEMENT_REQUESTED: {Document.Kind.SUPPLEMENT, Document.Kind.ATTACHMENT},
    State.GRANTED: {Document.Kind.CERTIFICATE, Document.Kind.REPORT, Document.Kind.ACCOUNTANT},
}


def sniff(head: bytes) -> tuple[str, str] | None:
    """The content type and extension that the first bytes prove, or None."""
    for magic, content_type, extension in MAGIC:
        if head.startswith(magic):
            return content_type, extension
    return None


def validate_upload(upload) -> tuple[str, str]:
    """Refuse anything that is not a PDF, PNG or JPEG of at most 10 MB; return type and extension."""
    if upload is None:
        raise ValidationError(_("Kies een bestand."))
    if upload.size == 0:
        raise ValidationError(_("Het bestand '%(name)s' is leeg.") % {"name": upload.name})
    if upload.size > MAX_SIZE:
        raise ValidationError(
            _("Het bestand '%(name)s' is %(size)s MB; het mag ten hoogste 10 MB zijn.")
            % {"name": upload.name, "size": f"{upload.size / 1024 / 1024:.1f}".replace(".", ",")}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head)
    if found is None:
        raise ValidationError(
            _("Het bestand '%(name)s' is geen PDF, PNG of JPEG (wij kijken naar de inhoud, niet naar de naam).")
            % {"name": upload.name}
        )
    return found


def safe_name(name: str, extension: str) -> str:
    stem = os.path.splitext(os.path.basename(name or ""))[0]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:80] or "document"
    return f"{stem}{extension}"


def may_upload(application: Application, user: User, kind: str) -> bool:
    return perms.acts_for_applicant(application, user) and kind in UPLOAD_STATES.get(application.state, set())


@transaction.atomic
def store(
    *, application: Application, user: User, upload, kind: str = Document.Kind.ATTACHMENT, unit: Unit | None = None
) -> Document:
    """Validate and keep one upload in the application's file."""
    if not may_upload(application, user, kind):
        raise PermissionError(_("U kunt in deze fase van de aanvraag dit soort document niet toevoegen."))
    if unit is not None and unit.application_id != application.pk:
        raise PermissionError(_("Dit traject hoort niet bij deze aanvraag."))
    content_type, extension = validate_upload(upload)
    digest = hashlib.sha256()
    chunks = []
    for chunk in upload.chunks():
        digest.update(chunk)
        chunks.append(chunk)
    data = b"".join(chunks)
    document = Document(
        application=application,
        unit=unit,
        kind=kind,
        original_name=os.path.basename(upload.name or "")[:255],
        content_type=content_type,
        size=len(data),
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    document.file.save(f"{digest.hexdigest()[:12]}-{safe_name(upload.name, extension)}", ContentFile(data), save=False)
    document.save()
    return document


@transaction.atomic
def remove(*, document: Document, user: User) -> None:
    """A draft's attachment may be taken away again; a submitted file stays in the record."""
    application = document.application
    if application.state != State.DRAFT or not perms.acts_for_applicant(application, user):
        raise PermissionError(_("Dit document kan niet meer worden verwijderd."))
    document.file.delete(save=False)
    document.delete()
