"""The limits of a scheme applied to one application, and to its applicant.

Called with the same code at submission, at the decision and at settlement:
the amount from the published rules, one application per window, the limits per
applicant over all its applications in the opening (``remaining_for``: also what
the first step of the form shows), de-minimis, and who may apply.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Sum
from django.utils.translation import gettext as _

from schemes.formatting import euro
from schemes.rules import DE_MINIMIS_LIMIT, Computation, DocumentType, Refusal

from . import clocks, eligibility
from .errors import Invalid
from .models import Application, DeMinimisAid, Unit
from .states import HOLDING_STATES, State


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


@dataclass(frozen=True)
class Remaining:
    """What an applicant still may ask in one opening, over all its applications there."""

    unit_label: str
    max_units: int | None
    units_held: int
    one_per_window: bool
    applications: int  # submitted in this opening and not withdrawn (a rejected one used the window too)

    @property
    def units_left(self) -> int | None:
        if self.max_units is None:
            return None
        return max(self.max_units - self.units_held, 0)

    @property
    def may_apply(self) -> bool:
        if self.one_per_window and self.applications:
            return False
        return self.units_left is None or self.units_left > 0

    @property
    def refusal(self) -> str:
        """Why the applicant cannot apply again in this opening ('' if it can)."""
        if self.one_per_window and self.applications:
            return _(
                "Uw organisatie heeft in deze openstelling al een aanvraag ingediend; per openstelling mag dat één keer."
            )
        if not self.may_apply:
            return _(
                "Uw organisatie heeft in deze openstelling al %(held)s %(unit)sen aangevraagd, het maximum per "
                "aanvrager; een nieuwe aanvraag kan er niet meer bij."
            ) % {"held": self.units_held, "unit": self.unit_label}
        return ""

    def lines(self) -> list[str]:
        """The count so far, in plain Dutch, for the applicant."""
        out = []
        if self.max_units is not None:
            out.append(
                _(
                    "Uw organisatie heeft in deze openstelling %(held)s van ten hoogste %(max)s %(unit)sen "
                    "aangevraagd; er kunnen er nog %(left)s bij."
                )
                % {"held": self.units_held, "max": self.max_units, "unit": self.unit_label, "left": self.units_left}
            )
        if self.one_per_window:
            out.append(
                _("Per openstelling kan uw organisatie één aanvraag indienen; u heeft er al een.")
                if self.applications
                else _("Per openstelling kan uw organisatie één aanvraag indienen.")
            )
        return out


def remaining_for(organisation, opening, *, exclude_application_id: int | None = None) -> Remaining:
    """The limits per applicant in ``opening`` and what ``organisation`` has used of them.

    Counted over the organisation's submitted applications (``exclude_application_id``: the one being judged),
    so three applications of 6 trajecten are 18 trajecten against a limit of 6, not three times 6.
    """
    rules = opening.published_rules
    mine = Application.objects.filter(opening_id=opening.pk, organisation_id=organisation.pk)
    if exclude_application_id:
        mine = mine.exclude(pk=exclude_application_id)
    held = 0
    if rules.max_units_per_applicant is not None:
        held = Unit.objects.filter(application__in=mine.filter(state__in=HOLDING_STATES)).count()
    applications = 0
    if rules.one_per_window:
        applications = mine.exclude(state__in=[State.DRAFT, State.WITHDRAWN]).count()
    return Remaining(
        unit_label=rules.unit_label or "eenheid",
        max_units=rules.max_units_per_applicant,
        units_held=held,
        one_per_window=rules.one_per_window,
        applications=applications,
    )


def de_minimis_window(on: datetime.date) -> datetime.date:
    """The first day of the rolling three years that end on ``on`` (EU 2023/2831, art. 3(2)): aid granted on or
    after this day counts; aid granted three years and a day before ``on`` no longer does."""
    return on - relativedelta(years=3) + datetime.timedelta(days=1)


def de_minimis_received(organisation, *, on: datetime.date, exclude_application_id: int | None = None) -> Decimal:
    """De-minimis aid to the single undertaking (the organisation and the enterprises linked to it) over the three
    years up to ``on``, counted from the dates of the grants: granted here, and aid elsewhere registered outside an
    application. What an application declares is counted with that application (``declared_elsewhere``), so aid
    declared in two applications is not counted twice."""
    group = eligibility.single_undertaking(organisation)
    aid = DeMinimisAid.objects.filter(
        organisation_id__in=group, granted_on__gte=de_minimis_window(on), granted_on__lte=on
    ).exclude(declared=True, application__isnull=False)
    if exclude_application_id:
        aid = aid.exclude(application_id=exclude_application_id)
    return aid.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def declared_elsewhere(application, *, on: datetime.date) -> tuple[Decimal, Decimal]:
    """The de-minimis aid the application declares received elsewhere: what counts (granted in the three years up
    to ``on``) and what falls outside them. A total without dates (a bulk row without its date, an older client)
    counts in full."""
    rows = application.de_minimis_declarations or []
    if not rows:
        return application.de_minimis_declared or Decimal("0.00"), Decimal("0.00")
    start = de_minimis_window(on)
    inside, outside = Decimal("0.00"), Decimal("0.00")
    for row in rows:
        amount = Decimal(str(row["amount"]))
        if start <= datetime.date.fromisoformat(row["granted_on"]) <= on:
            inside += amount
        else:
            outside += amount
    return inside, outside


@dataclass(frozen=True)
class DeMinimis:
    """The single undertaking's de-minimis aid over three years with this grant (EU 2023/2831)."""

    received_here: Decimal
    declared: Decimal
    this_grant: Decimal
    declared_outside: Decimal = Decimal("0.00")  # declared, but granted before the three years: not counted

    @property
    def total(self) -> Decimal:
        return self.received_here + self.declared + self.this_grant

    @property
    def within_limit(self) -> bool:
        return self.total <= DE_MINIMIS_LIMIT


def de_minimis(application, amount: Decimal | None, *, on: datetime.date) -> DeMinimis:
    """Granted here (other applications) + declared elsewhere within the three years up to ``on`` + this amount,
    against the € 300.000 limit."""
    declared, outside = declared_elsewhere(application, on=on)
    return DeMinimis(
        received_here=de_minimis_received(application.organisation, on=on, exclude_application_id=application.pk),
        declared=declared,
        this_grant=amount or Decimal("0.00"),
        declared_outside=outside,
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
    _check_allocated(application, result, asked=amount)
    if rules.shape == "per_unit" and rules.max_units_per_applicant is not None:
        _check_units_per_applicant(application, result)
    if rules.one_per_window and other_applications_in_window(application).exists():
        result.refuse(
            "opening",
            _(
                "Uw organisatie heeft in deze openstelling al een aanvraag ingediend; per openstelling mag dat één keer."
            ),
        )
    _check_who(application, rules, result, asked=amount)
    if rules.de_minimis:
        aid = de_minimis(application, result.amount, on=on or clocks.local_date())
        if not aid.within_limit:
            result.refuse(
                "de_minimis_declared",
                _(
                    "Met deze subsidie komt de de-minimissteun van uw onderneming, met de ondernemingen die ermee verbonden "
                    "zijn, over drie jaar op %(total)s; "
                    "dat mag ten hoogste %(max)s zijn."
                )
                % {"total": euro(aid.total), "max": euro(DE_MINIMIS_LIMIT)},
            )
    return result


def allocated_less(application) -> Decimal | None:
    """What a run of the distribution gave the application when that is less than it asked: a pro rata share, or
    the remainder the marginal application gets (Awb 4:25, tweede lid: "voor zover")."""
    reserved = application.amount_reserved or Decimal("0.00")
    if reserved <= 0:
        return None
    if application.opening.distribution == "pro_rata" or reserved < (application.amount_requested or reserved):
        return reserved
    return None


def _check_allocated(application, result: Computation, *, asked: Decimal | None) -> None:
    cap = allocated_less(application)
    if cap is None or result.amount <= cap:
        return
    if asked is not None:
        result.refuse(
            "amount",
            _("Het bedrag %(amount)s is hoger dan wat de verdeling deze aanvraag toekende (%(max)s).")
            % {"amount": euro(asked), "max": euro(cap)},
        )
        return
    result.amount = cap
    result.steps.append(_("beperkt tot wat de verdeling deze aanvraag toekende: %(max)s") % {"max": euro(cap)})


def _check_who(application, rules, result: Computation, *, asked: Decimal | None) -> None:
    """Who the scheme is for, as its data says: the SME test, a partnership's share of SMEs, a lower maximum for
    the applicant's sector, and the schemes that may not pay for the same traject."""
    if rules.sme_only:
        test = eligibility.sme_test(application.organisation)
        if not test.is_sme:
            result.refuse("sme", test.refusal())
    leads = eligibility.lead_applicants(application)
    if leads is not None and leads != 1:
        result.refuse(
            "partners",
            _("Een samenwerkingsverband heeft precies één penvoerder; bij deze aanvraag zijn dat er %(count)s.")
            % {"count": leads},
        )
    if rules.min_sme_share_partnership is not None and application.is_partnership:
        share = eligibility.sme_share(application)
        if share is not None and share < rules.min_sme_share_partnership:
            result.refuse(
                "partners",
                _(
                    "In een samenwerkingsverband moet ten minste %(min)s %% van de partners mkb zijn; bij deze aanvraag "
                    "is dat %(share)s %%."
                )
                % {
                    "min": eligibility.dutch_number(rules.min_sme_share_partnership),
                    "share": eligibility.dutch_number(share),
                },
            )
    cap = rules.sector_cap(application.organisation.sector)
    if cap is not None and result.amount > cap:
        sector = application.organisation.get_sector_display()
        if asked is not None:
            result.refuse(
                "amount",
                _("Het bedrag %(amount)s is hoger dan het maximum in de sector %(sector)s (%(max)s).")
                % {"amount": euro(asked), "sector": sector, "max": euro(cap)},
            )
        else:
            result.steps.append(_("ten hoogste %(max)s in de sector %(sector)s") % {"max": euro(cap), "sector": sector})
            result.amount = cap
    for line in eligibility.cumulation(application, rules.not_combined_with):
        result.refuse("cumulation", line)


def _check_units_per_applicant(application, result: Computation) -> None:
    """The units of this application together with the applicant's others in the opening."""
    remaining = remaining_for(application.organisation, application.opening, exclude_application_id=application.pk)
    if not remaining.units_held:
        return  # this application alone: the rules' own check said it
    count = len(unit_costs(application))
    if remaining.units_held + count > remaining.max_units:
        result.refuse(
            "units",
            _(
                "Uw organisatie heeft in deze openstelling al %(held)s %(unit)sen aangevraagd; met deze %(count)s "
                "zijn het er %(total)s, en per aanvrager mogen het er ten hoogste %(max)s zijn (nog %(left)s)."
            )
            % {
                "held": remaining.units_held,
                "unit": remaining.unit_label,
                "count": count,
                "total": remaining.units_held + count,
                "max": remaining.max_units,
                "left": remaining.units_left,
            },
        )


# --- what must be there before submitting: the scheme's documents, the de-minimis declaration ---------------


@dataclass(frozen=True)
class DocumentNeed:
    """One kind of document the scheme asks for, how many it asks and how many the application has."""

    kind: DocumentType
    needed: int
    present: int

    @property
    def missing(self) -> int:
        return max(self.needed - self.present, 0)

    def message(self, unit_label: str) -> str:
        if self.kind.per_unit:
            return _("Voeg toe: %(doc)s, één per %(unit)s; u heeft er %(present)s van de %(needed)s toegevoegd.") % {
                "doc": self.kind.label,
                "unit": unit_label,
                "present": self.present,
                "needed": self.needed,
            }
        return _("Voeg toe: %(doc)s.") % {"doc": self.kind.label}


def document_needs(application) -> list[DocumentNeed]:
    """Each document the published rules ask for, against the application's uploads that say they are one.

    A document asked once per unit (an offerte per traject) is needed as often as there are units.
    """
    kinds = application.opening.published_rules.document_types
    if not kinds:
        return []
    counts: dict[str, int] = {}
    for document in application.documents.all():
        if document.document_type:
            counts[document.document_type] = counts.get(document.document_type, 0) + 1
    units = len(application.units.all()) if any(kind.per_unit for kind in kinds) else 0
    return [DocumentNeed(kind, units if kind.per_unit else 1, counts.get(kind.code, 0)) for kind in kinds]


def missing_at_submission(application) -> list[Refusal]:
    """What the scheme asks to be there before an application is submitted, and is not: refused in the service,
    so the form, the API and the bulk upload cannot go round it."""
    rules = application.opening.published_rules
    refusals = [
        Refusal("documents", need.message(rules.unit_label or "eenheid"))
        for need in document_needs(application)
        if need.missing
    ]
    if rules.de_minimis and application.de_minimis_declared is None:
        message = _(
            "Geef op welke de-minimissteun uw onderneming in de afgelopen drie jaar elders kreeg, elk met het bedrag, "
            "de datum van verlening en de verstrekker; of verklaar dat zij geen de-minimissteun kreeg."
        )
        refusals.append(Refusal("de_minimis_declared", message))
    return refusals


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
