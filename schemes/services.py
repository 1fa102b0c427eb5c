"""Writes and checks of the catalogue: budget changes and the eligibility self-check."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from .formatting import euro
from .models import BudgetChange, Opening, Scheme
from .rules import DE_MINIMIS_LIMIT, Computation

# Sent after a ceiling has changed, under the opening's row lock, with the opening as it now is (``opening``) and
# the moment (``at``): the applications layer gives what a raised ceiling freed to the next in line.
ceiling_changed = Signal()


@dataclass
class SelfCheck:
    computation: Computation
    extra_refusals: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.computation.ok and not self.extra_refusals

    @property
    def refusals(self) -> list[str]:
        """Each reason once: in the self-check every unit costs the same, so one cost refusal says it all."""
        messages: list[str] = []
        seen_unit_cost = False
        for refusal in self.computation.refusals:
            if refusal.field.startswith("units.") and refusal.field.endswith(".cost"):
                if seen_unit_cost:
                    continue
                seen_unit_cost = True
            messages.append(refusal.message)
        return messages + self.extra_refusals


def self_check(
    *,
    scheme: Scheme,
    applicant_type: str = "employer",
    units: int | None = None,
    unit_cost: Decimal | None = None,
    eligible_costs: Decimal | None = None,
    requested_amount: Decimal | None = None,
    partnership: bool = False,
    de_minimis_received: Decimal | None = None,
) -> SelfCheck:
    """What an applicant would receive, and every reason why not, before applying."""
    opening = scheme.openings.order_by("-opens_at").first()
    rules = opening.published_rules if opening else scheme.current_rules()
    computation = rules.compute(
        unit_costs=[unit_cost] * units if units and unit_cost is not None else [],
        eligible_costs=eligible_costs,
        requested_amount=requested_amount,
        partnership=partnership,
    )
    result = SelfCheck(computation)
    if applicant_type == "intermediary" and not rules.intermediaries_allowed:
        result.extra_refusals.append(
            _(
                "Bij deze regeling kunnen alleen werkgevers zelf aanvragen; een intermediair kan niet namens hen aanvragen."
            )
        )
    if rules.de_minimis and de_minimis_received is not None:
        total = de_minimis_received + computation.amount
        if total > DE_MINIMIS_LIMIT:
            result.extra_refusals.append(
                _(
                    "Met deze subsidie komt uw de-minimissteun op %(total)s; in drie jaar mag dat ten hoogste %(max)s zijn."
                )
                % {"total": euro(total), "max": euro(DE_MINIMIS_LIMIT)}
            )
    return result


@transaction.atomic
def change_ceiling(*, opening: Opening, new_ceiling: Decimal, reason: str, user=None) -> BudgetChange:
    """Raise or lower a ceiling, with a reason. Never below what is already reserved and committed (4:27)."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Geef een reden voor de wijziging van het plafond.")})
    if new_ceiling < 0:
        raise ValidationError({"budget_ceiling": _("Het subsidieplafond kan niet negatief zijn.")})
    locked = Opening.objects.select_for_update().get(pk=opening.pk)
    if new_ceiling < locked.reserved + locked.committed:
        raise ValidationError(
            {
                "budget_ceiling": _("Het plafond kan niet lager dan wat al gereserveerd en verplicht is (%(amount)s).")
                % {"amount": euro(locked.reserved + locked.committed)}
            }
        )
    change = BudgetChange.objects.create(
        opening=locked,
        old_ceiling=locked.budget_ceiling,
        new_ceiling=new_ceiling,
        reason=reason.strip(),
        changed_by=user,
    )
    Opening.objects.filter(pk=locked.pk).update(budget_ceiling=new_ceiling)
    opening.budget_ceiling = locked.budget_ceiling = new_ceiling
    ceiling_changed.send(sender=Opening, opening=locked, at=timezone.now())
    return change
