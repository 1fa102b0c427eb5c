"""Units carry their kind: a traject, a samenwerkingsverband, a project. Totals only within a kind."""

from __future__ import annotations

from schemes.models import Scheme

from .base import pct

DEFAULT_KIND = "eenheid"


def unit_kind(scheme: Scheme) -> str:
    """The kind of a scheme's units: its ``unit_label`` (traject, samenwerkingsverband …)."""
    return (scheme.unit_label or DEFAULT_KIND).strip().lower() or DEFAULT_KIND


def kind_totals(schemes, openings, per_opening) -> dict[str, dict]:
    """Per kind of unit: the units requested, granted and realised in ``openings`` and the sum of the
    targets of ``schemes``."""
    by_id = {s.pk: s for s in schemes}
    totals: dict[str, dict] = {}

    def entry_for(scheme) -> dict:
        return totals.setdefault(
            unit_kind(scheme), {"granted": 0, "target": 0, "requested": 0, "progress": empty_progress()}
        )

    for scheme in schemes:
        entry_for(scheme)["target"] += scheme.target_units or 0
    for opening in openings:
        entry = entry_for(by_id.get(opening.scheme_id) or opening.scheme)
        figures = per_opening.get(opening.pk, {})
        entry["granted"] += figures.get("units", 0)
        entry["requested"] += figures.get("requested_units", 0)
        add_progress(entry["progress"], figures.get("progress"))
    return {
        kind: kind_block(v["granted"], v["target"] or None, requested=v["requested"], progress=v["progress"])
        for kind, v in sorted(totals.items())
    }


def kind_block(granted: int, target: int | None, *, requested: int = 0, progress: dict | None = None) -> dict:
    """The units of one kind from application to settlement (see ``unit_progress``), and the target.

    ``uptake_pct`` is granted ÷ target (the commitment the early warning
    follows); ``realised_pct`` is completed ÷ target: the trajecten that happened.
    """
    progress = progress or empty_progress()
    return {
        "requested": requested,
        "granted": granted,
        "started": progress["started"],
        "completed": progress["completed"],
        "settled": progress["settled"],
        "cancelled": progress["cancelled"],
        "reported": progress["reported"],
        "target": target,
        "uptake_pct": pct(granted, target),
        "realised_pct": pct(progress["completed"], target),
    }


UNIT_FIGURES = ("requested", "granted", "started", "completed", "settled", "cancelled", "reported")


def units_block(by_kind: dict[str, dict], granted: int = 0, capacity: int | None = None) -> dict:
    """The ``units`` of a report: one kind gives its figures; several kinds give none (``by_kind`` has them).

    Units of unlike kinds are never added: 19.000 trajecten and 15
    samenwerkingsverbanden make no 19.015 of anything.
    """
    if len(by_kind) > 1:
        return {
            "unit": None,
            **dict.fromkeys(UNIT_FIGURES),
            "target": None,
            "uptake_pct": None,
            "realised_pct": None,
            "capacity": None,
            "capacity_pct": None,
            "by_kind": by_kind,
        }
    unit, only = next(iter(by_kind.items()), (None, kind_block(granted, None)))
    return {
        "unit": unit,
        **only,
        "capacity": capacity or None,
        "capacity_pct": pct(only["granted"], capacity or None),
        "by_kind": by_kind,
    }


# --- what became of the granted units: reported at the settlement (vaststelling) --------------------

PROGRESS = ("reported", "started", "completed", "cancelled", "settled")


def empty_progress() -> dict[str, int]:
    return dict.fromkeys(PROGRESS, 0)


def add_progress(total: dict[str, int], part: dict[str, int] | None) -> dict[str, int]:
    for key in PROGRESS:
        total[key] += (part or {}).get(key, 0)
    return total
