"""The programmes' figures: tranches and KPI measurements."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Subquery, Sum, Value, When

from applications.models import AuditEvent, Tranche
from applications.states import State
from schemes.models import KPI, KPIMeasurement, Scheme

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


def _kpis(schemes: list[Scheme], day: datetime.date) -> list[dict]:
    latest = KPIMeasurement.objects.filter(kpi=OuterRef("pk"), measured_on__lte=day).order_by("-measured_on")
    kpis = (
        KPI.objects.filter(scheme__in=schemes)
        .select_related("scheme")
        .annotate(realised=Subquery(latest.values("value")[:1]), period=Subquery(latest.values("period")[:1]))
        .order_by("scheme__name", "code")
    )
    result = []
    for kpi in kpis:
        span = kpi.target_value - kpi.baseline_value
        realised = None if kpi.realised is None else Decimal(str(kpi.realised))
        progress = pct(realised - kpi.baseline_value, span) if realised is not None and span else None
        result.append(
            {
                "scheme": kpi.scheme.code,
                "code": kpi.code,
                "name": kpi.name,
                "unit": kpi.unit,
                "baseline": money(kpi.baseline_value),
                "baseline_year": kpi.baseline_year,
                "target": money(kpi.target_value),
                "target_year": kpi.target_year,
                "realised": None if kpi.realised is None else money(kpi.realised),
                "period": kpi.period,
                "progress_pct": progress,
            }
        )
    return result
