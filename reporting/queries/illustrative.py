"""Figures a demonstration made up: which parts of a report rest on invented data, so the report says so.

A demo batch (the replay of an evaluation, say) registers the figures it
invented beyond its source; a report whose scope holds applications of that
batch carries ``illustrative``: the note, the batches and the keys of those
figures (dotted, as in the figure exports: ``breakdowns.size_class`` covers every
figure under it). The pages show the note next to them; the exports mark their rows.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_noop

from applications.models import Application

NOTE = gettext_noop("illustratief — niet uit de evaluatie")

_BATCHES: dict[str, dict] = {}


def register(batch: str, figures: tuple[str, ...], source: str) -> None:
    """``batch`` (``Application.demo_batch``) invented ``figures``; ``source`` names what the rest comes from."""
    _BATCHES[batch] = {"figures": tuple(figures), "source": source}


def illustrative_block(opening_ids: list[int], unit_funnel: list[dict]) -> dict | None:
    """The report's ``illustrative``: None when no application of the scope belongs to a registered batch."""
    if not _BATCHES or not opening_ids:
        return None
    batches = sorted(
        set(
            Application.objects.filter(opening_id__in=opening_ids, demo_batch__in=list(_BATCHES))
            .order_by()
            .values_list("demo_batch", flat=True)
            .distinct()
        )
    )
    if not batches:
        return None
    figures = sorted({f for batch in batches for f in _BATCHES[batch]["figures"]})
    # the funnel of units repeats the unit figures: its steps are as illustrative as they are
    steps = [f"unit_funnel.{i}" for i, step in enumerate(unit_funnel) if f"units.{step['step']}" in figures]
    for index in steps:
        unit_funnel[int(index.rsplit(".", 1)[1])]["illustrative"] = True
    return {
        "note": NOTE,
        "batches": batches,
        "sources": [_BATCHES[b]["source"] for b in batches],
        "figures": figures + steps,
    }


_KIND = re.compile(r"\.by_kind\.[^.]+\.")


def is_illustrative(key: str, block: dict | None) -> bool:
    """Whether the figure ``key`` (dotted) is one of the made-up ones, also per opening, group or kind of unit
    (``openings.0.units.started``, ``units.by_kind.traject.completed``)."""
    if not block:
        return False
    key = _KIND.sub(".", key)
    return any(
        key == f or key.startswith(f + ".") or key.endswith("." + f) or f".{f}." in key for f in block["figures"]
    )


def batch_is_illustrative(batch: str | None) -> bool:
    """Whether an application's ``demo_batch`` is one that made up part of its data."""
    return bool(batch) and batch in _BATCHES
