"""Unconditional tranches of a programme award, released on schedule.

A gated tranche waits for a four-eyes decision (``propose_tranche`` and
``approve_decision``); an unconditional one is released by the daily clock job
on its planned date. Running this twice releases nothing twice.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from . import clocks
from .models import Application, Tranche
from .services import Context, _audit, _now, release_tranche
from .states import State

RELEASING_STATES = (State.GRANTED, State.SETTLEMENT_REQUESTED)


def release_due_tranches(today: datetime.date | None = None) -> list[Tranche]:
    """Release every unconditional tranche planned on or before ``today``; the system acts."""
    today = today or clocks.local_date()
    released: list[Tranche] = []
    due = (
        Tranche.objects.filter(
            gated=False,
            status=Tranche.Status.PLANNED,
            planned_date__lte=today,
            application__state__in=RELEASING_STATES,
        )
        .order_by("application_id", "number")
        .values_list("pk", flat=True)
    )
    for pk in list(due):
        with transaction.atomic():
            tranche = Tranche.objects.select_for_update().filter(pk=pk, status=Tranche.Status.PLANNED).first()
            if tranche is None:  # released by a run at the same time
                continue
            app = Application.objects.select_for_update().get(pk=tranche.application_id)
            if app.state not in RELEASING_STATES:
                continue
            now = _now()
            ctx = Context(application=app, user=None, data={}, now=now, today=today)
            release_tranche(app, tranche, release=True, ctx=ctx)
            _audit(
                app,
                None,
                "release_tranche",
                app.state,
                app.state,
                reason=tranche.label,
                data={"tranche": tranche.number, "amount": tranche.amount, "planned_date": tranche.planned_date},
                at=now,
            )
            released.append(tranche)
    return released
