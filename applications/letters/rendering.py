"""Rendering a letter: the administrators' template text in a sandbox, the PDF by WeasyPrint, once per letter.

The text comes from the scheme's ``LetterTemplate`` or the default one, which is
seeded from the files in ``templates/letters/`` the first time it is needed;
functional administrators edit them in the admin. The PDF is PDF/UA (tagged,
with a language and a title), rendered by WeasyPrint with a fetcher that reads
local files only, so a template can never make the server fetch a URL.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from ..models import Letter, LetterTemplate
from ..workflow import LetterKind as Kind
from .context import context_for

logger = logging.getLogger(__name__)

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "letters"

DEFAULT_SUBJECTS = {
    Kind.RECEIPT: "Ontvangstbevestiging van uw aanvraag {{ reference }}",
    Kind.SUPPLEMENT_REQUEST: "Verzoek om aanvulling van uw aanvraag {{ reference }}",
    Kind.GRANT: "Verlening subsidie {{ scheme_name }}",
    Kind.REJECTION: "Afwijzing van uw aanvraag {{ reference }}",
    Kind.NOT_CONSIDERED: "Buitenbehandelingstelling van uw aanvraag {{ reference }}",
    Kind.INTENT: "Voornemen tot {{ intent_label }} van uw aanvraag {{ reference }}",
    Kind.SETTLEMENT: "Vaststelling subsidie {{ scheme_name }}",
    Kind.REVOCATION: "Intrekking van de subsidieverlening {{ reference }}",
    Kind.OBJECTION_DECISION: "Beslissing op uw bezwaar over {{ reference }}",
}


def default_body(kind: str) -> str:
    return (TEMPLATE_DIR / f"{kind}.html").read_text(encoding="utf-8")


def template_for(kind: str, scheme) -> LetterTemplate:
    """The scheme's own text, else the default; the default is seeded from its file once."""
    own = LetterTemplate.objects.filter(kind=kind, scheme=scheme).first()
    if own is not None:
        return own
    default = LetterTemplate.objects.filter(kind=kind, scheme__isnull=True).first()
    if default is None:
        default, _created = LetterTemplate.objects.get_or_create(
            kind=kind,
            scheme=None,
            defaults={"subject": DEFAULT_SUBJECTS[kind], "body": default_body(kind)},
        )
    return default


def seed_default_templates() -> int:
    """Create the default rows from the files, for those kinds that have none yet."""
    created = 0
    for kind in Kind.values:
        _row, made = LetterTemplate.objects.get_or_create(
            kind=kind, scheme=None, defaults={"subject": DEFAULT_SUBJECTS[kind], "body": default_body(kind)}
        )
        created += made
    return created


def _check_local(url: str) -> None:
    if not url.startswith("file://"):
        raise ValueError(f"refused to fetch {url!r}: letters use local files only")
    path = Path(url[len("file://") :].split("?")[0]).resolve()
    if TEMPLATE_DIR.resolve() not in path.parents:
        raise ValueError(f"refused to fetch {url!r}: outside the letter templates")


def local_url_fetcher():
    """A fetcher for files under the letters' template folder only: a letter never fetches from the network."""
    # weasyprint takes 0,6 s and loads Pango and its fonts: only a process that renders a letter pays for it
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            _check_local(url)
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols=["file"])


def render_html(letter: Letter) -> tuple[str, str]:
    """The letter as HTML, and its subject."""
    ctx = context_for(letter)
    app = letter.application
    template = template_for(letter.kind, app.opening.scheme)
    with override("nl"):
        subject = Template(template.subject).render(Context(ctx)).strip()
        body = Template(template.body).render(Context(ctx))
        css = (TEMPLATE_DIR / "letter.css").read_text(encoding="utf-8")
        html = render_to_string(
            "letters/letter.html",
            {**ctx, "subject": subject, "body": body, "css": css, "kind_label": Kind(letter.kind).label},
        )
    return html, subject


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415  (see local_url_fetcher: only when rendering)

    return HTML(string=html, base_url=str(TEMPLATE_DIR) + "/", url_fetcher=local_url_fetcher()).write_pdf(
        pdf_variant="pdf/ua-1"
    )


def render(letter: Letter) -> Letter:
    """Render one letter to its PDF; on failure store the error for staff and raise."""
    letter = Letter.objects.select_related("application__opening__scheme", "event", "decision").get(pk=letter.pk)
    if letter.status == Letter.Status.RENDERED:
        return letter
    Letter.objects.filter(pk=letter.pk).update(attempts=letter.attempts + 1)
    letter.attempts += 1
    try:
        html, _subject = render_html(letter)
        pdf = render_pdf(html)
    except Exception as exc:
        Letter.objects.filter(pk=letter.pk).update(
            status=Letter.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    name = f"{letter.kind}-{letter.application.reference}-{letter.pk}.pdf"
    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        if locked.status == Letter.Status.RENDERED:  # another worker finished first
            return locked
        locked.file.save(name, ContentFile(pdf), save=False)
        locked.status = Letter.Status.RENDERED
        locked.error = ""
        locked.rendered_at = timezone.now()
        locked.attempts = letter.attempts
        locked.save(update_fields=["file", "status", "error", "rendered_at", "attempts"])
    return locked
