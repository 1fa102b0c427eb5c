"""Rendering a letter: the administrators' template text in a sandbox, the PDF by WeasyPrint, once per letter.

The text comes from the scheme's ``LetterTemplate`` or the default one, which is
seeded from the files in ``templates/letters/`` the first time it is needed;
functional administrators edit them in the admin. The PDF is PDF/UA (tagged,
with a language and a title), rendered by WeasyPrint with a fetcher that serves our own assets by name and
refuses everything else (a path, ``file:``, ``data:``, ``http:``), so a template can
never make the server embed a file or fetch a URL. An administrator's text renders
in a sandbox of its own: conditions, loops and text filters, no includes, no
``{% load %}``, no ``safe``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
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
    Kind.POSTPONEMENT: "Verdaging van de beslistermijn voor {{ reference }}",
    Kind.PENALTY: "Besluit over de dwangsom bij niet tijdig beslissen, {{ reference }}",
    Kind.TRANCHE_WITHHELD: "Inhouding van tranche {{ tranche_number }}, {{ reference }}",
    Kind.TRANCHE_REDUCED: "Verlaging van tranche {{ tranche_number }}, {{ reference }}",
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


# --- what an administrator's template may do ----------------------------------------------------


# An administrator's letter text renders in an engine of its own: no template loaders (nothing to
# include or extend), no libraries to load, and only the tags and filters of ``sandbox``.
class SandboxEngine(Engine):
    default_builtins = []  # Django's own would bring {% load %}, {% include %}, |safe and the rest back


SANDBOX = SandboxEngine(loaders=[], libraries={}, builtins=["applications.letters.sandbox"], autoescape=True)


# Markup that makes a PDF renderer fetch something: no letter text needs it, so none is accepted.
FETCHING_MARKUP = re.compile(
    r"<\s*(img|image|link|object|embed|iframe|frame|svg|use|source|video|audio|script|style|base|meta)\b"
    r"|url\s*\(|@import|\b(src|href|srcset|data)\s*=",
    re.IGNORECASE,
)


def refusal(text: str) -> str | None:
    """Why an administrator's letter text cannot be used, in Dutch; None when it can."""
    try:
        rendered = sandboxed(text).render(Context({}))
    except TemplateSyntaxError as exc:
        return _("Dit sjabloon klopt niet of gebruikt iets wat een brief niet mag: %(error)s") % {"error": exc}
    found = FETCHING_MARKUP.search(text) or FETCHING_MARKUP.search(rendered)
    if found:
        return _(
            "Een brief haalt niets van buiten: '%(markup)s' (afbeeldingen, links naar bestanden, stijlbladen) "
            "is niet toegestaan."
        ) % {"markup": found.group(0)}
    return None


def sandboxed(text: str) -> Template:
    """An administrator's letter text as a template of the sandbox; raises TemplateSyntaxError on what it may not do."""
    return SANDBOX.from_string(text)


# --- what a letter may fetch: our own assets, by name, and nothing else ----------------------------

# The files a letter may embed, by the name it uses (``asset:letter.css``); the letter's CSS is inlined.
ASSETS = {"letter.css": TEMPLATE_DIR / "letter.css"}


class RefusedResource(ValueError):
    pass


def asset_for(url: str) -> Path:
    """The bundled file an ``asset:NAME`` URL names; anything else — a path, file:, data:, http: — is refused."""
    name = url[len("asset:") :] if url.startswith("asset:") else None
    if name not in ASSETS:
        raise RefusedResource(f"refused to fetch {url[:200]!r}: a letter embeds only its own assets")
    return ASSETS[name]


def asset_fetcher():
    """WeasyPrint's fetcher for letters and reports: serves ``ASSETS`` by name, refuses everything else, fatally."""
    # weasyprint takes 0,6 s and loads Pango and its fonts: only a process that renders a PDF pays for it
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    class AssetFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = asset_for(url)  # refused: fail_on_errors stops the rendering (see pdf_from_html)
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": "text/css"})

    return AssetFetcher(allowed_protocols=["asset"], fail_on_errors=True)


def render_html(letter: Letter) -> tuple[str, str]:
    """The letter as HTML, and its subject: the administrator's text in the sandbox, our frame around it."""
    ctx = context_for(letter)
    app = letter.application
    template = template_for(letter.kind, app.opening.scheme)
    with override("nl"):
        subject = sandboxed(template.subject).render(Context(ctx)).strip()
        body = sandboxed(template.body).render(Context(ctx))
        css = (TEMPLATE_DIR / "letter.css").read_text(encoding="utf-8")
        html = render_to_string(
            "letters/letter.html",
            {**ctx, "subject": subject, "body": body, "css": css, "kind_label": Kind(letter.kind).label},
        )
    return html, subject


def pdf_from_html(html: str, **options) -> bytes:
    """A PDF of our own HTML, fetching nothing but our own assets (letters and reports alike)."""
    # see asset_fetcher: only a process that renders a PDF pays for weasyprint
    from weasyprint import HTML  # noqa: PLC0415
    from weasyprint.urls import FatalURLFetchingError  # noqa: PLC0415

    try:
        return HTML(string=html, base_url=None, url_fetcher=asset_fetcher()).write_pdf(**options)
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: made an ordinary, recorded failure
        raise RefusedResource(str(exc.__cause__ or exc)) from None


def render_pdf(html: str) -> bytes:
    return pdf_from_html(html, pdf_variant="pdf/ua-1")


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
