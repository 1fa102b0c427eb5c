"""Load the scheme catalogue from its data file, idempotently.

A second run with the same file changes nothing and says so. An opening that
already exists keeps the rules it was published with, even when the scheme's
rules in the file have changed since.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from .models import KPI, KPIMeasurement, Opening, Scheme, TranchePlanItem
from .rules import Rules
from .services import change_ceiling

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "regelingen.yaml"
SCHEME_FIELDS = {f.name for f in Scheme._meta.get_fields() if getattr(f, "concrete", False) and f.name not in {"id"}}
OPENING_FIELDS = {
    "name",
    "opens_at",
    "closes_at",
    "budget_ceiling",
    "distribution",
    "min_score",
    "partial_grant",
    "capacity_units",
    "target_units",
    "decision_term_starts_on",
    "notes",
    "sources",
    "is_demo",
}


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def nothing_changed(self) -> bool:
        return not self.created and not self.changed


def read_catalogue(path: Path = DEFAULT_FILE) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def _aware(value: str | datetime.datetime) -> datetime.datetime:
    moment = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _coerce(model, name: str, value):
    model_field = model._meta.get_field(name)
    if value is None:
        return None
    internal = model_field.get_internal_type()
    if internal == "DecimalField":
        return Decimal(str(value)).quantize(Decimal(10) ** -model_field.decimal_places)
    if internal == "DateTimeField":
        return _aware(value)
    if internal == "DateField":
        return _date(value)
    return value


def _sync(instance, values: dict, model) -> bool:
    """Set the values that differ; return whether anything did."""
    changed = False
    for name, raw in values.items():
        value = _coerce(model, name, raw)
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


@transaction.atomic
def load_catalogue(entries: list[dict[str, Any]], *, demo: bool = False) -> LoadReport:
    report = LoadReport()
    for entry in entries:
        entry = dict(entry)
        openings = entry.pop("openings", [])
        tranche_plan = entry.pop("tranche_plan", [])
        kpis = entry.pop("kpis", [])
        code = entry["code"]
        values = {k: v for k, v in entry.items() if k in SCHEME_FIELDS and k != "code"}
        if demo:
            values["is_demo"] = True
        scheme = Scheme.objects.filter(code=code).first()
        if scheme is None:
            scheme = Scheme(code=code)
            _sync(scheme, values, Scheme)
            scheme.full_clean()
            scheme.save()
            report.created.append(code)
        elif _sync(scheme, values, Scheme):
            scheme.full_clean()
            scheme.save()
            report.changed.append(code)
        else:
            report.unchanged.append(code)
        _load_tranche_plan(scheme, None, tranche_plan, report)
        _load_kpis(scheme, kpis, report)
        for opening_data in openings:
            load_opening(scheme, opening_data, report, demo=demo)
    return report


def load_opening(scheme: Scheme, data: dict[str, Any], report: LoadReport, *, demo: bool = False) -> Opening:
    data = dict(data)
    code = data.pop("code")
    overrides = data.pop("rules_overrides", {}) or {}
    tranche_plan = data.pop("tranche_plan", [])
    values = {k: v for k, v in data.items() if k in OPENING_FIELDS}
    if demo:
        values["is_demo"] = True
    opening = Opening.objects.filter(code=code).first()
    if opening is None:
        opening = Opening(code=code, scheme=scheme)
        _sync(opening, values, Opening)
        rules = Rules.from_scheme(scheme).to_dict()
        rules.update({k: (str(v) if isinstance(v, Decimal) else v) for k, v in overrides.items()})
        opening.rules = rules
        opening.full_clean(exclude=["rules"])
        opening.save()
        report.created.append(code)
    else:
        new_ceiling = values.pop("budget_ceiling", None)
        changed = False
        if _sync(opening, values, Opening):
            opening.full_clean(exclude=["rules", "budget_ceiling"])
            # only the fields of the file: the ledger totals on this row are not ours to write
            opening.save(update_fields=[name for name in values if name in OPENING_FIELDS])
            changed = True
        if new_ceiling is not None:
            ceiling = _coerce(Opening, "budget_ceiling", new_ceiling)
            if ceiling != opening.budget_ceiling:
                change_ceiling(opening=opening, new_ceiling=ceiling, reason="catalogusbestand (load_regelingen)")
                changed = True
        if changed:
            report.changed.append(code)
        else:
            report.unchanged.append(code)
        _load_tranche_plan(scheme, opening, tranche_plan, report)
        return opening
    _load_tranche_plan(scheme, opening, tranche_plan, report)
    return opening


def _load_tranche_plan(scheme: Scheme, opening: Opening | None, items: list[dict], report: LoadReport) -> None:
    for item in items:
        item = dict(item)
        number = item.pop("number")
        existing = TranchePlanItem.objects.filter(scheme=scheme, opening=opening, number=number).first()
        label = f"{opening.code if opening else scheme.code}/tranche-{number}"
        if existing is None:
            existing = TranchePlanItem(scheme=scheme, opening=opening, number=number)
            _sync(existing, item, TranchePlanItem)
            existing.full_clean()
            existing.save()
            report.created.append(label)
        elif _sync(existing, item, TranchePlanItem):
            existing.full_clean()
            existing.save()
            report.changed.append(label)


def _load_kpis(scheme: Scheme, kpis: list[dict], report: LoadReport) -> None:
    for entry in kpis:
        entry = dict(entry)
        measurements = entry.pop("measurements", [])
        code = entry.pop("code")
        kpi = KPI.objects.filter(scheme=scheme, code=code).first()
        label = f"{scheme.code}/kpi-{code}"
        if kpi is None:
            kpi = KPI(scheme=scheme, code=code)
            _sync(kpi, entry, KPI)
            kpi.save()
            report.created.append(label)
        elif _sync(kpi, entry, KPI):
            kpi.save()
            report.changed.append(label)
        for m in measurements:
            m = dict(m)
            period = m.pop("period")
            measurement = KPIMeasurement.objects.filter(kpi=kpi, period=period).first()
            if measurement is None:
                measurement = KPIMeasurement(kpi=kpi, period=period)
                _sync(measurement, m, KPIMeasurement)
                measurement.save()
                report.created.append(f"{label}/{period}")
            elif _sync(measurement, m, KPIMeasurement):
                measurement.save()
                report.changed.append(f"{label}/{period}")
