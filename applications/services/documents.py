"""Uploaded documents: the type judged on the content, never on the name.

A PDF, PNG or JPEG of at most 10 MB, stored with its SHA-256 so that a
reviewer can tell two uploads of the same file apart from two files. The size
the upload declares is checked before a byte is read, and the file is read in
chunks. A PDF is opened and refused when it would run something: JavaScript
anywhere, an action when it opens, a Launch action. The uploaded name is never
a file name here: the file is stored and served as ``bijlage-3.pdf`` (the kind,
the document's id and the extension its content proves); the name the applicant
gave is kept as text only, without control characters (a right-to-left override
makes ``invoice\u202efdp.exe`` look like ``invoiceexe.pdf``).
"""

from __future__ import annotations

import hashlib
import unicodedata

import pikepdf
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse
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
# The word a stored and served file is named by, per kind: bijlage-3.pdf.
FILE_WORDS = {
    Document.Kind.ATTACHMENT: "bijlage",
    Document.Kind.SUPPLEMENT: "aanvulling",
    Document.Kind.CERTIFICATE: "certificaat",
    Document.Kind.REPORT: "verslag",
    Document.Kind.ACCOUNTANT: "accountantsverklaring",
}
EXTENSIONS = {content_type: extension for _magic, content_type, extension in MAGIC}
# PDF actions that run something on the reader's machine.
RUNNING_ACTIONS = {"/JavaScript", "/Launch"}


def sniff(head: bytes) -> tuple[str, str] | None:
    """The content type and extension that the first bytes prove, or None."""
    for magic, content_type, extension in MAGIC:
        if head.startswith(magic):
            return content_type, extension
    return None


def clean_name(name: str | None) -> str:
    """The name an applicant gave a file, as plain text: no folders, no control or bidi characters.

    Kept to show, never to name a file with.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters (NUL, newlines); Cf: format characters, among them the bidi overrides and
    # isolates (U+202A-U+202E, U+2066-U+2069) and zero-width characters; Cs, Co, Cn: not text.
    text = "".join(" " if c in "\t\n\r" else c for c in text if unicodedata.category(c)[0] != "C" or c in "\t\n\r")
    return " ".join(text.split())[:255]


def file_name(document: Document) -> str:
    """The name a document is stored and served under: its kind, its id and the type its content proves."""
    word = FILE_WORDS.get(document.kind, "document")
    return f"{word}-{document.pk}{EXTENSIONS.get(document.content_type, '')}"


def download(document: Document) -> FileResponse:
    """The one way a document leaves: as an attachment under our name, its type not to be second-guessed."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=file_name(document),
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def validate_upload(upload) -> tuple[str, str]:
    """Refuse anything that is not a PDF, PNG or JPEG of at most 10 MB, or a PDF that runs something.

    Returns the content type and extension.
    """
    if upload is None:
        raise ValidationError(_("Kies een bestand."))
    name = clean_name(upload.name) or _("zonder naam")
    if upload.size == 0:
        raise ValidationError(_("Het bestand '%(name)s' is leeg.") % {"name": name})
    if upload.size > MAX_SIZE:  # the declared size: nothing has been read yet
        raise ValidationError(
            _("Het bestand '%(name)s' is %(size)s MB; het mag ten hoogste 10 MB zijn.")
            % {"name": name, "size": f"{upload.size / 1024 / 1024:.1f}".replace(".", ",")}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head)
    if found is None:
        raise ValidationError(
            _("Het bestand '%(name)s' is geen PDF, PNG of JPEG (wij kijken naar de inhoud, niet naar de naam).")
            % {"name": name}
        )
    if found[0] == "application/pdf":
        _refuse_active_pdf(upload, name)
    return found


def _refuse_active_pdf(upload, name: str) -> None:
    try:
        with pikepdf.open(upload) as pdf:
            found = active_content(pdf)
    except pikepdf.PasswordError:
        raise ValidationError(
            _("Het bestand '%(name)s' is met een wachtwoord beveiligd; upload het zonder wachtwoord.") % {"name": name}
        ) from None
    except (pikepdf.PdfError, ValueError, OSError, RecursionError):
        raise ValidationError(_("Het bestand '%(name)s' kan niet als PDF worden gelezen.") % {"name": name}) from None
    finally:
        upload.seek(0)
    if found:
        raise ValidationError(
            _(
                "Het bestand '%(name)s' is een PDF die bij het openen iets uitvoert (%(what)s). "
                'Druk het af als PDF ("Afdrukken naar PDF") en upload dat bestand.'
            )
            % {"name": name, "what": found}
        )


def active_content(pdf: pikepdf.Pdf) -> str | None:
    """What in this PDF would run on opening or on a click: JavaScript, an OpenAction, a Launch action."""
    root = pdf.Root
    open_action = root.get("/OpenAction")
    # An OpenAction that is a destination ([page /Fit]) only shows a page; one that is an action does something.
    if isinstance(open_action, pikepdf.Dictionary):
        return "OpenAction"
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        return "JavaScript"
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", None) or []:
            if isinstance(annotation, pikepdf.Dictionary):
                found = _running_action(annotation.get("/A"))
                if found:
                    return found
    # Actions hide in outlines, form fields and the additional actions of pages and fields: look at every
    # object, and into the dictionaries and arrays written inside it (a reference is an object of its own).
    for obj in pdf.objects:
        stack = [obj]
        while stack:
            item = stack.pop()
            if isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
                found = _running_action(item)
                if found:
                    return found
                children = item.values()
            elif isinstance(item, pikepdf.Array):
                children = list(item)
            else:
                continue
            stack.extend(c for c in children if isinstance(c, pikepdf.Object) and not c.is_indirect)
    return None


def _running_action(action) -> str | None:
    if not isinstance(action, pikepdf.Dictionary | pikepdf.Stream):
        return None
    if "/JS" in action:
        return "JavaScript"
    kind = action.get("/S")
    if isinstance(kind, pikepdf.Name) and str(kind) in RUNNING_ACTIONS:
        return str(kind).lstrip("/")
    return None


def may_upload(application: Application, user: User, kind: str) -> bool:
    return perms.acts_for_applicant(application, user) and kind in UPLOAD_STATES.get(application.state, set())


@transaction.atomic
def store(
    *,
    application: Application,
    user: User,
    upload,
    kind: str = Document.Kind.ATTACHMENT,
    unit: Unit | None = None,
    document_type: str = "",
) -> Document:
    """Validate and keep one upload in the application's file, under a name of our making.

    ``document_type``: which of the documents the scheme asks for this is (its code), or empty for another.
    """
    if not may_upload(application, user, kind):
        raise PermissionError(_("U kunt in deze fase van de aanvraag dit soort document niet toevoegen."))
    if unit is not None and unit.application_id != application.pk:
        raise PermissionError(_("Dit traject hoort niet bij deze aanvraag."))
    document_type = document_type or ""
    codes = {k.code for k in application.opening.published_rules.document_types}
    if document_type and document_type not in codes:
        raise ValidationError(
            _("Deze regeling vraagt geen document van de soort '%(type)s'.") % {"type": document_type}
        )
    content_type, _extension = validate_upload(upload)
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > MAX_SIZE:  # more than it declared: refused all the same
            raise ValidationError(_("Het bestand mag ten hoogste 10 MB zijn."))
    document = Document.objects.create(
        application=application,
        unit=unit,
        kind=kind,
        document_type=document_type,
        original_name=clean_name(upload.name) or FILE_WORDS.get(kind, "document"),
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    upload.seek(0)
    document.file.save(file_name(document), upload, save=False)  # the storage copies it in chunks
    document.save(update_fields=["file"])
    return document


def type_labels(application: Application) -> dict[str, str]:
    """The name of each document the scheme asks for, by its code."""
    return {k.code: k.label for k in application.opening.published_rules.document_types}


def with_type_labels(application: Application, documents) -> list[Document]:
    """The documents, each with ``type_label``: the scheme's name for it, or its kind."""
    labels = type_labels(application)
    out = list(documents)
    for document in out:
        document.type_label = labels.get(document.document_type) or document.get_kind_display()
    return out


@transaction.atomic
def remove(*, document: Document, user: User) -> None:
    """A draft's attachment may be taken away again; a submitted file stays in the record."""
    application = document.application
    if application.state != State.DRAFT or not perms.acts_for_applicant(application, user):
        raise PermissionError(_("Dit document kan niet meer worden verwijderd."))
    document.file.delete(save=False)
    document.delete()
