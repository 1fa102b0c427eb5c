"""Levels of assurance of eHerkenning (betrouwbaarheidsniveaus), lowest first, as a scheme requires them.

A broker names the level of a login with a URN of the eTD/eToegang framework; a scheme names the level it
requires (EH3 for most subsidies). A login meets a scheme when its level is the scheme's or higher; a login
without an eHerkenning level (a local password) meets only a scheme that requires none.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    NONE = "", _("geen eis")
    EH1 = "eh1", "EH1"
    EH2 = "eh2", "EH2"
    EH2PLUS = "eh2plus", "EH2+"
    EH3 = "eh3", "EH3"
    EH4 = "eh4", "EH4"


ORDER = [Level.NONE, Level.EH1, Level.EH2, Level.EH2PLUS, Level.EH3, Level.EH4]

# The URNs brokers send in the level-of-assurance claim (eToegang, "urn:etoegang:core:assurance-class:loaN").
URNS = {
    "urn:etoegang:core:assurance-class:loa1": Level.EH1,
    "urn:etoegang:core:assurance-class:loa2": Level.EH2,
    "urn:etoegang:core:assurance-class:loa2plus": Level.EH2PLUS,
    "urn:etoegang:core:assurance-class:loa3": Level.EH3,
    "urn:etoegang:core:assurance-class:loa4": Level.EH4,
}
URN_OF = {level: urn for urn, level in URNS.items()}


def from_claim(value) -> str:
    """The level a broker's claim names (a URN, or already "eh3"/"EH3"); an unknown value is no level."""
    text = str(value or "").strip()
    if text in URNS:
        return URNS[text]
    lowered = text.lower().replace("+", "plus")
    return lowered if lowered in Level.values else Level.NONE


def meets(level: str | None, required: str | None) -> bool:
    """Whether a login at ``level`` may act where ``required`` is asked."""
    if not required:
        return True
    if not level or level not in ORDER or required not in ORDER:
        return False
    return ORDER.index(level) >= ORDER.index(required)


def label(level: str | None) -> str:
    return str(Level(level or "").label) if (level or "") in Level.values else str(level)
