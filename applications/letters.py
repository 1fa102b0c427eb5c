"""Decision letters (beschikkingen): which event gets which letter, and rendering it once.

``issue_for_event`` is called by ``applications.tasks.after_event`` for every
audit event, after the commit. An event that calls for a letter gets exactly one
``Letter`` row, found by its ``key`` (``grant:decision:12``): a retry after a
failure renders that same row again, never a second letter. The text comes from
the scheme's ``LetterTemplate`` or the default one, which is seeded from the
files in ``templates/letters/`` the first time it is needed; functional
administrators edit them in the admin. The PDF is PDF/UA (tagged, with a
language and a title), rendered by WeasyPrint with a fetcher that reads local
files only, so a template can never make the server fetch a URL.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from schemes.formatting import datum, euro

from . import clocks
from .models import (
    Application,
    AuditEvent,
    Decision,
    Letter,
    LetterTemplate,
    Notification,
    Objection,
    Payment,
    SupplementRequest,
)

logger = logging.getLogger(__name__)


def money(value) -> str:
    """€ 7.500,00 with a no-break space, so an amount never breaks over two lines."""
    return euro(value).replace("€ ", "€\u00a0")


def _nbsp(text: str) -> str:
    return str(text).replace("€ ", "€\u00a0")


Kind = LetterTemplate.Kind
TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "letters"
MAX_ATTEMPTS = 8

# Letters that are a decision (besluit) open to objection within six weeks (Awb 6:7);
# the decision on an objection is open to appeal (beroep) at the court instead.
OBJECTION_KINDS = {Kind.GRANT, Kind.REJECTION, Kind.NOT_CONSIDERED, Kind.SETTLEMENT, Kind.REVOCATION}
APPEAL_KINDS = {Kind.OBJECTION_DECISION}

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

# Why an application was rejected, and on which legal basis.
LEGAL_BASIS = {
    "not_eligible": "artikel 4:35 van de Algemene wet bestuursrecht en de voorwaarden van de regeling",
    "ceiling_reached": "artikel 4:25, tweede lid, van de Algemene wet bestuursrecht",
    "limits_exceeded": "de regeling, die een maximum per aanvrager stelt",
    "de_minimis": "Verordening (EU) 2023/2831 (de-minimissteun), artikel 3, tweede lid",
    "duplicate": "de regeling, die één aanvraag per aanvrager per openstelling toestaat",
    "below_min_score": "artikel 4:26 van de Algemene wet bestuursrecht en de rangschikking van de regeling",
    "incomplete": "artikel 4:5 van de Algemene wet bestuursrecht",
    "other": "artikel 4:35 van de Algemene wet bestuursrecht",
}

# The letterhead: the full name and postal address of an executing agency.
AGENCIES = {
    "RVO": {
        "name": "Rijksdienst voor Ondernemend Nederland",
        "lines": ["Postbus 93144", "2509 AC  Den Haag"],
        "web": "www.rvo.nl",
        "phone": "088 042 42 42",
    },
    "SZW": {
        "name": "Ministerie van Sociale Zaken en Werkgelegenheid",
        "lines": ["Postbus 90801", "2509 LV  Den Haag"],
        "web": "www.rijksoverheid.nl/szw",
        "phone": "070 333 44 44",
    },
}


def agency(scheme) -> dict:
    code = (scheme.executing_agency or "").strip()
    for key, value in AGENCIES.items():
        if code.upper().startswith(key):
            return value
    return {"name": code or "Open Subsidie", "lines": [], "web": "", "phone": ""}


# --- which event gets which letter ----------------------------------------------------


@dataclass
class LetterSpec:
    kind: str
    key: str
    decision: Decision | None = None


def spec_for_event(event: AuditEvent) -> LetterSpec | None:
    """The letter an audit event calls for, with the key that makes it unique; None for no letter."""
    app_id = event.application_id
    data = event.data or {}
    action = event.action
    if action == "submit":
        return LetterSpec(Kind.RECEIPT, f"receipt:application:{app_id}")
    if action == "request_supplement":
        ref = data.get("supplement_request") or f"event{event.pk}"
        return LetterSpec(Kind.SUPPLEMENT_REQUEST, f"supplement_request:supplement:{ref}")
    if action in ("approve_decision", "approve_settlement"):
        decision = Decision.objects.filter(pk=data.get("decision")).first()
        if decision is None:
            return None
        kind = {
            Decision.Kind.GRANT: Kind.GRANT,
            Decision.Kind.REJECTION: Kind.REJECTION,
            Decision.Kind.REVOCATION: Kind.REVOCATION,
            Decision.Kind.SETTLEMENT: Kind.SETTLEMENT,
        }.get(decision.kind)
        if kind is None:
            return None  # a tranche decision is not a letter of its own
        return LetterSpec(kind, f"{kind}:decision:{decision.pk}", decision)
    if action == "declare_not_considered":
        return LetterSpec(Kind.NOT_CONSIDERED, f"not_considered:event:{event.pk}")
    if action == "decide_objection":
        ref = data.get("objection") or f"event{event.pk}"
        return LetterSpec(Kind.OBJECTION_DECISION, f"objection_decision:objection:{ref}")
    if action == "send_intent":
        return LetterSpec(Kind.INTENT, f"intent:event:{event.pk}")
    return None


def issue_for_event(event: AuditEvent) -> Letter | None:
    """The letter for this event, rendered and announced: once, whatever the number of calls."""
    spec = spec_for_event(event)
    if spec is None:
        return None
    letter, _created = Letter.objects.get_or_create(
        key=spec.key,
        defaults={
            "application_id": event.application_id,
            "decision": spec.decision,
            "event": event,
            "kind": spec.kind,
            "created_at": event.at,
        },
    )
    if letter.status != Letter.Status.RENDERED:
        render(letter)  # raises on failure: the task retries, staff see the error meanwhile
    announce(letter)
    return letter


# --- templates --------------------------------------------------------------------------


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


# --- what a letter says -----------------------------------------------------------------


def _local_date(moment: datetime.datetime | None) -> datetime.date:
    return clocks.local_date(moment) if moment else clocks.local_date()


def context_for(letter: Letter) -> dict:
    """Everything a letter template may use, already in Dutch formats."""
    app = (
        Application.objects.select_related("opening__scheme", "organisation")
        .prefetch_related("units", "cost_lines", "partners", "tranches", "payments")
        .get(pk=letter.application_id)
    )
    scheme = app.opening.scheme
    rules = app.opening.published_rules
    event = letter.event
    sent_on = _local_date(event.at if event else letter.created_at)
    decision = letter.decision
    ctx: dict = {
        "reference": app.reference,
        "scheme_name": scheme.name,
        "scheme_short_name": scheme.short_name or scheme.name,
        "scheme_owner": scheme.owner,
        "opening_name": app.opening.name,
        "organisation_name": app.organisation.name,
        "organisation_kvk": app.organisation.kvk,
        "contact_name": app.organisation.contact_name,
        "letter_date": datum(sent_on),
        "submitted_on": datum(app.submitted_at),
        "complete_on": datum(app.complete_at),
        "decision_due": datum(app.decision_due),
        "decision_term_weeks": app.decision_term_weeks or rules.decision_term_weeks,
        "queue_position": app.queue_position,
        "amount_requested": money(app.amount_requested),
        "unit_label": rules.unit_label or "eenheid",
        "shape": rules.shape,
        "units": [
            {
                "participant": u.participant,
                "occupation": u.occupation,
                "sector": u.get_occupation_sector_display(),
                "provider": u.provider,
                "cost": money(u.cost),
                "period": f"{datum(u.start_date)} tot en met {datum(u.end_date)}" if u.start_date else "",
                "status": u.get_status_display(),
            }
            for u in app.units.all()
        ],
        "eligible_costs": money(app.eligible_costs) if app.eligible_costs is not None else "",
        "cost_lines": [{"description": c.description, "amount": money(c.amount)} for c in app.cost_lines.all()],
        "partners": [{"name": p.name, "role": p.get_role_display()} for p in app.partners.all()],
        "project_end_date": datum(_project_end(app)),
        "settlement_due": datum(app.settlement_due),
        "objection_due": datum(app.objection_due or clocks.objection_due(sent_on)),
        "appeal_due": datum(clocks.objection_due(sent_on)),
        "objection_clause": letter.kind in OBJECTION_KINDS,
        "appeal_clause": letter.kind in APPEAL_KINDS,
        "obligations": obligations(rules),
        "agency": agency(scheme),
    }
    if decision is not None:
        ctx["decision_amount"] = money(decision.amount)
        ctx["decision_note"] = decision.note
        ctx["steps"] = [_nbsp(step) for step in (decision.data or {}).get("steps") or []]
    kind = letter.kind
    if kind == Kind.GRANT:
        ctx.update(_grant_context(app, decision, rules))
    elif kind == Kind.REJECTION:
        ctx.update(_reason_context(decision.reason_code if decision else app.rejection_reason))
    elif kind == Kind.SETTLEMENT:
        ctx.update(_settlement_context(app, decision, event))
    elif kind == Kind.REVOCATION:
        ctx.update(_revocation_context(app, decision))
    elif kind == Kind.SUPPLEMENT_REQUEST:
        ctx.update(_supplement_context(app, event))
    elif kind == Kind.NOT_CONSIDERED:
        ctx.update(_not_considered_context(app))
    elif kind == Kind.OBJECTION_DECISION:
        ctx.update(_objection_context(app, event))
    elif kind == Kind.INTENT:
        ctx.update(_intent_context(event))
    return ctx


def _project_end(app: Application) -> datetime.date | None:
    if app.project_end_date:
        return app.project_end_date
    ends = [u.end_date for u in app.units.all() if u.end_date]
    return max(ends) if ends else None


def obligations(rules) -> list[str]:
    """The obligations attached to a grant (Awb 4:37), by the scheme's financial shape."""
    lines = []
    if rules.shape == "per_unit":
        lines += [
            "U laat elke werknemer het omscholingstraject volgen zoals in de aanvraag beschreven, met "
            "begeleiding op de werkplek door een begeleider in uw bedrijf.",
            "De arbeidsovereenkomst van de werknemer loopt ten minste tot het einde van het traject en wordt na "
            "succesvolle afronding met ten minste zes maanden verlengd.",
        ]
    elif rules.shape == "share_of_costs":
        lines.append("U voert het project uit zoals in de aanvraag beschreven en binnen de aangegeven periode.")
    else:
        lines += [
            "U voert het programma uit zoals in het plan beschreven en rapporteert jaarlijks over de KPI's.",
            "Een voorwaardelijke tranche komt pas beschikbaar na een positieve beoordeling op de afgesproken datum.",
        ]
    lines += [
        "U meldt ons onverwijld als de activiteiten niet, niet tijdig of niet geheel worden verricht "
        "(artikel 4:38 Awb).",
        "U bewaart de administratie en de bewijsstukken van de kosten ten minste zeven jaar.",
        "U vraagt de vaststelling van de subsidie aan binnen dertien weken na het einde van de activiteiten.",
    ]
    if rules.accountant_above is not None:
        lines.append(
            f"Bij een subsidie van {money(rules.accountant_above)} of meer voegt u een accountantsverklaring bij."
        )
    return lines


def _grant_context(app: Application, decision: Decision | None, rules) -> dict:
    amount = decision.amount if decision and decision.amount is not None else app.amount_granted
    advance = next((p for p in app.payments.all() if p.kind == Payment.Kind.ADVANCE), None)
    tranches = [
        {
            "number": t.number,
            "label": t.label,
            "amount": money(t.amount),
            "planned_date": datum(t.planned_date),
            "gated": t.gated,
            "review": f"{t.review_kind} op {datum(t.review_date)}" if t.gated and t.review_date else "",
        }
        for t in app.tranches.all()
    ]
    return {
        "amount": money(amount),
        "advance_amount": money(advance.amount) if advance else "",
        "advance_pct": f"{rules.advance_pct.normalize():f}".replace(".", ",") if rules.advance_pct else "",
        "advance_due": datum(advance.due_date) if advance else "",
        "tranches": tranches,
        "ex_officio_below": money(rules.ex_officio_below) if rules.ex_officio_below else "",
        "ex_officio": bool(rules.ex_officio_below and amount is not None and amount < rules.ex_officio_below),
    }


def _reason_context(code: str) -> dict:
    from .services import REASON_CODES

    code = code or "other"
    return {
        "reason_code": code,
        "reason": str(REASON_CODES.get(code, REASON_CODES["other"])),
        "legal_basis": LEGAL_BASIS.get(code, LEGAL_BASIS["other"]),
    }


def _settlement_context(app: Application, decision: Decision | None, event: AuditEvent | None) -> dict:
    amount = decision.amount if decision and decision.amount is not None else app.amount_settled
    granted = app.amount_granted or Decimal("0.00")
    data = (event.data if event else {}) or {}
    if "difference" in data:
        difference = Decimal(str(data["difference"]))
        paid = amount - difference
    else:
        paid = app.amount_paid - app.amount_recovered
        difference = (amount or Decimal("0.00")) - paid
    final = next((p for p in app.payments.all() if p.kind in (Payment.Kind.FINAL, Payment.Kind.RECOVERY)), None)
    ex_officio = bool(decision and (decision.data or {}).get("ex_officio"))
    grant = (
        Decision.objects.filter(application=app, kind=Decision.Kind.GRANT, status=Decision.Status.APPROVED)
        .order_by("-approved_at")
        .first()
    )
    return {
        "granted_on": datum(grant.approved_at) if grant else "",
        "amount": money(amount),
        "amount_granted": money(granted),
        "lower_than_granted": amount is not None and amount < granted,
        "paid": money(paid),
        "final_payment": money(difference) if difference > 0 else "",
        "recovery": money(-difference) if difference < 0 else "",
        "payment_due": datum(final.due_date) if final else datum(clocks.payment_due(clocks.local_date())),
        "ex_officio": ex_officio,
    }


def _revocation_context(app: Application, decision: Decision | None) -> dict:
    recovery = next(
        (p for p in app.payments.all() if p.kind == Payment.Kind.RECOVERY and p.status == Payment.Status.DUE), None
    )
    return {
        "reason": (decision.note if decision else "") or "de voorwaarden van de verlening zijn niet nageleefd",
        "amount_granted": money(app.amount_granted),
        "recovery": money(recovery.amount) if recovery else "",
        "recovery_due": datum(recovery.due_date) if recovery else "",
    }


def _supplement_context(app: Application, event: AuditEvent | None) -> dict:
    data = (event.data if event else {}) or {}
    request = SupplementRequest.objects.filter(pk=data.get("supplement_request")).first()
    if request is None:
        request = app.supplement_requests.order_by("-id").first()
    return {
        "missing": request.reason if request else (event.reason if event else ""),
        "supplement_due": datum(request.due_date if request else None),
        "requested_on": datum(request.requested_on if request else None),
    }


def _not_considered_context(app: Application) -> dict:
    request = app.supplement_requests.order_by("-id").first()
    return {
        "missing": request.reason if request else "",
        "requested_on": datum(request.requested_on if request else None),
        "supplement_due": datum(request.due_date if request else None),
    }


def _objection_context(app: Application, event: AuditEvent | None) -> dict:
    data = (event.data if event else {}) or {}
    objection = Objection.objects.filter(pk=data.get("objection")).first()
    upheld = bool(data.get("upheld")) if "upheld" in data else (objection and objection.outcome == "upheld")
    return {
        "upheld": upheld,
        "reopened": bool(data.get("reopened")),
        "objection_lodged_on": datum(objection.lodged_on if objection else None),
        "objection_reason": objection.reason if objection else "",
        "objection_note": (objection.note if objection else "") or (event.reason if event else ""),
    }


INTENT_LABELS = {
    "rejection": "afwijzing",
    "revocation": "intrekking van de verlening",
    "lower_settlement": "een lagere vaststelling",
}


def _intent_context(event: AuditEvent | None) -> dict:
    data = (event.data if event else {}) or {}
    proposed = data.get("proposed", "rejection")
    context = {
        "intent_label": INTENT_LABELS.get(proposed, INTENT_LABELS["rejection"]),
        "intent_reason": data.get("reason") or (event.reason if event else ""),
        "reply_due": datum(datetime.date.fromisoformat(data["reply_due"])) if data.get("reply_due") else "",
        "intent_amount": money(data.get("amount")) if data.get("amount") else "",
    }
    if data.get("reason_code"):
        context.update(_reason_context(data["reason_code"]))
    return context


# --- rendering --------------------------------------------------------------------------


def _check_local(url: str) -> None:
    if not url.startswith("file://"):
        raise ValueError(f"refused to fetch {url!r}: letters use local files only")
    path = Path(url[len("file://") :].split("?")[0]).resolve()
    if TEMPLATE_DIR.resolve() not in path.parents:
        raise ValueError(f"refused to fetch {url!r}: outside the letter templates")


def local_url_fetcher():
    """A fetcher for files under the letters' template folder only: a letter never fetches from the network."""
    from weasyprint.urls import URLFetcher

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
    from weasyprint import HTML

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
                "U vindt de brief onder 'Mijn aanvragen' in Open Subsidie. Deze e-mail is automatisch verstuurd."
            )
            % {"kind": Kind(letter.kind).label, "reference": app.reference},
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


def retry_failed(*, older_than: datetime.timedelta = datetime.timedelta(minutes=30)) -> dict:
    """For the clocks: failed letters, and pending ones a lost task left behind."""
    cutoff = timezone.now() - older_than
    counts = {"retried": 0, "failed": 0}
    stuck = Letter.objects.filter(status=Letter.Status.FAILED, attempts__lt=MAX_ATTEMPTS) | Letter.objects.filter(
        status=Letter.Status.PENDING, created_at__lt=cutoff
    )
    for letter in stuck.order_by("id")[:500]:
        try:
            retry(letter)
            counts["retried"] += 1
        except Exception:
            logger.exception("letter %s failed again", letter.pk)
            counts["failed"] += 1
    return counts
