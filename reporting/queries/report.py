"""The report: every figure of a scope at the end of a day, as one dict of plain JSON values."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction

from applications import clocks
from schemes.models import Opening

from .as_of import (
    _application_groups,
    _granted_organisations,
    _penalty_exposure,
    _rejected_by_reason,
    _units_by_occupation_sector,
    application_states,
)
from .base import CATEGORY, OPEN, _report_session, end_of_day, parse_as_of
from .budget import _budget_block, _ceilings, _ledger, _ledger_now, _sum_ledgers
from .early_warning import _early_warning, _target, elapsed_fraction, opening_target
from .funnel import _applications_block, _empty_counts, _funnel, _hardship_grants, _unit_funnel
from .illustrative import illustrative_block
from .portfolio import _portfolio_groups
from .programmes import _kpis, _tranches
from .scope import Scope, resolve_scope
from .terms import _lead_times, _penalty_owed
from .today import (
    _decisions_now,
    _granted_organisations_now,
    _groups_now,
    _occupation_sectors,
    _units_now,
    current_states,
)
from .units import add_progress, empty_progress, kind_block, kind_totals, unit_kind, unit_progress, units_block


def kpi_report(scope: str, code: str, as_of=None, *, schemes=None) -> dict:
    """The report as a dict of plain JSON values: the one shape the API, the command and the pages share."""
    day = parse_as_of(as_of)
    resolved = resolve_scope(scope, code, schemes=schemes)
    end = end_of_day(day)
    return build_report(resolved, day, end)


def build_report(scope: Scope, day: datetime.date, end: datetime.datetime, *, current: bool | None = None) -> dict:
    """The figures of ``scope`` at the end of ``day``.

    As of today (the default for dashboards) from the current state columns and
    the openings' running totals; for a past date from the audit trail and the
    ledger. ``current`` forces one path (True only makes sense for today: the
    tests and the benchmark compare both paths on the same data).
    """
    openings = scope.openings
    opening_ids = scope.opening_ids or [0]
    schemes_by_id = {s.pk: s for s in scope.schemes}
    for opening in openings:
        schemes_by_id.setdefault(opening.scheme_id, opening.scheme)
    per_unit = any(s.shape == "per_unit" for s in schemes_by_id.values())
    now = current if current is not None else day >= clocks.local_date()
    if now:
        # today: the state columns and the openings' running totals (see current_states)
        states = current_states(opening_ids)
    else:
        states = application_states(opening_ids, end, per_unit=per_unit)
    with transaction.atomic(), _report_session(now=now), states as table:
        if now:
            groups, penalty, by_reason = _groups_now(opening_ids, day)
            unit_rows = _units_now(opening_ids) if per_unit else []
            by_occupation = _occupation_sectors(unit_rows)
        else:
            groups = _application_groups(table, day)
            penalty = _penalty_exposure(table, day)
            by_reason = _rejected_by_reason(table, end)
            by_occupation = _units_by_occupation_sector(table) if per_unit else {}
            unit_rows = []
        if now:
            orgs_granted, orgs_by_sector = _granted_organisations_now(opening_ids)
            lead = _lead_times(_decisions_now(opening_ids))
        else:
            orgs_granted, orgs_by_sector = _granted_organisations(table)
            lead = _lead_times(table)
        progress = unit_progress(table, end) if per_unit else {}
    ledger = _ledger_now(scope.opening_ids) if now else _ledger(scope.opening_ids, end)
    ceilings = _ceilings(openings, end)

    counts = _empty_counts()
    per_opening: dict[int, dict] = defaultdict(lambda: {"counts": _empty_counts(), "units": 0})
    breakdowns: dict[str, dict] = {
        d: defaultdict(_empty_counts) for d in ("sector", "size_class", "province", "channel")
    }
    units_granted = units_requested = overdue = 0
    for row in groups:
        cat, n = row["category"], row["n"]
        counts[cat] += n
        target = per_opening[row["opening_id"]]
        target["counts"][cat] += n
        if cat != "draft":
            units_requested += row["units"]
            target["requested_units"] = target.get("requested_units", 0) + row["units"]
        if cat == "granted":
            units_granted += row["units"]
            target["units"] += row["units"]
            target["granted_amount"] = target.get("granted_amount", Decimal("0")) + row["amount"]
        if cat in (OPEN, "granted"):
            target["pace_units"] = target.get("pace_units", 0) + row["units"]
            target["pace_amount"] = target.get("pace_amount", Decimal("0")) + row["amount"]
        overdue += row["overdue"]
        target["overdue"] = target.get("overdue", 0) + row["overdue"]
        for dimension in breakdowns:
            breakdowns[dimension][row[dimension]][cat] += n
    for opening_id, state, _sector, n in unit_rows:  # today: units counted apart from the applications
        cat = CATEGORY.get(state, OPEN)
        target = per_opening[opening_id]
        if cat != "draft":
            units_requested += n
            target["requested_units"] = target.get("requested_units", 0) + n
        if cat == "granted":
            units_granted += n
            target["units"] += n
        if cat in (OPEN, "granted"):
            target["pace_units"] = target.get("pace_units", 0) + n

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
        "budget": _budget_block(total_ledger, ceiling),
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
        report["tranches"] = _tranches(scope.opening_ids, day, end)
        report["kpis"] = _kpis(programmes, day)
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
        "budget": _budget_block(ledger, ceiling or Decimal("0")),
        "overdue": figures.get("overdue", 0),
    }
