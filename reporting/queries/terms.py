"""The law's clocks in a report: lead times to the first decision and the penalties for default (Awb 4:17)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from applications import clocks
from applications.models import DefaultNotice

from .base import money
from .figures import percentile


def _lead_times(histogram: dict[int, int]) -> dict:
    """Calendar days from submission to the first decision, for the applications decided by the date:
    the median and the 90th percentile (interpolated as PostgreSQL's percentile_cont) of the days."""

    def days(value):
        return None if value is None else float(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))

    return {
        "median": days(percentile(histogram, 0.5)),
        "p90": days(percentile(histogram, 0.9)),
        "decided": sum(histogram.values()),
    }


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
