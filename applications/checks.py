"""The limits of a scheme applied to one application.

Called with the same code at submission, at the decision and at settlement:
the amount from the published rules, one application per window, de-minimis,
and who may apply.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Sum
from django.utils.translation import gettext as _

from schemes.formatting import euro
from schemes.rules import DE_MINIMIS_LIMIT, Computation

from . import clocks
from .errors import Invalid
from .models import Application, DeMinimisAid
from .states import State


def unit_costs(application) -> list[Decimal]:
    return [unit.cost for unit in application.units.all()]


def compute_amount(application, *, completed_only: bool = False) -> Computation:
    """The amount the published rules give this application."""
    rules = application.opening.published_rules
    if rules.shape == "per_unit":
        units = application.units.all()
        if completed_only:
            units = [u for u in units if u.status == "completed" and u.contract_extended]
        costs = [u.cost for u in units]
        if completed_only and not costs:
            result = Computation(amount=Decimal("0.00"))
            result.steps.append(_("geen afgeronde trajecten met verlengd contract: € 0,00"))
            return result
        return rules.compute(unit_costs=costs)
    eligible = application.eligible_costs
    if completed_only and application.actual_costs is not None:
        eligible = application.actual_costs
    return rules.compute(
        eligible_costs=eligible,
        requested_amount=application.requested_amount,
        partnership=application.is_partnership,
    )


def other_applications_in_window(application):
    return (
        Application.objects.filter(opening_id=application.opening_id, organisation_id=application.organisation_id)
        .exclude(pk=application.pk)
        .exclude(state__in=[State.DRAFT, State.WITHDRAWN])
    )


def de_minimis_received(organisation, *, on: datetime.date, exclude_application_id: int | None = None) -> Decimal:
    """De-minimis aid over the three years before ``on``: granted here plus declared elsewhere."""
    aid = DeMinimisAid.objects.filter(organisation=organisation, granted_on__gt=on - relativedelta(years=3))
    if exclude_application_id:
        aid = aid.exclude(application_id=exclude_application_id)
    return aid.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


@dataclass(frozen=True)
class DeMinimis:
    """The single undertaking's de-minimis aid over three years with this grant (EU 2023/2831)."""

    received_here: Decimal
    declared: Decimal
    this_grant: Decimal

    @property
    def total(self) -> Decimal:
        return self.received_here + self.declared + self.this_grant

    @property
    def within_limit(self) -> bool:
        return self.total <= DE_MINIMIS_LIMIT


def de_minimis(application, amount: Decimal | None, *, on: datetime.date) -> DeMinimis:
    """Granted here (other applications) + declared elsewhere + this amount, against the € 300.000 limit."""
    return DeMinimis(
        received_here=de_minimis_received(application.organisation, on=on, exclude_application_id=application.pk),
        declared=application.de_minimis_declared or Decimal("0.00"),
        this_grant=amount or Decimal("0.00"),
    )


def check_limits(application, *, amount: Decimal | None = None, on: datetime.date | None = None) -> Computation:
    """Every limit of the scheme, with its refusals; ``amount`` overrides the computed one."""
    rules = application.opening.published_rules
    result = compute_amount(application)
    if amount is not None:
        if amount > result.amount and result.ok:
            result.refuse(
                "amount",
                _("Het bedrag %(amount)s is hoger dan wat de regeling toestaat (%(max)s).")
                % {"amount": euro(amount), "max": euro(result.amount)},
            )
        result.amount = amount
    if rules.one_per_window and other_applications_in_window(application).exists():
        result.refuse(
            "opening",
            _(
                "Uw organisatie heeft in deze openstelling al een aanvraag ingediend; per openstelling mag dat één keer."
            ),
        )
    if rules.de_minimis:
        aid = de_minimis(application, result.amount, on=on or clocks.local_date())
        if not aid.within_limit:
            result.refuse(
                "de_minimis_declared",
                _(
                    "Met deze subsidie komt de de-minimissteun van uw organisatie over drie jaar op %(total)s; "
                    "dat mag ten hoogste %(max)s zijn."
                )
                % {"total": euro(aid.total), "max": euro(DE_MINIMIS_LIMIT)},
            )
    return result


# Rules no hardship clause sets aside: the ceiling (Awb 4:25) and the de-minimis limit (EU 2023/2831) are not the
# scheme's own to waive.
NOT_WAIVABLE = {"de_minimis_declared", "ceiling"}


def waive(result: Computation, rules: list[str]) -> Computation:
    """The refusals of the rules a hardship decision departs from, set aside (the others stay)."""
    result.refusals = [r for r in result.refusals if r.field not in rules or r.field in NOT_WAIVABLE]
    return result


def refuse_if(result: Computation, message: str) -> None:
    """A computation with refusals is refused as a whole, each refusal at its field."""
    if not result.ok:
        errors = result.errors_by_field()
        raise Invalid(message + " " + " ".join(r.message for r in result.refusals), errors)
