"""What a letter says: everything a letter template may use, already in Dutch formats.

Letters are Dutch, whatever the language of the request that caused them; the
figures come from the application's file as it stands when the letter is made,
the decision and the event it is about.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from schemes.formatting import datum, euro, getal
from schemes.models import KPI
from schemes.rules import ACCOUNTANT_STATEMENT, ACTIVITY_REPORT, DE_MINIMIS_LIMIT

from .. import clocks, reasons
from ..models import Application, AuditEvent, Decision, DefaultNotice, Letter, Objection, Payment, SupplementRequest
from ..states import State
from ..workflow import LetterKind as Kind


def money(value) -> str:
    """€ 7.500,00 with a no-break space, so an amount never breaks over two lines."""
    return euro(value).replace("€ ", "€\u00a0")


def _nbsp(text: str) -> str:
    return str(text).replace("€ ", "€\u00a0")


# Letters that are a decision (besluit) open to objection within six weeks (Awb 6:7);
# the decision on an objection is open to appeal (beroep) at the court instead.
OBJECTION_KINDS = {
    Kind.GRANT,
    Kind.REJECTION,
    Kind.NOT_CONSIDERED,
    Kind.SETTLEMENT,
    Kind.REVOCATION,
    Kind.PENALTY,
    Kind.TRANCHE_WITHHELD,
    Kind.TRANCHE_REDUCED,
}
APPEAL_KINDS = {Kind.OBJECTION_DECISION}


# The letterhead: the full name and postal address of an executing agency, and where objections go
# (``objection``; RVO's from rvo.nl, "Bezwaar maken", checked 3 January 2024). A scheme's own
# ``postal_address`` and ``objection_address``, kept by the administrators, come first.
AGENCIES = {
    "RVO": {
        "name": "Rijksdienst voor Ondernemend Nederland",
        "lines": ["Postbus 93144", "2509 AC  Den Haag"],
        "objection": ["Afdeling Juridische Zaken", "Postbus 40219", "8004 DE  Zwolle"],
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


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def agency(scheme) -> dict:
    """The executing agency as the letterhead shows it; the scheme's own postal address first."""
    code = (scheme.executing_agency or "").strip()
    found = {"name": code or "Open Subsidie", "lines": [], "objection": [], "web": "", "phone": ""}
    for key, value in AGENCIES.items():
        if key in code.upper().replace("(", " ").split():  # "RVO", "Ministerie van SZW (eigen uitvoering)"
            found = {**found, **value}
            break
    own = _lines(getattr(scheme, "postal_address", ""))
    if own:
        found["lines"] = own
    return found


def objection_address(scheme, sender: dict) -> list[str]:
    """Where an objection is sent, line by line: the scheme's own address, the agency's, or its postal address."""
    own = _lines(getattr(scheme, "objection_address", ""))
    if own:
        return own
    if sender.get("objection"):
        return [sender["name"], *sender["objection"]]
    return [sender["name"], *sender["lines"]] if sender["lines"] else []


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
    sender = agency(scheme)
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
        "project_end_date": datum(app.project_end()),
        "settlement_due": datum(app.settlement_due),
        "objection_due": datum(app.objection_due or clocks.objection_due(sent_on)),
        "appeal_due": datum(clocks.objection_due(sent_on)),
        "objection_clause": letter.kind in OBJECTION_KINDS,
        "appeal_clause": letter.kind in APPEAL_KINDS,
        "obligations": obligations(rules, app.amount_granted if decision is None else decision.amount),
        "agency": sender,
        "objection_address": objection_address(scheme, sender),
        "distribution": app.opening.distribution,
        "closes_on": datum(app.opening.closes_at),
        # who decides, who signs under mandate, on which legal basis (Awb 3:46, 10:10): one body, from scheme data
        "competent_authority": scheme.competent_authority or "",
        "signed_under_mandate": scheme.signed_under_mandate or sender["name"],
        "legal_basis": scheme.legal_basis or f"de regeling {scheme.name}",
        "term_from": TERM_FROM_WORDS.get(rules.decision_term_from, ""),
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
    elif kind in (Kind.TRANCHE_WITHHELD, Kind.TRANCHE_REDUCED):
        ctx.update(_tranche_context(app, decision))
    elif kind == Kind.POSTPONEMENT:
        ctx.update(_postponement_context(app, event))
    elif kind == Kind.PENALTY:
        ctx.update(_penalty_context(app, event))
    return ctx


def obligations(rules, granted=None) -> list[str]:
    """The obligations attached to a grant (Awb 4:37), by the scheme's financial shape, and what the recipient
    accounts for at the settlement by the amount (``Rules.accounting_tier``)."""
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
    ]
    tier = rules.accounting_tier(granted)
    if tier == ACCOUNTANT_STATEMENT:
        lines.append(
            "U vraagt de vaststelling van de subsidie aan binnen dertien weken na het einde van de activiteiten, "
            "met een verslag van de activiteiten en een accountantsverklaring."
        )
    elif tier == ACTIVITY_REPORT:
        lines.append(
            "U vraagt de vaststelling van de subsidie aan binnen dertien weken na het einde van de activiteiten, "
            "met een verslag van de activiteiten."
        )
    else:
        lines.append(
            "U hoeft voor de vaststelling geen verslag in te dienen; op verzoek toont u aan dat de activiteiten zijn "
            "verricht (steekproef)."
        )
    return lines


TERM_FROM_WORDS = {
    "submission": "na ontvangst van uw aanvraag",
    "completeness": "nadat uw aanvraag volledig is",
    "close": "na het sluiten van de openstelling",
    "date": "na de datum die de regeling noemt",
}


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
        "hardship": ((decision.data or {}).get("hardship") if decision is not None else None) or {},
        "de_minimis": bool(rules.de_minimis),
        "de_minimis_limit": money(DE_MINIMIS_LIMIT),
    }


def _reason_context(code: str) -> dict:
    return {
        "reason_code": code or "other",
        "reason": reasons.reason_text(code),
        "legal_basis": reasons.legal_basis(code),
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
    ground = reasons.SETTLEMENT_GROUNDS.get(decision.reason_code) if decision is not None else None
    return {
        "settlement_ground_article": ground[0] if ground else "",
        "settlement_ground_text": ground[1] if ground else "",
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
    ground = reasons.REVOCATION_GROUNDS.get(decision.reason_code) if decision is not None else None
    data = (decision.data or {}) if decision is not None else {}
    return {
        "ground_article": ground[0] if ground else "artikel 4:48",
        "ground_text": ground[1] if ground else "",
        "after_settlement": bool(decision and decision.reason_code.startswith("4:49")),
        "partial": bool(decision and decision.amount),
        "new_amount": money(decision.amount) if decision and decision.amount else "",
        "amount_before": money(data.get("from")) if data.get("from") else "",
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
    outcome = data.get("outcome") or ("upheld" if upheld else "unfounded")
    return {
        "upheld": upheld,
        "outcome": outcome,
        "partly": outcome == "partly_upheld",
        "inadmissible": outcome == "inadmissible",
        "restored_state": str(State(data["restored"]).label) if data.get("restored") else "",
        "recovery_cancelled": money(data["recovery_cancelled"]) if data.get("recovery_cancelled") else "",
        "new_settlement": money(data["amount"]) if data.get("amount") is not None and "difference" in data else "",
        "previous_settlement": money(data.get("previous_amount")) if "difference" in data else "",
        "new_final_payment": money(data["difference"])
        if "difference" in data and Decimal(str(data["difference"])) > 0
        else "",
        "new_recovery": money(-Decimal(str(data["difference"])))
        if "difference" in data and Decimal(str(data["difference"])) < 0
        else "",
        "reopened": bool(data.get("reopened")),
        "tranche_number": data.get("tranche") or "",
        "tranche_paid": money(data["released"]) if data.get("released") else "",
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


def _date_of(value) -> str:
    return datum(datetime.date.fromisoformat(value)) if value else ""


def _postponement_context(app: Application, event: AuditEvent | None) -> dict:
    data = (event.data if event else {}) or {}
    return {
        "postponed_term": data.get("term", "decision"),
        "settlement_requested_on": datum(app.settlement_requested_at),
        "old_due": _date_of(data.get("old_due")),
        "new_due": _date_of(data.get("new_due")),
        "postponement_reason": event.reason if event else "",
    }


def penalty_breakdown(days: int) -> list[str]:
    """The days at each statutory rate (Awb 4:17 lid 2), in words."""
    lines, remaining = [], days
    for length, rate in clocks.PENALTY_RATES:
        n = min(remaining, length)
        if n > 0:
            lines.append(f"{n} × {money(rate)} = {money(rate * n)}")
        remaining -= n
    return lines


def _penalty_context(app: Application, event: AuditEvent | None) -> dict:
    data = (event.data if event else {}) or {}
    notice = DefaultNotice.objects.filter(pk=data.get("notice")).first()
    if notice is None:
        return {}
    first = clocks.in_default_after(notice.received_on, notice.term_due) + datetime.timedelta(days=1)
    last = clocks.penalty_last_day(notice.received_on, notice.term_due, notice.ended_on)
    days = notice.penalty_days or 0
    return {
        "penalty_term": notice.term,
        "notice_received_on": datum(notice.received_on),
        "term_due": datum(notice.term_due),
        "penalty_decided_on": datum(notice.ended_on) if notice.ended_on else "",
        "penalty_first_day": datum(first),
        "penalty_last_day": datum(last),
        "penalty_days": days,
        "penalty_paused": days < (last - first).days + 1,
        "penalty_amount": money(notice.amount_owed),
        "penalty_breakdown": penalty_breakdown(days),
        "penalty_payment_due": _date_of(data.get("payment_due")),
    }


def _kpi_lines(app: Application, values: dict) -> list[dict]:
    """The KPI values a tranche decision rests on, each with the KPI's name and unit, the figure the Dutch way."""
    known = {k.code: k for k in KPI.objects.filter(scheme_id=app.opening.scheme_id, code__in=list(values))}
    lines = []
    for code, value in values.items():
        kpi = known.get(code)
        lines.append(
            {
                "code": code,
                "name": kpi.name if kpi else code,
                "value": getal(value),
                "unit": kpi.unit if kpi else "",
            }
        )
    return lines


def _tranche_context(app: Application, decision: Decision | None) -> dict:
    tranche = decision.tranche if decision is not None else None
    if tranche is None:
        return {}
    kpis = (decision.data or {}).get("kpi_values") or tranche.kpi_values or {}
    return {
        "tranche_number": tranche.number,
        "tranche_label": tranche.label,
        "tranche_amount": money(tranche.amount),
        "tranche_review": tranche.review_kind,
        "tranche_reasons": decision.note,
        # reduced: released at the decision's lower amount, the rest withheld
        "tranche_released": money(decision.amount),
        "tranche_withheld": money(tranche.amount - (decision.amount or 0)),
        "kpi_values": _kpi_lines(app, kpis),
        "amount_granted": money(app.amount_granted),
        "amount_committed": money(app.amount_committed),
    }
