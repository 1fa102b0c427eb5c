"""The add-another cards of "check your answers": one card per traject, one per partner.

Each answer on a card links to its own field in its row of the step and says
which card it changes ("wijzig deelnemer, traject 2").
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from schemes.formatting import datum, euro

from ..models import Application


def change_link(application: Application, step_key: str, anchor: str) -> str:
    """To the field on its step, and back to the summary afterwards (``?terug=overzicht``)."""
    return f"{reverse('portal:step', args=[application.reference, step_key])}?terug=overzicht#{anchor}"


def lower_first(text) -> str:
    """ "Deelnemer" -> "deelnemer", for "Wijzig deelnemer"; "IBAN" stays "IBAN"."""
    text = str(text)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def answer_row(key, value, href: str | None, *, change_label=None) -> dict:
    return {"key": key, "value": value, "href": href, "change_label": change_label or lower_first(key)}


def unit_cards(application: Application) -> list[dict]:
    """A card per traject (``per_unit``)."""
    cards = []
    for i, unit in enumerate(application.units.all()):
        noun = f"{_('Traject')} {i + 1}"

        def unit_row(key, value, field, i=i, noun=noun):
            return answer_row(
                key,
                value,
                change_link(application, "trajecten", f"id_units-{i}-{field}"),
                change_label=f"{lower_first(key)}, {lower_first(noun)}",
            )

        cards.append(
            {
                "title": noun,
                "rows": [
                    unit_row(_("Deelnemer"), unit.participant, "participant"),
                    unit_row(_("Beoogd beroep"), unit.occupation, "occupation"),
                    unit_row(_("Sector van het beroep"), unit.get_occupation_sector_display(), "occupation_sector"),
                    unit_row(_("Opleider"), unit.provider, "provider"),
                    unit_row(_("Kosten"), euro(unit.cost), "cost"),
                    unit_row(_("Start"), datum(unit.start_date), "start_date"),
                    unit_row(_("Einde"), datum(unit.end_date), "end_date"),
                    unit_row(_("Einde contract"), datum(unit.contract_end_date), "contract_end_date"),
                ],
            }
        )
    return cards


def partner_cards(application: Application) -> list[dict]:
    """A card per partner with its co-financing (``programme``)."""
    cards = []
    for i, partner in enumerate(application.partners.prefetch_related("cofinancing")):
        noun = f"{_('Partner')} {i + 1}"

        def partner_row(key, value, field, i=i, noun=noun):
            return answer_row(
                key,
                value,
                change_link(application, "programma", f"id_partners-{i}-{field}"),
                change_label=f"{lower_first(key)}, {lower_first(noun)}",
            )

        cofinancing = "; ".join(
            f"{co.get_source_display()} {co.get_kind_display()} {euro(co.amount)}" for co in partner.cofinancing.all()
        )
        cards.append(
            {
                "title": noun,
                "rows": [
                    partner_row(_("Naam"), partner.name, "name"),
                    partner_row(_("KVK-nummer"), partner.kvk or "—", "kvk"),
                    partner_row(_("Rol"), partner.get_role_display(), "role"),
                    partner_row(_("mkb"), _("ja") if partner.is_sme else _("nee"), "is_sme"),
                    partner_row(_("Cofinanciering"), cofinancing or "—", "source"),
                ],
            }
        )
    return cards
