"""Check your answers: every answer of the application with the link that changes it, and what still
stands in the way of submitting."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from schemes.formatting import datum, euro

from .. import checks, clocks
from ..models import Application, Role
from ..services import documents
from .cards import answer_row, change_link, partner_cards, unit_cards
from .step_order import FIELD_STEP, SHAPE_STEP, STEP_TITLES, steps_for


def answers(application: Application, *, applicant_editable: bool) -> list[dict]:
    """Every answer of the application, each with the link that changes it ("check your answers").

    A change link goes to the field on its step and brings the applicant back to
    this summary afterwards (``?terug=overzicht``).
    """
    rules = application.opening.published_rules

    def href(step_key: str, anchor: str) -> str:
        return change_link(application, step_key, anchor)

    org = application.organisation

    def applicant(key, value, field):
        return answer_row(key, value or "—", href("aanvrager", f"id_{field}") if applicant_editable else None)

    sections = [
        {
            "key": "aanvrager",
            "title": STEP_TITLES["aanvrager"],
            "rows": [
                answer_row(_("KVK-nummer"), org.kvk, None),
                applicant(_("Naam"), org.name, "name"),
                applicant(_("Grootteklasse"), org.get_size_class_display(), "size_class"),
                applicant(_("Sector"), org.get_sector_display(), "sector"),
                applicant(_("Provincie"), org.get_province_display(), "province"),
                applicant("IBAN", org.iban, "iban"),
                applicant(_("Contactpersoon"), org.contact_name, "contact_name"),
                applicant(_("E-mailadres"), org.contact_email, "contact_email"),
                applicant(_("Telefoon"), org.contact_phone, "contact_phone"),
            ],
            "note": None
            if applicant_editable
            else _("Deze gegevens houdt de werkgever zelf bij in het profiel van de organisatie."),
        }
    ]
    if rules.shape == "per_unit":
        sections.append(
            {
                "key": "trajecten",
                "title": STEP_TITLES["trajecten"],
                "cards": unit_cards(application),
                "empty": _("Nog geen trajecten."),
                "add": href("trajecten", "units-table"),
                "add_label": _("Traject toevoegen"),
            }
        )
    elif rules.shape == "share_of_costs":
        rows = [
            answer_row(
                line.description,
                euro(line.amount),
                href("kosten", f"id_cost_lines-{i}-amount"),
                change_label=f"{_('kostenpost')} {line.description}",
            )
            for i, line in enumerate(application.cost_lines.all())
        ]
        rows.append(
            answer_row(_("Subsidiabele kosten"), euro(application.eligible_costs), href("kosten", "cost_lines-table"))
        )
        rows.append(
            answer_row(
                _("Einddatum van het project"),
                datum(application.project_end_date),
                href("kosten", "id_project_end_date"),
            )
        )
        if rules.max_amount_partnership:
            rows.append(
                answer_row(
                    _("Samenwerkingsverband"),
                    _("ja") if application.is_partnership else _("nee"),
                    href("kosten", "id_is_partnership"),
                )
            )
        sections.append({"key": "kosten", "title": STEP_TITLES["kosten"], "rows": rows})
    else:
        rows = [
            answer_row(
                _("Gevraagde programma-toekenning"),
                euro(application.requested_amount),
                href("programma", "id_requested_amount"),
            ),
            answer_row(
                _("Einddatum van het programma"),
                datum(application.project_end_date),
                href("programma", "id_project_end_date"),
            ),
        ]
        sections.append(
            {
                "key": "programma",
                "title": STEP_TITLES["programma"],
                "rows": rows,
                "cards": partner_cards(application),
                "add": href("programma", "partners-table"),
                "add_label": _("Partner toevoegen"),
            }
        )
    documents_rows = [
        answer_row(
            document.type_label,
            document,
            href("bijlagen", f"document-{document.pk}"),
            change_label=f"{_('bijlage')} {document.original_name}",
        )
        for document in documents.with_type_labels(application, application.documents.all())
    ]
    unit_label = rules.unit_label or "eenheid"
    missing = [need.message(unit_label) for need in checks.document_needs(application) if need.missing]
    sections.append(
        {
            "key": "bijlagen",
            "title": STEP_TITLES["bijlagen"],
            "rows": documents_rows,
            "documents": True,
            "missing": missing,
            "empty": _("Nog geen documenten."),
            "add": href("bijlagen", "id_file"),
            "add_label": _("Document toevoegen"),
        }
    )
    declarations = []
    if rules.de_minimis:
        declarations.append(
            answer_row(
                _("De-minimissteun elders ontvangen"),
                _de_minimis_answer(application),
                href("verklaringen", "de_minimis-table"),
            )
        )
    declarations.append(
        answer_row(
            _("Naar waarheid ingevuld"),
            _("ja, verklaard") if application.truthfulness_declared else _("nog niet verklaard"),
            href("verklaringen", "id_truthfulness_declared"),
        )
    )
    sections.append({"key": "verklaringen", "title": STEP_TITLES["verklaringen"], "rows": declarations})
    return sections


def summary_context(application: Application, user=None) -> dict:
    result = checks.check_limits(application)
    refusals = []
    steps = steps_for(application.opening.published_rules)
    for refusal in result.refusals:
        step_key = FIELD_STEP.get(refusal.field.split(".")[0]) or SHAPE_STEP[application.opening.published_rules.shape]
        if step_key not in steps:
            step_key = "overzicht"
        refusals.append(
            {
                "message": refusal.message,
                "url": reverse("portal:step", args=[application.reference, step_key]) + "#main",
            }
        )
    rules = application.opening.published_rules
    anchors = {
        "documents": ("bijlagen", "#id_file"),
        "de_minimis_declared": ("verklaringen", "#de_minimis-table"),
    }
    for refusal in checks.missing_at_submission(application):
        step_key, anchor = anchors[refusal.field]
        refusals.append(
            {
                "message": refusal.message,
                "url": reverse("portal:step", args=[application.reference, step_key]) + anchor,
            }
        )
    if (
        rules.shape != "per_unit"
        and application.project_end_date
        and application.project_end_date < clocks.local_date()
    ):
        refusals.append(
            {
                "message": _("De einddatum ligt in het verleden; vul een datum vanaf vandaag in."),
                "url": reverse("portal:step", args=[application.reference, SHAPE_STEP[rules.shape]])
                + "#id_project_end_date",
            }
        )
    if not application.truthfulness_declared:
        refusals.append(
            {
                "message": _("Verklaar dat u de aanvraag naar waarheid heeft ingevuld."),
                "url": reverse("portal:step", args=[application.reference, "verklaringen"])
                + "#id_truthfulness_declared",
            }
        )
    applicant_editable = user is None or user.role != Role.INTERMEDIARY
    return {
        "check": result,
        "refusals": refusals,
        "answers": answers(application, applicant_editable=applicant_editable),
        "documents": application.documents.all(),
    }


def _de_minimis_answer(application: Application) -> str:
    """Each aid declared, with its date and who granted it; "geen" for none; the bare total of a bulk upload."""
    rows = application.de_minimis_declarations or []
    if rows:
        return "; ".join(
            _("%(amount)s op %(date)s van %(provider)s")
            % {
                "amount": euro(row["amount"]),
                "date": datum(datetime.date.fromisoformat(row["granted_on"])),
                "provider": row["provider"],
            }
            for row in rows
        )
    if application.de_minimis_declared == 0:
        return _("geen")
    return euro(application.de_minimis_declared)
