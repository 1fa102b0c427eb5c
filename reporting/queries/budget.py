"""The money of a report: the ledger at a moment (or the openings' running totals today) and the ceilings."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from schemes.models import BudgetChange, LedgerEntry, Opening

from .base import money, pct


def _ledger(opening_ids: list[int], end: datetime.datetime) -> dict[int, dict[str, Decimal]]:
    """Per opening: reserved, committed, paid, settled, recovered at the moment, from the ledger."""
    kinds = LedgerEntry.objects.filter(opening_id__in=opening_ids, at__lt=end).values_list("opening_id", "kind")
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for opening_id, kind, amount in (
        kinds.order_by().annotate(total=Sum("amount")).values_list("opening_id", "kind", "total")
    ):
        totals[opening_id][kind] += amount or Decimal("0")
    result = {}
    for opening_id in opening_ids:
        t = totals.get(opening_id, {})
        result[opening_id] = {
            "reserved": t.get("reserve", Decimal("0")) - t.get("release", Decimal("0")),
            "committed": t.get("commit", Decimal("0")) - t.get("decommit", Decimal("0")),
            "paid": t.get("pay", Decimal("0")),
            "settled": t.get("settle", Decimal("0")),
            "recovered": t.get("recover", Decimal("0")),
        }
    return result


def _ledger_now(opening_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Today: the running totals kept on the openings, and the settlements from the ledger.

    ``schemes.budget`` books every ledger entry and moves the opening's totals in
    the same transaction, so the totals are the ledger's sums as of now; only
    settlements have no running total (one indexed sum).
    """
    settled = dict(
        LedgerEntry.objects.filter(opening_id__in=opening_ids, kind="settle")
        .values("opening_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("opening_id", "total")
    )
    result = {}
    for pk, reserved, committed, paid, recovered in Opening.objects.filter(pk__in=opening_ids).values_list(
        "pk", "reserved", "committed", "paid", "recovered"
    ):
        result[pk] = {
            "reserved": reserved,
            "committed": committed,
            "paid": paid,
            "settled": settled.get(pk) or Decimal("0"),
            "recovered": recovered,
        }
    return {pk: result[pk] for pk in opening_ids if pk in result}


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
