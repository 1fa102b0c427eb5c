"""The money of a report: the ledger at a moment (or the openings' running totals today) and the ceilings."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from schemes.models import BudgetChange, Opening

from .base import money, pct


def _ceilings(openings: list[Opening], end: datetime.datetime) -> dict[int, Decimal]:
    """Each opening's ceiling as it stood at the moment, from its recorded budget changes."""
    ceilings = {o.pk: o.budget_ceiling for o in openings}
    changes = BudgetChange.objects.filter(opening_id__in=ceilings).order_by("opening_id", "changed_at", "id")
    seen: set[int] = set()
    for change in changes:
        if change.changed_at < end:
            ceilings[change.opening_id] = change.new_ceiling
            seen.add(change.opening_id)
        elif change.opening_id not in seen:
            ceilings[change.opening_id] = change.old_ceiling
            seen.add(change.opening_id)
    return ceilings


def _lapsed(openings, ledger: dict[int, dict[str, Decimal]], ceilings: dict[int, Decimal], end) -> Decimal:
    """Vrijval: what a closed opening's ceiling did not commit or reserve by its close stays free — money that comes
    free after the close moves nobody up (``services.queue``), so it is reported apart, never as "available"."""
    total = Decimal("0")
    for opening in openings:
        if opening.closes_at <= end:
            own = ledger.get(opening.pk, {})
            free = ceilings.get(opening.pk, Decimal("0")) - own.get("reserved", 0) - own.get("committed", 0)
            total += max(free, Decimal("0"))
    return total


def _budget_block(ledger: dict[str, Decimal], ceiling: Decimal, *, lapsed: Decimal = Decimal("0")) -> dict:
    block = {
        "ceiling": money(ceiling),
        **{key: money(ledger.get(key, 0)) for key in ("reserved", "committed", "paid", "settled", "recovered")},
    }
    block["uptake_pct"] = pct(ledger.get("committed", 0), ceiling)
    block["pct"] = {
        key: pct(ledger.get(key, 0), ceiling) for key in ("reserved", "committed", "paid", "settled", "recovered")
    }
    block["lapsed"] = money(lapsed)  # vrijval: free after the close, not available to anyone
    block["available"] = money(ceiling - ledger.get("reserved", 0) - ledger.get("committed", 0) - lapsed)
    return block


def _sum_ledgers(ledgers) -> dict[str, Decimal]:
    total: dict[str, Decimal] = defaultdict(Decimal)
    for ledger in ledgers:
        for key, value in ledger.items():
            total[key] += value
    return total
