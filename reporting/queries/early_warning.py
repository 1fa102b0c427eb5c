"""Targets and the early warning: the pace so far projected to the close of each opening."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from schemes.models import Opening, Scheme

from .base import money, pct
from .scope import Scope
from .units import unit_kind


def opening_target(opening: Opening) -> int | None:
    return opening.target_units or opening.capacity_units or None


def elapsed_fraction(opening: Opening, end: datetime.datetime) -> float:
    """How much of the opening's window lies before ``end`` (0 before it opens, 1 after it closes)."""
    window = (opening.closes_at - opening.opens_at).total_seconds()
    done = (min(end, opening.closes_at) - opening.opens_at).total_seconds()
    return max(0.0, min(1.0, done / window)) if window > 0 else 1.0


def warning_level(projected_pct: float | None, scheme: Scheme) -> str | None:
    if projected_pct is None:
        return None
    if projected_pct < float(scheme.warning_red_pct):
        return "red"
    if projected_pct < float(scheme.warning_amber_pct):
        return "amber"
    return "green"


LEVEL_ORDER = {"red": 0, "amber": 1, "green": 2}


NO_DATA = "no_data"


def _early_warning(openings, per_opening, ceilings, end, schemes_by_id) -> dict:
    """Per opening that has opened: the expected outcome at its close against its target.

    An open opening is judged on a linear projection: the pace so far (units
    and amounts of applications submitted and not dropped: open or granted,
    less the units a settlement reported cancelled) ÷ the elapsed share. A closed opening is judged on its result: the units and
    amounts granted. An opening without a single application has no data
    (``no_data``: "geen gegevens"), never red at 0 %. The level compares the
    expected units with the target (the expected amount with the ceiling when
    there is no target) against the scheme's amber and red thresholds.
    """
    projected_units = Decimal("0")
    projected_amount = Decimal("0")
    target_total, ceiling_total, started = 0, Decimal("0"), False
    levels = []
    per_unit_target = True
    details = []
    kinds = set()
    for opening in openings:
        fraction = elapsed_fraction(opening, end)
        if fraction <= 0:
            continue
        started = True
        figures = per_opening.get(opening.pk, {})
        detail = {"opening": opening.code, "elapsed_pct": round(fraction * 100, 2)}
        if not sum(figures.get("counts", {}).values()):
            details.append(
                {**detail, "basis": None, "projected_units": None, "projected_amount": None}
                | {"projected_pct": None, "level": NO_DATA}
            )
            continue
        # a traject the settlement reported cancelled will not happen: it no longer counts towards the target
        cancelled = (figures.get("progress") or {}).get("cancelled", 0)
        if fraction >= 1:  # closed: its result, not a projection of its pace
            basis = "result"
            units = Decimal(figures.get("units", 0) - cancelled)
            amount = figures.get("granted_amount", Decimal("0"))
        else:
            basis = "projection"
            units = Decimal(figures.get("pace_units", 0) - cancelled) / Decimal(str(fraction))
            amount = figures.get("pace_amount", Decimal("0")) / Decimal(str(fraction))
        scheme = schemes_by_id[opening.scheme_id]
        kinds.add(unit_kind(scheme))
        projected_units += units
        projected_amount += amount
        target = opening_target(opening)
        if target is None:
            per_unit_target = False
        target_total += target or 0
        ceiling_total += ceilings.get(opening.pk, Decimal("0"))
        level_pct = pct(units, target) if target else pct(amount, ceilings.get(opening.pk))
        level = warning_level(level_pct, scheme)
        if level:
            levels.append(level)
        details.append(
            {
                **detail,
                "basis": basis,
                "projected_units": int(units.to_integral_value(ROUND_HALF_UP)),
                "projected_amount": money(amount),
                "projected_pct": level_pct,
                "level": level,
            }
        )
    if not started:
        return {"projected_units": None, "projected_amount": None, "level": None, "openings": []}
    judged = [d for d in details if d["level"] != NO_DATA]
    if not judged:
        return {
            "projected_units": None,
            "projected_amount": None,
            "projected_pct": None,
            "level": NO_DATA,
            "openings": details,
        }
    if len(judged) == 1:
        level, level_pct = judged[0]["level"], judged[0]["projected_pct"]
    else:
        # units of unlike kinds are not added: then the money decides
        base = pct(projected_units, target_total) if per_unit_target and target_total and len(kinds) == 1 else None
        level_pct = base if base is not None else pct(projected_amount, ceiling_total)
        scheme_levels = {warning_level(level_pct, s) for s in schemes_by_id.values()} - {None}
        level = min(scheme_levels | set(levels), key=LEVEL_ORDER.get) if (scheme_levels or levels) else None
    return {
        "projected_units": int(projected_units.to_integral_value(ROUND_HALF_UP)) if len(kinds) == 1 else None,
        "projected_amount": money(projected_amount),
        "projected_pct": level_pct,
        "level": level,
        "openings": details,
    }


def _target(scope: Scope) -> int | None:
    if scope.kind == "opening":
        return opening_target(scope.opening) or scope.scheme.target_units
    if scope.kind == "scheme":
        return scope.scheme.target_units or sum(opening_target(o) or 0 for o in scope.openings) or None
    return sum(s.target_units or 0 for s in scope.schemes) or None
