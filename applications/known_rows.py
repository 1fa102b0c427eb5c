"""Telling Django what we already hold, so it does not read it again: the one place that touches its caches.

The opening-day rush (``python -m bench rush``) is decided by the queries per
submission. Three facts the ORM cannot know: the units a draft was just created
with are all its units; the scheme and organisation the caller read are the
same rows the locked application points at; and a row saved from a second,
locked instance holds what the caller's instance should now hold. Django keeps
these in private attributes (``_prefetched_objects_cache``, ``_state.fields_cache``);
these helpers are the only writers of them in the project, so an upgrade of
Django has one place to check (``tests/applications/test_known_rows.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


def prefetched(instance: models.Model, relation: str, rows: Iterable[models.Model]) -> None:
    """``instance.<relation>.all()`` is exactly ``rows`` from now on, without a query."""
    queryset = getattr(instance, relation).all()
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    cache = getattr(instance, "_prefetched_objects_cache", {})
    instance._prefetched_objects_cache = {**cache, relation: queryset}


def cached_relation(instance: models.Model, name: str) -> models.Model | None:
    """The related row ``instance.<name>`` already holds, or None (never a query)."""
    return instance._state.fields_cache.get(name)


def carry(instance: models.Model, name: str, related: models.Model | None) -> None:
    """``instance.<name>`` is ``related`` when it is the row the foreign key points at; otherwise nothing changes."""
    if related is None:
        return
    field = instance._meta.get_field(name)
    if getattr(instance, field.attname) == related.pk:
        instance._state.fields_cache[name] = related


def adopt(instance: models.Model, fresh: models.Model) -> None:
    """``instance`` takes every column, the related rows and the prefetches of ``fresh``: a refresh without a query."""
    for field in instance._meta.concrete_fields:
        instance.__dict__[field.attname] = fresh.__dict__[field.attname]
    instance._state.fields_cache = dict(fresh._state.fields_cache)
    instance._prefetched_objects_cache = dict(getattr(fresh, "_prefetched_objects_cache", {}))
