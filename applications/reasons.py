"""Why an application is rejected, and on which legal ground: one table for decisions and letters."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

REASON_CODES = {
    "not_eligible": gettext_lazy("de aanvraag voldoet niet aan de voorwaarden van de regeling"),
    "ceiling_reached": gettext_lazy("het subsidieplafond is bereikt (artikel 4:25 Awb)"),
    "limits_exceeded": gettext_lazy("de aanvraag gaat over de grenzen van de regeling"),
    "de_minimis": gettext_lazy("de de-minimisgrens van € 300.000 in drie jaar wordt overschreden"),
    "duplicate": gettext_lazy("er is al een aanvraag in deze openstelling"),
    "below_min_score": gettext_lazy("de aanvraag haalt de minimale score niet"),
    "below_min_amount": gettext_lazy(
        "het evenredige deel van het plafond valt onder het minimumbedrag van de regeling"
    ),
    "other": gettext_lazy("andere reden, zie de toelichting"),
}

# The legal ground a rejection letter cites for each reason (in Dutch: letters are Dutch).
LEGAL_BASIS = {
    "not_eligible": "artikel 4:35 van de Algemene wet bestuursrecht en de voorwaarden van de regeling",
    "ceiling_reached": "artikel 4:25, tweede lid, van de Algemene wet bestuursrecht",
    "limits_exceeded": "de regeling, die een maximum per aanvrager stelt",
    "de_minimis": "Verordening (EU) 2023/2831 (de-minimissteun), artikel 3, tweede lid",
    "duplicate": "de regeling, die één aanvraag per aanvrager per openstelling toestaat",
    "below_min_score": "artikel 4:26 van de Algemene wet bestuursrecht en de rangschikking van de regeling",
    "below_min_amount": "artikel 4:25, tweede lid, van de Algemene wet bestuursrecht en het minimumbedrag van de regeling",
    "other": "artikel 4:35 van de Algemene wet bestuursrecht",
}


# Not a reason to reject: an incomplete application is asked to be supplemented and, when the supplement does not
# come in time, not considered (Awb 4:5) — a decision of its own, not a rejection on the merits.
NOT_A_REJECTION = {"incomplete"}


def reason_text(code: str) -> str:
    """The reason in words (the request's language); an unknown code reads as 'other'."""
    return str(REASON_CODES.get(code or "other", REASON_CODES["other"]))


def legal_basis(code: str) -> str:
    return LEGAL_BASIS.get(code or "other", LEGAL_BASIS["other"])


# The grounds to revoke or lower a grant before the settlement (Awb 4:48 lid 1) and a settlement after it (4:49 lid 1),
# and to settle lower than granted (4:46 lid 2); each cited in the letter. Letters are Dutch.
REVOCATION_GROUNDS = {
    "4:48-a": ("artikel 4:48, eerste lid, onder a", "de activiteiten hebben niet of niet geheel plaatsgevonden"),
    "4:48-b": ("artikel 4:48, eerste lid, onder b", "u hebt niet voldaan aan de verplichtingen van de subsidie"),
    "4:48-c": (
        "artikel 4:48, eerste lid, onder c",
        "u hebt onjuiste of onvolledige gegevens verstrekt, en juiste en volledige gegevens zouden tot een andere "
        "beschikking hebben geleid",
    ),
    "4:48-d": (
        "artikel 4:48, eerste lid, onder d",
        "de subsidieverlening was anderszins onjuist en u wist of behoorde dit te weten",
    ),
    "4:49-a": (
        "artikel 4:49, eerste lid, onder a",
        "feiten of omstandigheden waarvan wij bij de vaststelling redelijkerwijs niet op de hoogte konden zijn, en op "
        "grond waarvan wij de subsidie lager zouden hebben vastgesteld",
    ),
    "4:49-b": ("artikel 4:49, eerste lid, onder b", "de vaststelling was onjuist en u wist of behoorde dit te weten"),
    "4:49-c": (
        "artikel 4:49, eerste lid, onder c",
        "u hebt na de vaststelling niet voldaan aan de verplichtingen van de subsidie",
    ),
}
SETTLEMENT_GROUNDS = {
    "4:46-a": ("artikel 4:46, tweede lid, onder a", "de activiteiten hebben niet of niet geheel plaatsgevonden"),
    "4:46-b": ("artikel 4:46, tweede lid, onder b", "u hebt niet voldaan aan de verplichtingen van de subsidie"),
    "4:46-c": (
        "artikel 4:46, tweede lid, onder c",
        "u hebt onjuiste of onvolledige gegevens verstrekt, en juiste en volledige gegevens zouden tot een andere "
        "beschikking hebben geleid",
    ),
    "4:46-d": (
        "artikel 4:46, tweede lid, onder d",
        "de subsidieverlening was anderszins onjuist en u wist of behoorde dit te weten",
    ),
}


def revocation_grounds(settled: bool) -> dict:
    """Before the settlement 4:48, after it 4:49."""
    prefix = "4:49-" if settled else "4:48-"
    return {code: value for code, value in REVOCATION_GROUNDS.items() if code.startswith(prefix)}
