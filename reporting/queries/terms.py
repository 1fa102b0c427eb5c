"""The law's clocks in a report: lead times to the first decision and the penalties for default (Awb 4:17)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from applications import clocks
from applications.models import DefaultNotice

from .base import _fetch, money


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _lead_times(table: str) -> dict:
    """Days from submission to the first decision, for the applications decided by the date."""
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d),
                   COUNT(*)
            FROM (SELECT date_part('epoch', decided_at - submitted_at) / 86400.0 AS d
                  FROM {table} s WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL) t
        """
        median, p90, n = _fetch(sql)[0]
    else:
        sql = f"""
            SELECT julianday(decided_at) - julianday(submitted_at) AS d FROM {table} s
            WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL ORDER BY d
        """
        values = [row[0] for row in _fetch(sql)]
        median, p90, n = _percentile(values, 0.5), _percentile(values, 0.9), len(values)

    def days(value):
        return None if value is None else float(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))

    return {"median": days(median), "p90": days(p90), "decided": n}


def _penalty_from(notices: dict, day: datetime.date) -> dict:
    """The penalty run so far on the open applications, from the dates of their notices (date → count)."""
    total, count = Decimal("0"), 0
    for notice, n in notices.items():
        if isinstance(notice, str):
            notice = datetime.date.fromisoformat(notice)
        days = clocks.penalty_days(notice, day)
        if days > 0:
            count += n
            total += clocks.penalty(days) * n
    return {"applications": count, "amount": money(total)}


def _penalty_owed(opening_ids: list[int], day: datetime.date) -> dict:
    """Penalties that stopped running (the decision was sent, or 42 days ran) and stay owed: apart from exposure.

    ``fixed``: the part already fixed by its own decision (Awb 4:18).
    """
    notices = DefaultNotice.objects.filter(application__opening_id__in=opening_ids, amount_owed__gt=0).filter(
        Q(ended_on__lte=day) | Q(fixed_on__lte=day)
    )
    totals = notices.aggregate(
        n=Count("application_id", distinct=True),
        amount=Sum("amount_owed"),
        fixed=Sum("amount_owed", filter=Q(fixed_on__lte=day)),
    )
    return {
        "applications": totals["n"] or 0,
        "amount": money(totals["amount"] or Decimal("0")),
        "fixed": money(totals["fixed"] or Decimal("0")),
    }
