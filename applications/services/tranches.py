"""The tranches of a programme award: planned at the grant, released on schedule or by a decision.

A gated tranche waits for a four-eyes decision (``propose_tranche`` and
``approve_decision``): released, withheld, or released at a lower amount (reduced:
the rest withheld). Withheld and reduced are decisions with a letter and an
objection term; an upheld objection pays what was held back. An unconditional
tranche is released by the daily clock job on its planned date. Running the
release twice releases nothing twice.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schemes import budget
from schemes.formatting import euro
from schemes.models import KPI, KPIMeasurement, TranchePlanItem

from .. import audit, clocks
from ..errors import Invalid
from ..models import Application, Decision, Payment, Tranche
from ..states import RELEASING_STATES
from .actions import Context


def plan(app: Application, amount: Decimal, start: datetime.date | None = None) -> None:
    """The award split over the opening's (or else the scheme's) tranche plan, in proportion.

    Dates count from ``start``, the award's start (its grant): a partnership granted in 2026 gets its tranches in
    2026, 2028 and 2030, not on the dates of one that started earlier. A gated tranche carries its programme gate
    and is reviewed once the gate has come and the tranche is due (``TranchePlanItem.dates_for``).
    """
    start = start or clocks.local_date()
    items = list(TranchePlanItem.objects.filter(opening=app.opening).select_related("gate").order_by("number")) or list(
        TranchePlanItem.objects.filter(scheme=app.opening.scheme, opening__isnull=True)
        .select_related("gate")
        .order_by("number")
    )
    if not items:
        Tranche.objects.create(
            application=app, number=1, label=_("Volledige toekenning"), amount=amount, planned_date=start
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
        planned, review = item.dates_for(start)
        Tranche.objects.create(
            application=app,
            number=item.number,
            label=item.label,
            amount=share,
            planned_date=planned,
            gated=item.gated,
            gate=item.gate,
            review_kind=item.review_kind,
            review_date=review,
        )


NUMBER = re.compile(r"^\d+(,\d+)?$")


def defined_kpis(app: Application) -> list[KPI]:
    """The programme's KPIs a gate decision on this award may name; the demo's own never for a real award."""
    defined = KPI.objects.filter(scheme=app.opening.scheme_id).order_by("code")
    if not app.opening.is_demo:
        defined = defined.filter(is_demo=False)
    return list(defined)


def kpi_values(app: Application, raw) -> dict[str, str]:
    """The KPI values a gate decision rests on: each the code of one of the programme's KPIs and a number.

    Refused with a message per KPI otherwise; an empty or free-form object says nothing about the gate. Numbers as
    written in the form (``1600`` or ``12,5``; no thousands separator, so 1.600 is never read as 1,6) or in JSON.
    """
    kpis = {k.code: k for k in defined_kpis(app)}
    if not kpis:
        message = _(
            "Deze regeling heeft geen KPI's vastgelegd; leg ze eerst vast in het beheer, dan rust het besluit erop."
        )
        raise Invalid(message, {"kpi_values": [message]})
    if not isinstance(raw, dict) or not raw:
        message = _("Leg de KPI-waarden vast waarop dit besluit rust.")
        raise Invalid(message, {"kpi_values": [_("Een object met KPI-code en waarde.")]})
    problems: list[str] = []
    values: dict[str, str] = {}
    for code, value in raw.items():
        if code not in kpis:
            problems.append(
                _("'%(code)s' is geen KPI van deze regeling; kies uit: %(codes)s.")
                % {"code": str(code)[:60], "codes": ", ".join(sorted(kpis))}
            )
            continue
        number = _number(value)
        if number is None:
            problems.append(
                _("De waarde van %(code)s is geen getal van nul of meer (schrijf 1600 of 12,5).") % {"code": code}
            )
            continue
        values[code] = _plain(number)
    if problems:
        raise Invalid(" ".join(problems), {"kpi_values": problems})
    return values


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, str) and NUMBER.match(value.strip()):
        text = value.strip().replace(",", ".")
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number >= Decimal("1e14"):
        return None
    return number.quantize(Decimal("0.01"))


def _plain(number: Decimal) -> str:
    """1600.00 → "1600", 12.50 → "12.5": the value as a number, without trailing zeros."""
    return f"{number.normalize():f}"


def record_kpi_values(app: Application, tranche: Tranche, values: dict, on: datetime.date) -> None:
    """The values a gate decision rested on become this award's own measurements of the programme's KPIs."""
    kpis = {k.code: k for k in KPI.objects.filter(scheme=app.opening.scheme_id, code__in=list(values))}
    period = f"beoordeling tranche {tranche.number}"  # data, in the catalogue's language: not the user's
    for code, value in values.items():
        kpi = kpis.get(code)
        try:  # written by ``kpi_values`` as a plain number ("1500000.5")
            number = Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            number = None
        if kpi is None or number is None or not number.is_finite():  # from before the values were tied to KPIs
            continue
        KPIMeasurement.objects.update_or_create(
            kpi=kpi,
            application=app,
            period=period,
            defaults={
                "measured_on": on,
                "value": number,
                "kind": kpi.kind,
                "source": f"besluit over tranche {tranche.number}",
            },
        )


DECISION_KINDS = (Decision.Kind.TRANCHE_RELEASE, Decision.Kind.TRANCHE_WITHHOLD, Decision.Kind.TRANCHE_REDUCE)
# Not (all) of the tranche is paid: a decision with a letter and six weeks to object (Awb 6:7).
OBJECTABLE = (Decision.Kind.TRANCHE_WITHHOLD, Decision.Kind.TRANCHE_REDUCE)


def check_reduction(tranche: Tranche, amount: Decimal, *, release: bool) -> None:
    """A reduction releases more than nothing and less than the tranche; refused with a message otherwise."""
    if not release:
        message = _("Een lager bedrag geeft u vrij: kies 'vrijgeven' met dat bedrag, of 'inhouden' zonder bedrag.")
        raise Invalid(message, {"amount": [message]})
    if not Decimal("0.00") < amount < tranche.amount:
        message = _(
            "Een verlaagde tranche geeft meer dan € 0 en minder dan de tranche (%(amount)s) vrij; "
            "de hele tranche vrijgeven of inhouden doet u zonder bedrag."
        ) % {"amount": euro(tranche.amount)}
        raise Invalid(message, {"amount": [message]})


def decide(app: Application, decision, ctx: Context) -> None:
    """An approved tranche decision takes effect: released, withheld, or released at the lower amount."""
    kpi_values = decision.data.get("kpi_values", {})
    if decision.kind == Decision.Kind.TRANCHE_REDUCE:
        release_tranche(app, decision.tranche, release=True, ctx=ctx, kpi_values=kpi_values, amount=decision.amount)
        return
    release = decision.kind == Decision.Kind.TRANCHE_RELEASE
    release_tranche(app, decision.tranche, release=release, ctx=ctx, kpi_values=kpi_values)


def release_tranche(
    app: Application, tranche: Tranche, *, release: bool, ctx: Context, kpi_values=None, amount: Decimal | None = None
) -> None:
    """Released: its payment is due — of ``amount`` if lower, the rest no longer committed. Withheld: its amount is
    no longer committed."""
    tranche.status = Tranche.Status.RELEASED if release else Tranche.Status.WITHHELD
    tranche.kpi_values = kpi_values or {}
    if kpi_values:
        record_kpi_values(app, tranche, kpi_values, ctx.today)
    tranche.decided_at = ctx.now
    withheld = tranche.amount if not release else tranche.amount - (tranche.amount if amount is None else amount)
    tranche.withheld_amount = withheld if release else Decimal("0.00")  # a withheld tranche keeps its whole amount
    tranche.save()
    if release:
        _pay(app, tranche, tranche.amount - withheld, ctx)
    if withheld:
        opening = budget.lock_opening(app.opening_id)
        note = "tranche verlaagd" if release else "tranche ingehouden"
        budget.set_commitment(opening, app, app.amount_committed - withheld, note=note, at=ctx.now)


def _pay(app: Application, tranche: Tranche, amount: Decimal, ctx: Context) -> None:
    Payment.objects.create(
        application=app,
        kind=Payment.Kind.TRANCHE,
        amount=amount,
        tranche=tranche,
        due_date=clocks.payment_due(ctx.today),
        created_at=ctx.now,
    )


def check_release_on_objection(contested: Decision, amount: Decimal | None) -> tuple[Decimal, Decimal]:
    """What the tranche released before, and what it releases after the objection; refused when not more."""
    tranche = contested.tranche
    was_released = tranche.released_amount if tranche.status == Tranche.Status.RELEASED else Decimal("0.00")
    target = tranche.amount if amount is None else amount
    if not was_released < target <= tranche.amount:
        message = _(
            "Geef wat de tranche na het bezwaar vrijgeeft: meer dan %(released)s en ten hoogste %(amount)s."
        ) % {"released": euro(was_released), "amount": euro(tranche.amount)}
        raise Invalid(message, {"amount": [message]})
    return was_released, target


def release_on_objection(app: Application, contested: Decision, ctx: Context, *, amount: Decimal | None) -> dict:
    """An upheld objection against a withheld or reduced tranche: what was held back is committed again and its
    payment due — all of it, or (partly upheld) up to ``amount`` for the tranche."""
    tranche = contested.tranche
    was_released, target = check_release_on_objection(contested, amount)
    extra = target - was_released
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(
        opening, app, app.amount_committed + extra, note="bezwaar gegrond: tranche vrijgegeven", at=ctx.now
    )
    tranche.status = Tranche.Status.RELEASED
    tranche.withheld_amount = tranche.amount - target
    tranche.decided_at = ctx.now
    tranche.save()
    _pay(app, tranche, extra, ctx)
    return {"tranche": tranche.number, "released": extra, "tranche_released": target}


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
