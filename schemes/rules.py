"""A scheme's financial rules and the one computation of an amount.

The same ``Rules.compute`` judges the eligibility self-check, the form, the API,
submission, the decision and the settlement: one source of truth per rule.
Every refusal says which limit it broke, in plain Dutch.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .formatting import euro

CENT = Decimal("0.01")

# The published rules of a scheme, in three groups (the admin shows them so); the one list of rule fields.
AMOUNT_RULES = (
    "shape",
    "unit_label",
    "unit_amount",
    "min_unit_cost",
    "max_units_per_applicant",
    "percentage",
    "min_amount",
    "max_amount",
    "max_amount_partnership",
    "min_eligible_costs",
)
WHO_RULES = (
    "intermediaries_allowed",
    "one_per_window",
    "de_minimis",
    "sme_only",
    "min_sme_share_partnership",
    "max_amount_by_sector",
    "not_combined_with",
)
TERM_RULES = (
    "decision_term_weeks",
    "decision_term_from",
    "settlement_term_weeks",
    "supplement_term_days",
    "advance_pct",
    "ex_officio_below",
    "accountant_above",
    "sample_check_pct",
    "ex_officio_when_late",
)
# How a tender's committee scores: the mean of its assessors, or the consensus it recorded.
ALLOCATION_RULES = ("tender_score",)
# The documents an application must carry before it can be submitted (``DocumentType``).
DOCUMENT_RULES = ("required_documents",)
RULE_FIELDS = (*AMOUNT_RULES, *WHO_RULES, *TERM_RULES, *ALLOCATION_RULES, *DOCUMENT_RULES)
MONEY_FIELDS = {
    "unit_amount",
    "min_unit_cost",
    "min_amount",
    "max_amount",
    "max_amount_partnership",
    "min_eligible_costs",
    "ex_officio_below",
    "accountant_above",
}
DECIMAL_FIELDS = MONEY_FIELDS | {"percentage", "advance_pct", "min_sme_share_partnership", "sample_check_pct"}
DE_MINIMIS_LIMIT = Decimal("300000.00")
# The EZK framework of accounting for a grant (verantwoording), the default where a scheme says nothing else:
# up to € 25.000 no report (where the scheme fixes small grants ex officio), up to € 125.000 a report of the
# activities, above € 125.000 a report with an accountant's statement.
ACCOUNTANT_ABOVE = Decimal("125000.00")
NO_REPORT, ACTIVITY_REPORT, ACCOUNTANT_STATEMENT = "none", "report", "accountant"


# What a money column (14 digits, 2 after the point) can hold; and an amount written with ASCII digits only
# (Decimal itself would read "١٢٣٤٥" as 12345, and "1E+999999" as a number no column holds).
MAX_MONEY = Decimal("999999999999.99")
MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def to_money(value: Any) -> Decimal:
    """A euro amount with two decimals, or ValueError with a plain message."""
    if isinstance(value, bool):
        raise ValueError(_("'%(value)s' is geen bedrag.") % {"value": value})
    if isinstance(value, Decimal):
        result = value
    else:
        text = str(value).strip().replace("€", "").strip()
        if not MONEY_TEXT.fullmatch(text):
            raise ValueError(_("'%(value)s' is geen bedrag.") % {"value": value})
        try:
            result = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValueError(_("'%(value)s' is geen bedrag.") % {"value": value}) from None
    if not result.is_finite() or abs(result) > MAX_MONEY:
        raise ValueError(_("'%(value)s' is geen bedrag dat wij kunnen vastleggen.") % {"value": value})
    return result.quantize(CENT)


@dataclass(frozen=True)
class DocumentType:
    """A kind of document the scheme asks for: once, or one per unit (an offerte per traject)."""

    code: str
    label: str
    per_unit: bool = False
    help: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> DocumentType:
        return cls(
            code=str(data["code"]),
            label=str(data["label"]),
            per_unit=bool(data.get("per_unit", False)),
            help=str(data.get("help") or ""),
        )


SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def sector_caps_problem(value: Any) -> str:
    """What is wrong with a scheme's maximum per sector, in Dutch; empty when it is right."""
    if not isinstance(value, dict):
        return _('Geef per sector een bedrag, zoals {"landbouw": "20000.00"}.')
    for sector, amount in value.items():
        if not isinstance(sector, str) or not sector.strip():
            return _("Elke sector heeft een code, zoals landbouw.")
        try:
            money = to_money(amount)
        except (ValueError, InvalidOperation, TypeError):
            return _("Het maximum voor %(sector)s is geen bedrag.") % {"sector": sector}
        if money < 0:
            return _("Een bedrag kan niet negatief zijn.")
    return ""


def document_types_problem(value: Any) -> str:
    """Why a scheme's list of required documents cannot be used ('' when it can): for the admin and the loader."""
    if value in (None, ""):
        return ""
    if not isinstance(value, list):
        return _("Een lijst van documentsoorten, elk een object met een code en een naam.")
    codes = set()
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict) or not str(item.get("label") or "").strip():
            return _("Documentsoort %(n)s heeft geen naam ('label').") % {"n": index}
        code = str(item.get("code") or "")
        if not SLUG.fullmatch(code):
            return _("Documentsoort %(n)s heeft geen geldige code (kleine letters, cijfers, - of _).") % {"n": index}
        if code in codes:
            return _("De code '%(code)s' staat er twee keer in.") % {"code": code}
        codes.add(code)
        if not isinstance(item.get("per_unit", False), bool):
            return _("'per_unit' van documentsoort %(n)s is true of false.") % {"n": index}
    return ""


@dataclass
class Refusal:
    field: str
    message: str


@dataclass
class Computation:
    """The outcome of applying the rules: an amount, how it came about, and refusals."""

    amount: Decimal = Decimal("0.00")
    steps: list[str] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusals

    def refuse(self, field_name: str, message: str) -> None:
        self.refusals.append(Refusal(field_name, message))

    def errors_by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for refusal in self.refusals:
            out.setdefault(refusal.field, []).append(refusal.message)
        return out


@dataclass(frozen=True)
class Rules:
    shape: str
    unit_label: str = "traject"
    unit_amount: Decimal | None = None
    min_unit_cost: Decimal | None = None
    max_units_per_applicant: int | None = None
    percentage: Decimal | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    max_amount_partnership: Decimal | None = None
    min_eligible_costs: Decimal | None = None
    intermediaries_allowed: bool = False
    one_per_window: bool = False
    de_minimis: bool = False
    sme_only: bool = False
    min_sme_share_partnership: Decimal | None = None
    max_amount_by_sector: dict = field(default_factory=dict)
    not_combined_with: tuple[str, ...] = ()
    decision_term_weeks: int = 8
    decision_term_from: str = "submission"
    settlement_term_weeks: int | None = None
    supplement_term_days: int = 14
    advance_pct: Decimal = Decimal("0")
    ex_officio_below: Decimal | None = None
    accountant_above: Decimal | None = None
    sample_check_pct: Decimal = Decimal("5")
    ex_officio_when_late: bool = True
    tender_score: str = "mean"
    required_documents: tuple[dict, ...] = ()

    @classmethod
    def from_scheme(cls, scheme) -> Rules:
        values = {name: getattr(scheme, name) for name in RULE_FIELDS}
        values["required_documents"] = tuple(values["required_documents"] or ())
        values["max_amount_by_sector"] = dict(values["max_amount_by_sector"] or {})
        values["not_combined_with"] = tuple(values["not_combined_with"] or ())
        return cls(**values)

    @classmethod
    def from_dict(cls, data: dict) -> Rules:
        values = {}
        for name in RULE_FIELDS:
            if name not in data:
                continue
            value = data[name]
            if name in DECIMAL_FIELDS and value is not None:
                value = Decimal(value)
            if name in ("required_documents", "not_combined_with"):
                value = tuple(value or ())
            if name == "max_amount_by_sector":
                value = dict(value or {})
            values[name] = value
        return cls(**values)

    def to_dict(self) -> dict:
        data = {key: (str(value) if isinstance(value, Decimal) else value) for key, value in asdict(self).items()}
        data["required_documents"] = [dict(item) for item in self.required_documents]
        data["not_combined_with"] = list(self.not_combined_with)
        return data

    def accounting_tier(self, granted: Decimal | None) -> str:
        """What a recipient of ``granted`` accounts for at the settlement request: nothing (below the scheme's
        ``ex_officio_below``: fixed ex officio, with sample checks), a report of the activities, or above
        ``accountant_above`` (default € 125.000) a report with an accountant's statement. A scheme without
        ``ex_officio_below`` asks a report at every amount (Omscholing: per traject)."""
        amount = granted or Decimal("0")
        if self.ex_officio_below is not None and amount < self.ex_officio_below:
            return NO_REPORT
        limit = self.accountant_above if self.accountant_above is not None else ACCOUNTANT_ABOVE
        return ACCOUNTANT_STATEMENT if amount > limit else ACTIVITY_REPORT

    def sector_cap(self, sector: str) -> Decimal | None:
        """A lower maximum for the applicant's sector (SLIM: € 20.000 in agriculture), or None."""
        value = self.max_amount_by_sector.get(sector)
        return Decimal(str(value)) if value not in (None, "") else None

    @property
    def document_types(self) -> list[DocumentType]:
        """The documents an application must carry before it can be submitted."""
        return [DocumentType.from_dict(item) for item in self.required_documents]

    # --- the computation -------------------------------------------------

    def compute(
        self,
        *,
        unit_costs: list[Decimal] | None = None,
        eligible_costs: Decimal | None = None,
        requested_amount: Decimal | None = None,
        partnership: bool = False,
    ) -> Computation:
        if self.shape == "per_unit":
            return self._per_unit(unit_costs or [])
        if self.shape == "share_of_costs":
            return self._share_of_costs(eligible_costs, partnership)
        return self._programme(requested_amount, partnership)

    def _per_unit(self, unit_costs: list[Decimal]) -> Computation:
        result = Computation()
        label = self.unit_label or "eenheid"
        if not unit_costs:
            result.refuse("units", _("Voeg minstens één %(unit)s toe.") % {"unit": label})
            return result
        maximum = self.max_units_per_applicant
        if maximum is not None and len(unit_costs) > maximum:
            result.refuse(
                "units",
                _("U vraagt %(count)s %(unit)sen aan; per aanvrager mogen het er ten hoogste %(max)s zijn.")
                % {"count": len(unit_costs), "unit": label, "max": maximum},
            )
        for index, cost in enumerate(unit_costs, start=1):
            if self.min_unit_cost is not None and cost < self.min_unit_cost:
                result.refuse(
                    f"units.{index - 1}.cost",
                    _("%(Unit)s %(n)s kost %(cost)s; elk %(unit)s moet minstens %(min)s kosten.")
                    % {
                        "Unit": label.capitalize(),
                        "unit": label,
                        "n": index,
                        "cost": euro(cost),
                        "min": euro(self.min_unit_cost),
                    },
                )
        amount = (self.unit_amount or Decimal(0)) * len(unit_costs)
        result.steps.append(
            _("%(count)s × %(per)s per %(unit)s = %(total)s")
            % {"count": len(unit_costs), "per": euro(self.unit_amount or 0), "unit": label, "total": euro(amount)}
        )
        result.amount = amount.quantize(CENT)
        return result

    def _share_of_costs(self, eligible_costs: Decimal | None, partnership: bool) -> Computation:
        result = Computation()
        if eligible_costs is None:
            result.refuse("eligible_costs", _("Vul de subsidiabele kosten in."))
            return result
        if eligible_costs <= 0:
            result.refuse("eligible_costs", _("De subsidiabele kosten moeten hoger zijn dan € 0."))
            return result
        if self.min_eligible_costs is not None and eligible_costs < self.min_eligible_costs:
            result.refuse(
                "eligible_costs",
                _("De subsidiabele kosten zijn %(costs)s; ze moeten minstens %(min)s zijn.")
                % {"costs": euro(eligible_costs), "min": euro(self.min_eligible_costs)},
            )
        pct = self.percentage or Decimal(0)
        amount = (eligible_costs * pct / Decimal(100)).quantize(CENT, rounding=ROUND_DOWN)
        result.steps.append(
            _("%(pct)s %% van %(costs)s = %(amount)s")
            % {"pct": _pct(pct), "costs": euro(eligible_costs), "amount": euro(amount)}
        )
        maximum = self.max_amount_partnership if partnership and self.max_amount_partnership else self.max_amount
        if maximum is not None and amount > maximum:
            result.steps.append(_("begrensd op het maximum van %(max)s") % {"max": euro(maximum)})
            amount = maximum
        if self.min_amount is not None and amount < self.min_amount:
            result.refuse(
                "eligible_costs",
                _("De subsidie zou %(amount)s zijn; het minimum is %(min)s.")
                % {"amount": euro(amount), "min": euro(self.min_amount)},
            )
        result.amount = amount
        return result

    def _programme(self, requested: Decimal | None, partnership: bool) -> Computation:
        result = Computation()
        if requested is None:
            result.refuse("requested_amount", _("Vul het gevraagde bedrag in."))
            return result
        if requested <= 0:
            result.refuse("requested_amount", _("Het gevraagde bedrag moet hoger zijn dan € 0."))
            return result
        maximum = self.max_amount_partnership if partnership and self.max_amount_partnership else self.max_amount
        if maximum is not None and requested > maximum:
            result.refuse(
                "requested_amount",
                _("U vraagt %(amount)s; het maximum is %(max)s.") % {"amount": euro(requested), "max": euro(maximum)},
            )
        if self.min_amount is not None and requested < self.min_amount:
            result.refuse(
                "requested_amount",
                _("U vraagt %(amount)s; het minimum is %(min)s.")
                % {"amount": euro(requested), "min": euro(self.min_amount)},
            )
        result.steps.append(_("gevraagde programma-toekenning: %(amount)s") % {"amount": euro(requested)})
        result.amount = requested
        return result

    def explain(self) -> list[str]:
        """What one can get, in plain words, for the catalogue."""
        lines: list[str] = []
        label = self.unit_label or "eenheid"
        if self.shape == "per_unit":
            lines.append(_("%(amount)s per %(unit)s") % {"amount": euro(self.unit_amount or 0), "unit": label})
            if self.min_unit_cost is not None:
                lines.append(_("elk %(unit)s kost minstens %(min)s") % {"unit": label, "min": euro(self.min_unit_cost)})
            if self.max_units_per_applicant:
                lines.append(
                    _("ten hoogste %(n)s %(unit)sen per aanvrager") % {"n": self.max_units_per_applicant, "unit": label}
                )
        elif self.shape == "share_of_costs":
            lines.append(_("%(pct)s %% van de subsidiabele kosten") % {"pct": _pct(self.percentage or 0)})
            if self.min_eligible_costs is not None:
                lines.append(_("subsidiabele kosten minstens %(min)s") % {"min": euro(self.min_eligible_costs)})
            if self.min_amount is not None:
                lines.append(_("subsidie minstens %(min)s") % {"min": euro(self.min_amount)})
            if self.max_amount is not None:
                lines.append(_("subsidie ten hoogste %(max)s per aanvrager") % {"max": euro(self.max_amount)})
            if self.max_amount_partnership is not None:
                lines.append(
                    _("ten hoogste %(max)s per samenwerkingsverband") % {"max": euro(self.max_amount_partnership)}
                )
        else:
            lines.append(_("een programma-toekenning, uitbetaald in tranches"))
            if self.max_amount is not None:
                lines.append(_("ten hoogste %(max)s") % {"max": euro(self.max_amount)})
        if self.one_per_window:
            lines.append(_("één aanvraag per aanvrager per openstelling"))
        if self.de_minimis:
            lines.append(_("de-minimissteun: ten hoogste %(max)s in drie jaar") % {"max": euro(DE_MINIMIS_LIMIT)})
        if self.advance_pct:
            lines.append(_("%(pct)s %% voorschot bij verlening") % {"pct": _pct(self.advance_pct)})
        for kind in self.document_types:
            if kind.per_unit:
                lines.append(_("mee te sturen: %(doc)s, één per %(unit)s") % {"doc": kind.label, "unit": label})
            else:
                lines.append(_("mee te sturen: %(doc)s") % {"doc": kind.label})
        return lines


def _pct(value: Decimal | int) -> str:
    value = Decimal(value)
    text = f"{value.normalize():f}"
    return text.replace(".", ",")
