"""The report: every figure of a scope at the end of a day, as one dict of plain JSON values."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from schemes.models import Opening

from . import figures as fig
from .base import OPEN, end_of_day, parse_as_of
from .budget import _budget_block, _ceilings, _lapsed, _sum_ledgers
from .early_warning import _early_warning, _target, elapsed_fraction, opening_target
from .funnel import _applications_block, _empty_counts, _funnel, _hardship_grants, _unit_funnel
from .illustrative import illustrative_block
from .portfolio import _portfolio_groups
from .programmes import _kpis, _programmes, _tranche_schedule, _tranches
from .scope import Scope, resolve_scope
from .snapshots import figures_at
from .terms import _lead_times, _penalty_from, _penalty_owed
from .units import add_progress, empty_progress, kind_block, kind_totals, unit_kind, units_block


def kpi_report(scope: str, code: str, as_of=None, *, schemes=None) -> dict:
    """The report as a dict of plain JSON values: the one shape the API, the command and the pages share."""
    day = parse_as_of(as_of)
    resolved = resolve_scope(scope, code, schemes=schemes)
    end = end_of_day(day)
    return build_report(resolved, day, end)


def build_report(scope: Scope, day: datetime.date, end: datetime.datetime, *, recompute: bool = False) -> dict:
    """The figures of ``scope`` at the end of ``day``.

    Read from the day-by-day snapshots of the audit trail and the ledger (and
    for today, the snapshots plus what happened since: ``snapshots``);
    ``recompute`` makes every figure from the whole trail instead, which the
    snapshots must equal (the tests compare both on random histories, the
    benchmark times both).
    """
    openings = scope.openings
    opening_ids = scope.opening_ids or [0]
    schemes_by_id = {s.pk: s for s in scope.schemes}
    for opening in openings:
        schemes_by_id.setdefault(opening.scheme_id, opening.scheme)
    per_unit = any(s.shape == "per_unit" for s in schemes_by_id.values())
    by_opening, (orgs_granted, orgs_by_sector) = figures_at(scope.opening_ids, day, recompute=recompute)
    ceilings = _ceilings(openings, end)

    counts = _empty_counts()
    per_opening: dict[int, dict] = defaultdict(lambda: {"counts": _empty_counts(), "units": 0})
    breakdowns: dict[str, dict] = {d: defaultdict(_empty_counts) for d in fig.DIMENSIONS}
    ledger: dict[int, dict] = {}
    total = fig.empty()
    units_granted = units_requested = overdue = 0
    progress: dict[int, dict] = {}
    for opening_id in scope.opening_ids:
        figures = by_opening.get(opening_id, fig.empty())
        fig.add(total, figures)
        ledger[opening_id] = fig.ledger_block(figures)
        target = per_opening[opening_id]
        for cat, values in figures["cat"].items():
            counts[cat] += values["n"]
            target["counts"][cat] += values["n"]
            if cat != "draft":
                units_requested += values["units"]
                target["requested_units"] = target.get("requested_units", 0) + values["units"]
            if cat == "granted":
                units_granted += values["units"]
                target["units"] += values["units"]
                target["granted_amount"] = target.get("granted_amount", Decimal("0")) + values["amount"]
            if cat in (OPEN, "granted"):
                target["pace_units"] = target.get("pace_units", 0) + values["units"]
                target["pace_amount"] = target.get("pace_amount", Decimal("0")) + values["amount"]
        late = fig.overdue(figures, day)
        target["overdue"] = late
        overdue += late
        if per_unit and figures["progress"]:
            progress[opening_id] = {**empty_progress(), **figures["progress"]}
    for dimension in fig.DIMENSIONS:
        for value, per_category in total["dim"][dimension].items():
            for cat, n in per_category.items():
                breakdowns[dimension][value][cat] += n
    penalty = _penalty_from(
        {datetime.date.fromisoformat(d): n for d, n in total["notice"].items() if d <= day.isoformat()}, day
    )
    by_reason = dict(sorted(total["reason"].items()))
    by_occupation = dict(sorted(total["occupation"].items())) if per_unit else {}
    lead = _lead_times({int(days): n for days, n in total["lead"].items()})

    total_progress = empty_progress()
    for opening_id, figures in progress.items():
        per_opening[opening_id]["progress"] = figures
        add_progress(total_progress, figures)

    total_ledger = _sum_ledgers(ledger.values())
    ceiling = sum(ceilings.values(), Decimal("0"))
    if scope.kind == "portfolio":
        by_kind = kind_totals(scope.schemes, openings, per_opening)
    else:
        by_kind = {
            unit_kind(scope.scheme): kind_block(
                units_granted, _target(scope), requested=units_requested, progress=total_progress
            )
        }
    applications = _applications_block(counts)
    units = units_block(by_kind, units_granted, sum(o.capacity_units or 0 for o in openings))
    decision_terms = sorted({s.decision_term_weeks for s in schemes_by_id.values()})
    report = {
        "scope": scope.kind,
        "code": scope.code,
        "name": scope.name,
        "as_of": day.isoformat(),
        "applications": applications,
        "units": units,
        "budget": _budget_block(total_ledger, ceiling, lapsed=_lapsed(openings, ledger, ceilings, end)),
        "organisations": {"granted": orgs_granted, "by_sector": orgs_by_sector},
        "units_by_occupation_sector": by_occupation,
        "lead_time_days": {
            **lead,
            "decision_term_days": decision_terms[0] * 7 if len(decision_terms) == 1 else None,
        },
        "overdue": overdue,
        "early_warning": _early_warning(openings, per_opening, ceilings, end, schemes_by_id),
        "funnel": _funnel(applications),
        "unit_funnel": _unit_funnel(units),
        "rejected_by_reason": by_reason,
        "penalty_exposure": penalty,
        "penalty_owed": _penalty_owed(scope.opening_ids or [0], day),
        "hardship_grants": _hardship_grants(scope.opening_ids or [0], end),
        "breakdowns": {
            dimension: {key: _applications_block(value) for key, value in sorted(values.items())}
            for dimension, values in breakdowns.items()
        },
        "excluded_openings": [
            {"code": o.code, "name": o.name, "scheme": o.scheme.code, "reason": "demo"} for o in scope.excluded
        ],
        "openings": [
            _opening_block(o, per_opening.get(o.pk), ledger.get(o.pk, {}), ceilings.get(o.pk), end) for o in openings
        ],
    }
    report["illustrative"] = illustrative_block(scope.opening_ids, report["unit_funnel"])
    programmes = [s for s in schemes_by_id.values() if s.shape == "programme"]
    if programmes:
        demo = scope.kind == "opening" and any(o.is_demo for o in openings)
        report["programmes"] = _programmes(programmes, opening_ids, day, end)
        report["tranches"] = _tranches(scope.opening_ids, day, end)
        if scope.kind != "portfolio":
            report["tranche_schedule"] = _tranche_schedule(opening_ids, day, end)
        report["kpis"] = _kpis(programmes, day, opening_ids, demo=demo)
    if scope.kind == "portfolio":
        report["groups"] = _portfolio_groups(scope, per_opening, ledger, ceilings, end)
    return report


def _opening_block(opening: Opening, figures, ledger, ceiling, end) -> dict:
    figures = figures or {"counts": _empty_counts(), "units": 0}
    target = opening_target(opening)
    return {
        "code": opening.code,
        "name": opening.name,
        "opens_at": opening.opens_at.isoformat(),
        "closes_at": opening.closes_at.isoformat(),
        "elapsed_pct": round(elapsed_fraction(opening, end) * 100, 2),
        "applications": _applications_block(figures["counts"]),
        "units": {
            "unit": unit_kind(opening.scheme),
            **kind_block(
                figures["units"], target, requested=figures.get("requested_units", 0), progress=figures.get("progress")
            ),
        },
        "budget": _budget_block(
            ledger,
            ceiling or Decimal("0"),
            lapsed=_lapsed([opening], {opening.pk: ledger}, {opening.pk: ceiling or 0}, end),
        ),
        "overdue": figures.get("overdue", 0),
    }
