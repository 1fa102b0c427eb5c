"""What a reviewer checks per financial shape, and the criteria a tender is scored on (0 to 10, each justified).

Declared once (see SCHEMES.md): the case screen's form, the API and the
assessment service read them; a checklist key or criterion not listed here is refused.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CHECKLISTS = {
    "per_unit": [
        ("kvk", _("De werkgever staat ingeschreven bij de KVK en het KVK-nummer klopt.")),
        ("diploma", _("Elk traject leidt tot een erkend diploma of certificaat.")),
        ("occupation", _("Elk beoogd beroep is een tekortberoep in ICT of techniek.")),
        ("cost", _("De kosten per traject zijn met een offerte aangetoond en zijn minstens het minimum.")),
        ("contract", _("De arbeidsovereenkomst loopt minstens tot het einde van het traject.")),
        ("supervision", _("De begeleiding op de werkplek is geregeld.")),
    ],
    "share_of_costs": [
        ("kvk", _("De aanvrager staat ingeschreven bij de KVK en is een mkb-onderneming.")),
        ("activity", _("De activiteiten passen in de regeling (erkende scholing of een mkb-project).")),
        ("budget", _("De begroting is realistisch en de kosten zijn subsidiabel.")),
        ("de_minimis", _("De de-minimisverklaring is ontvangen en blijft onder de grens.")),
        ("one_per_window", _("Er is geen andere aanvraag van deze aanvrager in deze openstelling.")),
    ],
    "programme": [
        ("lead", _("De penvoerder is een onderwijsinstelling of een geschikte rechtspersoon.")),
        ("consortium", _("Het samenwerkingsverband heeft private partners en onderwijspartners.")),
        ("cofinancing", _("De cofinanciering is toegezegd en aangetoond.")),
        ("kpis", _("De KPI's hebben een nulmeting en een streefwaarde.")),
        ("continuity", _("Het plan beschrijft hoe het na de subsidie doorgaat.")),
    ],
}

TENDER_CRITERIA = {
    "share_of_costs": [
        ("innovation", _("Vernieuwend karakter")),
        ("effect", _("Effect op leren en ontwikkelen in het mkb")),
        ("quality", _("Kwaliteit en haalbaarheid van het plan")),
        ("reach", _("Bereik en verspreiding van de resultaten")),
    ],
    "programme": [
        ("plan", _("Kwaliteit en samenhang van het plan")),
        ("impact", _("Bijdrage aan de KPI's van het programma")),
        ("support", _("Cofinanciering en draagvlak in de regio")),
        ("continuity", _("Borging na afloop")),
    ],
    "per_unit": [
        ("fit", _("Aansluiting op de arbeidsmarkt")),
        ("quality", _("Kwaliteit van het scholingsplan")),
    ],
}


def checklist_for(shape: str) -> list[tuple[str, str]]:
    return CHECKLISTS.get(shape, CHECKLISTS["share_of_costs"])


def criteria_for(shape: str) -> list[tuple[str, str]]:
    return TENDER_CRITERIA.get(shape, TENDER_CRITERIA["share_of_costs"])
