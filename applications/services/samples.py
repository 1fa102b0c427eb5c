"""Sample checks of the small grants settled ex officio as granted (the EZK framework: up to € 25.000 no report,
with sample checks).

Each day the clocks draw, per opening, from the small grants that came up for their ex officio settlement and were
not considered before: a grant is drawn when the HMAC of the day's seed and its reference, read as a fraction of
2^256, falls below the scheme's percentage (``Rules.sample_check_pct``, default 5 %). The seed is the system's
(``secrets``), recorded with the percentage, the candidates and those drawn (``SampleDraw``), so anyone recomputes
the draw (``recompute``). A grant drawn is not settled by the clocks: it waits, marked, for a case worker who
checks it and proposes the settlement (four eyes as ever); the others are proposed ex officio as before.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from decimal import Decimal

from django.db import transaction

from schemes.models import Opening

from .. import audit
from ..models import Application, SampleDraw

CONTEXT = "open-subsidie-steekproef-v1"
SPACE = 2**256


def new_seed() -> str:
    return secrets.token_hex(32)


def sample_key(seed: str, reference: str) -> int:
    """The candidate's number in [0, 2^256): the HMAC-SHA-256 of the seed over the reference."""
    digest = hmac.new(seed.encode(), f"{CONTEXT}:{reference}".encode(), hashlib.sha256).hexdigest()
    return int(digest, 16)


def is_drawn(seed: str, reference: str, percentage: Decimal) -> bool:
    """Drawn when key / 2^256 < percentage / 100, in whole numbers (no rounding)."""
    hundredths = int((Decimal(percentage) * 100).to_integral_value())
    return sample_key(seed, reference) * 10_000 < hundredths * SPACE


def recompute(draw: SampleDraw) -> list[str]:
    """The references drawn, from the recorded seed, percentage and candidates."""
    return [ref for ref in draw.candidates if is_drawn(draw.seed, ref, draw.percentage)]


@transaction.atomic
def draw(opening: Opening, applications: list[Application], *, day: datetime.date) -> SampleDraw:
    """Draw the day's sample among ``applications`` (small grants of ``opening`` not considered before), record it
    and mark each candidate as considered; those drawn are marked for a check and say so in their file."""
    percentage = opening.published_rules.sample_check_pct
    seed = new_seed()
    references = sorted(app.reference for app in applications)
    drawn = [ref for ref in references if is_drawn(seed, ref, percentage)]
    record = SampleDraw.objects.create(
        opening=opening, day=day, seed=seed, percentage=percentage, candidates=references, drawn=drawn
    )
    chosen = set(drawn)
    for app in applications:
        app.sample_draw = record
        app.sample_selected = app.reference in chosen
        app.save(update_fields=["sample_draw", "sample_selected", "version"])
        if app.sample_selected:
            audit.record(
                app,
                None,
                "sample_check_drawn",
                data={"draw": record.pk, "percentage": percentage, "seed": seed, "day": day},
            )
    return record


__all__ = ["draw", "is_drawn", "new_seed", "recompute", "sample_key"]
