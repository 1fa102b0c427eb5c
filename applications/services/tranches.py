"""The tranches of a programme award: planned at the grant, released on schedule or by a decision.

A gated tranche waits for a four-eyes decision (``propose_tranche`` and
``approve_decision``); an unconditional one is released by the daily clock job
on its planned date. Running the release twice releases nothing twice.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schemes import budget
from schemes.models import TranchePlanItem

from .. import audit, clocks
from ..models import Application, Payment, Tranche
from ..states import RELEASING_STATES
from .actions import Context


def plan(app: Application, amount: Decimal) -> None:
    """The award split over the opening's (or else the scheme's) tranche plan, in proportion."""
    items = list(TranchePlanItem.objects.filter(opening=app.opening).order_by("number")) or list(
        TranchePlanItem.objects.filter(scheme=app.opening.scheme, opening__isnull=True).order_by("number")
    )
    if not items:
        Tranche.objects.create(
            application=app, number=1, label=_("Volledige toekenning"), amount=amount, planned_date=clocks.local_date()
        )
        return
    plan_total = sum((item.amount for item in items), Decimal("0"))
    assigned = Decimal("0.00")
    for index, item in enumerate(items):
        if index == len(items) - 1:
            share = amount - assigned
        else:
            share = (amount * item.amount / plan_total).quantize(Decimal("0.01"))
        assigned += share
        Tranche.objects.create(
            application=app,
            number=item.number,
            label=item.label,
            amount=share,
            planned_date=item.planned_date,
            gated=item.gated,
            review_kind=item.review_kind,
            review_date=item.review_date,
        )


def decide(app: Application, decision, ctx: Context) -> None:
    """An approved tranche decision takes effect: released, or withheld."""
    release = decision.kind == "tranche_release"
    release_tranche(app, decision.tranche, release=release, ctx=ctx, kpi_values=decision.data.get("kpi_values", {}))


def release_tranche(app: Application, tranche: Tranche, *, release: bool, ctx: Context, kpi_values=None) -> None:
    """Released: its payment is due. Withheld: its amount is no longer committed."""
    tranche.status = Tranche.Status.RELEASED if release else Tranche.Status.WITHHELD
    tranche.kpi_values = kpi_values or {}
    tranche.decided_at = ctx.now
    tranche.save()
    if release:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.TRANCHE,
            amount=tranche.amount,
            tranche=tranche,
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    else:
        opening = budget.lock_opening(app.opening_id)
        budget.set_commitment(
            opening, app, app.amount_committed - tranche.amount, note="tranche ingehouden", at=ctx.now
        )


def release_on_objection(app: Application, tranche: Tranche, ctx: Context) -> dict:
    """An upheld objection against a withheld tranche: committed again, released, its payment due."""
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(
        opening, app, app.amount_committed + tranche.amount, note="bezwaar gegrond: tranche vrijgegeven", at=ctx.now
    )
    release_tranche(app, tranche, release=True, ctx=ctx, kpi_values=tranche.kpi_values)
    return {"tranche": tranche.number, "released": tranche.amount}


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
            now = timezone.now()
            ctx = Context(application=app, user=None, data={}, now=now, today=today)
            release_tranche(app, tranche, release=True, ctx=ctx)
            audit.record(
                app,
                None,
                "release_tranche",
                reason=tranche.label,
                data={"tranche": tranche.number, "amount": tranche.amount, "planned_date": tranche.planned_date},
                at=now,
            )
            released.append(tranche)
    return released
