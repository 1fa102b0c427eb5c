"""Units carry their kind: a traject, a samenwerkingsverband, a project. Totals only within a kind."""

from __future__ import annotations

from schemes.models import Scheme

from .base import pct

DEFAULT_KIND = "eenheid"


def unit_kind(scheme: Scheme) -> str:
    """The kind of a scheme's units: its ``unit_label`` (traject, samenwerkingsverband …)."""
    return (scheme.unit_label or DEFAULT_KIND).strip().lower() or DEFAULT_KIND


def kind_totals(schemes, openings, per_opening) -> dict[str, dict]:
    """Per kind of unit: the units granted in ``openings`` and the sum of the targets of ``schemes``."""
    by_id = {s.pk: s for s in schemes}
    totals: dict[str, dict] = {}
    for scheme in schemes:
        entry = totals.setdefault(unit_kind(scheme), {"granted": 0, "target": 0})
        entry["target"] += scheme.target_units or 0
    for opening in openings:
        scheme = by_id.get(opening.scheme_id) or opening.scheme
        entry = totals.setdefault(unit_kind(scheme), {"granted": 0, "target": 0})
        entry["granted"] += per_opening.get(opening.pk, {}).get("units", 0)
    return {kind: kind_block(v["granted"], v["target"] or None) for kind, v in sorted(totals.items())}


def kind_block(granted: int, target: int | None) -> dict:
    return {"granted": granted, "target": target, "uptake_pct": pct(granted, target)}


def units_block(by_kind: dict[str, dict], granted: int = 0, capacity: int | None = None) -> dict:
    """The ``units`` of a report: one kind gives its figures; several kinds give none (``by_kind`` has them).

    Units of unlike kinds are never added: 19.000 trajecten and 15
    samenwerkingsverbanden make no 19.015 of anything.
    """
    if len(by_kind) > 1:
        return {
            "unit": None,
            "granted": None,
            "target": None,
            "uptake_pct": None,
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
