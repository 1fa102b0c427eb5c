"""The programmes' figures: the programme level (total, budget lines, tranche plan, gates), tranches and KPIs."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Sum, Value, When

from applications.models import AuditEvent, Tranche
from applications.states import State
from schemes.models import KPI, KPIMeasurement, ProgrammeBudgetLine, ProgrammeGate, Scheme, TranchePlanItem

from .base import money, pct


def _tranches(opening_ids: list[int], day: datetime.date, end: datetime.datetime) -> dict:
    """Tranches of the programmes granted by the date: planned, released, withheld and due."""
    granted_by_then = AuditEvent.objects.filter(
        application_id=OuterRef("application_id"), to_state=State.GRANTED, at__lt=end
    )
    status = Case(
        When(status=Tranche.Status.RELEASED, decided_at__lt=end, then=Value("released")),
        When(status=Tranche.Status.WITHHELD, decided_at__lt=end, then=Value("withheld")),
        When(gated=True, review_date__lte=day, then=Value("due")),
        default=Value("planned"),
        output_field=CharField(),
    )
    rows = (
        Tranche.objects.filter(application__opening_id__in=opening_ids)
        .filter(Exists(granted_by_then))
        .annotate(status_at=status)
        .values("status_at")
        .annotate(n=Count("id"), amount=Sum(F("amount") - F("withheld_amount")))  # a reduced tranche: what it paid
        .order_by()
    )
    result = {key: {"count": 0, "amount": money(0)} for key in ("planned", "released", "withheld", "due")}
    for row in rows:
        result[row["status_at"]] = {"count": row["n"], "amount": money(row["amount"])}
    return result


def _progress(kpi: KPI, value, kind: str, measured_as: str) -> float | None:
    """Progress on the target, only for a measurement of the KPI's own kind that counts what the KPI counts.

    8.500 private partners in total is no progress on "+8.500 extra companies" (001:L425): shown, not scored.
    """
    if value is None or kind != kpi.kind or measured_as:
        return None
    value = Decimal(str(value))
    if kpi.kind == KPI.Kind.ADDITIONAL:
        return pct(value, kpi.target_value)
    return pct(value - kpi.baseline_value, kpi.target_value - kpi.baseline_value)


def _measurement(kpi: KPI, m: KPIMeasurement | None) -> dict | None:
    if m is None:
        return None
    return {
        "period": m.period,
        "measured_on": m.measured_on.isoformat(),
        "value": money(m.value),
        "kind": m.kind,
        "measured_as": m.measured_as,
        "source": m.source,
        "comparable": m.kind == kpi.kind and not m.measured_as,
        "progress_pct": _progress(kpi, m.value, m.kind, m.measured_as),
    }


def _kpis(schemes: list[Scheme], day: datetime.date, opening_ids: list[int] | None = None, *, demo=False) -> list:
    """Each KPI of the programmes: its definition, kind and target; the last comparable programme measurement on
    or before the day and the progress it makes; the last measurement of any kind, as what it counted; and each
    award's (each PPS's) own last measurement. Demo KPIs only in a report of a demo opening."""
    kpis = KPI.objects.filter(scheme__in=schemes).select_related("scheme").order_by("scheme__name", "code")
    if not demo:
        kpis = kpis.filter(is_demo=False)
    kpis = list(kpis)
    measurements = (
        KPIMeasurement.objects.filter(kpi__in=kpis, measured_on__lte=day)
        .filter(Q(application=None) | Q(application__opening_id__in=opening_ids or [0]))
        .select_related("application__organisation")
        .order_by("measured_on", "id")
    )
    programme_wide: dict[int, list[KPIMeasurement]] = {}
    per_award: dict[int, dict[int, KPIMeasurement]] = {}
    for m in measurements:
        if m.application_id is None:
            programme_wide.setdefault(m.kpi_id, []).append(m)
        else:
            per_award.setdefault(m.kpi_id, {})[m.application_id] = m  # the last one wins
    result = []
    for kpi in kpis:
        rows = programme_wide.get(kpi.pk, [])
        comparable = [m for m in rows if m.kind == kpi.kind and not m.measured_as]
        realised = comparable[-1] if comparable else None
        latest = rows[-1] if rows else None
        result.append(
            {
                "scheme": kpi.scheme.code,
                "code": kpi.code,
                "name": kpi.name,
                "definition": kpi.definition,
                "unit": kpi.unit,
                "kind": kpi.kind,
                "source": kpi.source,
                "baseline": money(kpi.baseline_value),
                "baseline_year": kpi.baseline_year,
                "target": money(kpi.target_value),
                "target_year": kpi.target_year,
                "realised": None if realised is None else money(realised.value),
                "period": "" if realised is None else realised.period,
                "progress_pct": None if realised is None else _progress(kpi, realised.value, realised.kind, ""),
                "latest": _measurement(kpi, latest),
                "by_award": [
                    {
                        "reference": m.application.reference,
                        "organisation": m.application.organisation.name if m.application.organisation_id else "",
                        **_measurement(kpi, m),
                    }
                    for m in sorted(per_award.get(kpi.pk, {}).values(), key=lambda m: m.application.reference)
                ],
            }
        )
    return result


SCHEDULE_ROWS = 200


def _tranche_schedule(opening_ids: list[int], day: datetime.date, end: datetime.datetime) -> list[dict]:
    """Each award's tranches with their dates (counted from the award's start) and status on the date; at most
    ``SCHEDULE_ROWS`` rows, the earliest awards first: for an opening or a programme, not the portfolio."""
    granted_by_then = AuditEvent.objects.filter(
        application_id=OuterRef("application_id"), to_state=State.GRANTED, at__lt=end
    )
    rows = (
        Tranche.objects.filter(application__opening_id__in=opening_ids)
        .filter(Exists(granted_by_then))
        .select_related("application__organisation", "gate")
        .order_by("application__reference", "number")[:SCHEDULE_ROWS]
    )
    schedule = []
    for t in rows:
        decided = t.decided_at is not None and t.decided_at < end
        if decided and t.status in (Tranche.Status.RELEASED, Tranche.Status.WITHHELD):
            status = t.status
        elif t.gated and t.review_date and t.review_date <= day:
            status = "due"
        else:
            status = "planned"
        schedule.append(
            {
                "reference": t.application.reference,
                "organisation": t.application.organisation.name if t.application.organisation_id else "",
                "number": t.number,
                "label": t.label,
                "amount": money(t.amount),
                "planned_date": t.planned_date.isoformat(),
                "gated": t.gated,
                "gate": t.gate.code if t.gate_id else None,
                "review_date": t.review_date.isoformat() if t.review_date else None,
                "status": str(status),
            }
        )
    return schedule


def _gate_tranches(opening_ids: list[int], end: datetime.datetime, day: datetime.date) -> dict:
    """Per gate: the tranches of awards granted by the date that wait for it, by status on the date."""
    granted_by_then = AuditEvent.objects.filter(
        application_id=OuterRef("application_id"), to_state=State.GRANTED, at__lt=end
    )
    status = Case(
        When(status=Tranche.Status.RELEASED, decided_at__lt=end, then=Value("released")),
        When(status=Tranche.Status.WITHHELD, decided_at__lt=end, then=Value("withheld")),
        When(review_date__lte=day, then=Value("due")),
        default=Value("planned"),
        output_field=CharField(),
    )
    rows = (
        Tranche.objects.filter(application__opening_id__in=opening_ids, gate__isnull=False)
        .filter(Exists(granted_by_then))
        .annotate(status_at=status)
        .values("gate_id", "status_at")
        .annotate(n=Count("id"), whole=Sum("amount"), paid=Sum(F("amount") - F("withheld_amount")))
        .order_by()
    )
    result: dict[int, dict] = {}
    for row in rows:
        block = result.setdefault(
            row["gate_id"],
            {key: {"count": 0, "amount": money(0)} for key in ("planned", "due", "released", "withheld")},
        )
        amount = row["paid"] if row["status_at"] == "released" else row["whole"]
        block[row["status_at"]] = {"count": row["n"], "amount": money(amount)}
    return result


def _programmes(schemes: list[Scheme], opening_ids: list[int], day: datetime.date, end) -> list[dict]:
    """The programme level: its total and how it is divided, the tranche plan of an award, and each gate with
    what it releases — the programme's own budget lines and the awards' tranches that wait for it."""
    by_gate = _gate_tranches(opening_ids, end, day)
    result = []
    for scheme in schemes:
        gates = list(ProgrammeGate.objects.filter(scheme=scheme).order_by("review_date", "code"))
        lines = list(ProgrammeBudgetLine.objects.filter(scheme=scheme).select_related("gate").order_by("id"))
        plan = list(
            TranchePlanItem.objects.filter(scheme=scheme, opening__isnull=True)
            .select_related("gate")
            .order_by("number")
        )
        plan_total = sum((item.amount for item in plan), Decimal("0"))
        lines_total = sum((line.amount for line in lines), Decimal("0"))
        result.append(
            {
                "code": scheme.code,
                "name": scheme.name,
                "total": None if scheme.programme_total is None else money(scheme.programme_total),
                "start_year": scheme.programme_start_year,
                "end_year": scheme.programme_end_year,
                "budget_lines": [
                    {
                        "code": line.code,
                        "label": line.label,
                        "purpose": line.purpose,
                        "amount": money(line.amount),
                        "gate": line.gate.code if line.gate_id else None,
                        "assumption": line.assumption,
                        "source": line.source,
                    }
                    for line in lines
                ],
                "budget_lines_total": money(lines_total),
                "unassigned": None
                if scheme.programme_total is None or not lines
                else money(scheme.programme_total - lines_total),
                "tranche_plan": [
                    {
                        "number": item.number,
                        "label": item.label,
                        "share_pct": pct(item.amount, plan_total),
                        "offset_months": item.offset_months,
                        "planned_date": item.planned_date.isoformat() if item.planned_date else None,
                        "gated": item.gated,
                        "gate": item.gate.code if item.gate_id else None,
                        "assumption": item.assumption,
                    }
                    for item in plan
                ],
                "gates": [
                    {
                        "code": gate.code,
                        "label": gate.label,
                        "review_kind": gate.review_kind,
                        "review_date": gate.review_date.isoformat(),
                        "passed": gate.review_date <= day,
                        "criteria": gate.criteria,
                        "source": gate.source,
                        "releases_budget": money(sum((ln.amount for ln in lines if ln.gate_id == gate.pk), Decimal(0))),
                        "releases_tranches": by_gate.get(
                            gate.pk,
                            {
                                key: {"count": 0, "amount": money(0)}
                                for key in ("planned", "due", "released", "withheld")
                            },
                        ),
                    }
                    for gate in gates
                ],
            }
        )
    return result
