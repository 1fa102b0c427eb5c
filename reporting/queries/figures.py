"""The additive figures of an opening: sums over its applications' facts and its ledger.

Everything a report counts per opening is a sum, so the figures of a day are
the figures of an earlier day plus what changed in between (``snapshots``):

- ``cat``: per category (open, granted …) the applications, their units and amount;
- ``dim``: per breakdown (sector, size class, province, channel) and value, the applications per category;
- ``due``: the applications whose decision is ours, by the date their decision is due (overdue is
  "due before the report's day", so it is counted when the report is read);
- ``notice``: the applications with a running term, by the date of a notice of default (Awb 4:17);
- ``reason``: rejections by reason code; ``lead``: first decisions by calendar days since submission;
- ``occupation``: granted units by the occupation's sector; ``progress``: what settlement requests reported;
- ``ledger``: the ledger's sums by kind (reserve, release, commit, …).

What is not a sum — how many *different* organisations hold a grant across
several openings, and the median of the lead times — is read from these parts
(the lead times' histogram) or kept apart (``snapshots.GrantedOrganisation``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .base import CATEGORIES
from .facts import Fact
from .units import PROGRESS

DIMENSIONS = ("sector", "size_class", "province", "channel")
COUNTERS = ("due", "notice", "reason", "lead", "occupation", "progress")


def empty() -> dict:
    return {"cat": {}, "dim": {d: {} for d in DIMENSIONS}, **{c: {} for c in COUNTERS}, "ledger": {}}


def _bump(mapping: dict, key, value) -> None:
    total = mapping.get(key, 0) + value
    if total:
        mapping[key] = total
    else:
        mapping.pop(key, None)


def add_fact(figures: dict, fact: Fact, sign: int = 1) -> None:
    """Count one application's fact in (sign 1) or out of (sign -1) the figures of its opening."""
    category = fact.category
    cat = figures["cat"].setdefault(category, {"n": 0, "units": 0, "amount": Decimal("0.00")})
    cat["n"] += sign
    cat["units"] += sign * fact.units
    cat["amount"] += sign * fact.amount
    if not cat["n"] and not cat["units"] and not cat["amount"]:
        del figures["cat"][category]
    for dimension in DIMENSIONS:
        values = figures["dim"][dimension]
        value = getattr(fact, dimension)
        per_category = values.setdefault(value, {})
        _bump(per_category, category, sign)
        if not per_category:
            del values[value]
    if fact.decision_due is not None and category == "open":
        _bump(figures["due"], fact.decision_due.isoformat(), sign)
    if fact.notice_on is not None:
        _bump(figures["notice"], fact.notice_on.isoformat(), sign)
    if fact.reason is not None:
        _bump(figures["reason"], fact.reason, sign)
    if fact.lead_days is not None:
        _bump(figures["lead"], str(fact.lead_days), sign)
    for sector, n in fact.occupations:
        _bump(figures["occupation"], sector, sign * n)
    for key, n in zip(PROGRESS, fact.progress, strict=False):  # Fact.progress is in the order of PROGRESS
        _bump(figures["progress"], key, sign * n)


def add_ledger(figures: dict, kind: str, amount, sign: int = 1) -> None:
    _bump(figures["ledger"], kind, sign * Decimal(str(amount or 0)).quantize(Decimal("0.01")))


def add(figures: dict, other: dict, sign: int = 1) -> None:
    """Add (or subtract) the figures ``other`` to ``figures``."""
    for category, values in other["cat"].items():
        cat = figures["cat"].setdefault(category, {"n": 0, "units": 0, "amount": Decimal("0.00")})
        for key in ("n", "units", "amount"):
            cat[key] += sign * values[key]
        if not cat["n"] and not cat["units"] and not cat["amount"]:
            del figures["cat"][category]
    for dimension, values in other["dim"].items():
        mine = figures["dim"].setdefault(dimension, {})
        for value, per_category in values.items():
            target = mine.setdefault(value, {})
            for category, n in per_category.items():
                _bump(target, category, sign * n)
            if not target:
                del mine[value]
    for counter in (*COUNTERS, "ledger"):
        for key, n in other[counter].items():
            _bump(figures[counter], key, sign * n)


def of_facts(facts, figures_by_opening: dict | None = None, sign: int = 1) -> dict[int, dict]:
    """The figures per opening of ``facts`` (added to ``figures_by_opening`` when given)."""
    result = figures_by_opening if figures_by_opening is not None else {}
    for fact in facts:
        add_fact(result.setdefault(fact.opening_id, empty()), fact, sign)
    return result


# --- stored as JSON: amounts as text, so nothing is lost to floating point --------------------------


def to_json(figures: dict) -> dict:
    return {
        **figures,
        "cat": {c: {**v, "amount": str(v["amount"])} for c, v in figures["cat"].items()},
        "ledger": {k: str(v) for k, v in figures["ledger"].items()},
    }


def from_json(data: dict) -> dict:
    figures = empty()
    figures.update({k: v for k, v in data.items() if k in figures})
    figures["cat"] = {c: {**v, "amount": Decimal(v["amount"])} for c, v in data.get("cat", {}).items()}
    figures["ledger"] = {k: Decimal(v) for k, v in data.get("ledger", {}).items()}
    return figures


# --- what a report reads from them ----------------------------------------------------------------


def counts(figures: dict) -> dict[str, int]:
    return {c: figures["cat"].get(c, {}).get("n", 0) for c in CATEGORIES}


def overdue(figures: dict, day) -> int:
    """Decisions of ours due before ``day``: past their term (Awb 4:13) on that day."""
    iso = day.isoformat()
    return sum(n for due, n in figures["due"].items() if due < iso)


def ledger_block(figures: dict) -> dict[str, Decimal]:
    t = defaultdict(Decimal, figures["ledger"])
    return {
        "reserved": t["reserve"] - t["release"],
        "committed": t["commit"] - t["decommit"],
        "paid": t["pay"],
        "settled": t["settle"],
        "recovered": t["recover"],
    }


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont), over a histogram."""
    total = sum(histogram.values())
    if not total:
        return None
    position = (total - 1) * fraction
    low_rank = int(position)
    high_rank = min(low_rank + 1, total - 1)
    low = high = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    return low + (high - low) * (position - low_rank)
