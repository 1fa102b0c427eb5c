"""The seeds of draws, fixed before anyone knows the list they order (Awb 4:26; lottery integrity).

A seed is drawn by the system (``secrets``), never typed by a person, and its SHA-256 is recorded the moment it is
committed: for a draw after the window, at the latest when the window closes (``manage.py``'s daily clocks) or when
the draw is first looked at; for first come, first served, the moment the ceiling is crossed — the day's list is
not complete until that day ends. The seed itself is shown only with the result; anyone can then check that its
hash is the one recorded before, and recompute the order from it and the published references.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from schemes.models import Opening

from ..models import LotterySeed


def digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def committed(opening: Opening, *, day: datetime.date | None = None) -> LotterySeed | None:
    rows = LotterySeed.objects.filter(opening=opening)
    return (rows.filter(day=day) if day is not None else rows.filter(day__isnull=True)).first()


def commit(opening: Opening, *, day: datetime.date | None = None, at: datetime.datetime | None = None) -> LotterySeed:
    """The seed of the opening's window (or of one first come, first served day): the one committed before, or a
    new one from the system's random source, its hash recorded now."""
    existing = committed(opening, day=day)
    if existing is not None:
        return existing
    seed = secrets.token_hex(32)
    try:
        with transaction.atomic():
            return LotterySeed.objects.create(
                opening=opening, day=day, seed=seed, digest=digest(seed), committed_at=at or timezone.now()
            )
    except IntegrityError:  # committed at the same moment by another request: that one holds
        return committed(opening, day=day)


def commit_closed_windows(now: datetime.datetime | None = None) -> int:
    """Every closed window that is drawn after the close has its seed committed (the daily clocks)."""
    now = now or timezone.now()
    has_seed = LotterySeed.objects.filter(opening=OuterRef("pk"), day__isnull=True)
    waiting = Opening.objects.exclude(distribution="fcfs").filter(closes_at__lte=now).filter(~Exists(has_seed))
    return sum(1 for opening in waiting if commit(opening, at=now))


__all__ = ["commit", "commit_closed_windows", "committed", "digest"]
