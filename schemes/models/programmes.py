"""A programme's level: its gates, budget lines, the tranche plan of its awards, and its KPIs with their
measurements (the NGF programmes)."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .catalogue import MONEY, Opening, Scheme


class ProgrammeGate(models.Model):
    """A dated review of a whole programme (an evaluation, a KPI review) that decides what it releases.

    PPS: the evaluation in 2026 before the last two years of every partnership are funded. Techkwadraat: the KPI
    review in 2027 of the € 205,8 mln the programme holds back. What a gate releases is the sum of the budget lines
    and the award tranches that name it.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="gates", verbose_name=_("regeling"))
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("omschrijving"), max_length=255)
    review_kind = models.CharField(_("soort beoordeling"), max_length=120)
    review_date = models.DateField(_("datum beoordeling"))
    criteria = models.TextField(_("waarop beoordeeld"), blank=True)
    source = models.CharField(_("bron"), max_length=255, blank=True)

    class Meta:
        ordering = ["scheme", "review_date", "code"]
        verbose_name = _("beoordelingsmoment van een programma")
        verbose_name_plural = _("beoordelingsmomenten van programma's")
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="programme_gate_unique_code")]

    def __str__(self) -> str:
        return f"{self.scheme.code}: {self.label}"


class ProgrammeBudgetLine(models.Model):
    """A part of a programme's total: the awards, programme management, or money held back until a gate."""

    class Purpose(models.TextChoices):
        AWARDS = "awards", _("toekenningen aan samenwerkingsverbanden")
        MANAGEMENT = "management", _("programmamanagement en monitoring")
        CONDITIONAL = "conditional", _("voorwaardelijk, vrij na een beoordelingsmoment")

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="budget_lines", verbose_name=_("regeling")
    )
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("omschrijving"), max_length=255)
    purpose = models.CharField(_("bestemming"), max_length=20, choices=Purpose.choices)
    amount = models.DecimalField(_("bedrag"), **MONEY)
    gate = models.ForeignKey(
        ProgrammeGate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_lines",
        verbose_name=_("vrij na"),
    )
    assumption = models.BooleanField(_("aanname (niet uit de bron)"), default=False)
    source = models.CharField(_("bron"), max_length=255, blank=True)

    class Meta:
        ordering = ["scheme", "code"]
        verbose_name = _("begrotingsregel van een programma")
        verbose_name_plural = _("begrotingsregels van programma's")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="programme_budget_line_unique_code"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="programme_budget_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code}: {self.label}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("Een bedrag kan niet negatief zijn.")
        if self.purpose == self.Purpose.CONDITIONAL and not self.gate_id:
            errors["gate"] = _("Voorwaardelijk geld komt vrij na een beoordelingsmoment: kies dat moment.")
        if self.gate_id and self.scheme_id and self.gate.scheme_id != self.scheme_id:
            errors["gate"] = _("Het beoordelingsmoment hoort bij een andere regeling.")
        if errors:
            raise ValidationError(errors)


class TranchePlanItem(models.Model):
    """A planned tranche of an award: a share of it, some months after the award's start, perhaps behind a gate.

    ``offset_months`` counts from the start of each award (its grant), so an award granted later gets later
    tranches; ``planned_date`` is for a tranche the regulation dates on the calendar for everyone. ``amount`` is
    the tranche's share of the plan: an award is split over the items in proportion.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="tranche_plan")
    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="tranche_plan", null=True, blank=True)
    number = models.PositiveSmallIntegerField(_("nummer"))
    label = models.CharField(_("omschrijving"), max_length=255)
    amount = models.DecimalField(_("bedrag"), **MONEY)
    offset_months = models.PositiveSmallIntegerField(
        _("maanden na de start van de toekenning"),
        null=True,
        blank=True,
        help_text=_("0 is bij de start. Leeg: de vaste geplande datum geldt."),
    )
    planned_date = models.DateField(_("geplande datum (vast)"), null=True, blank=True)
    gated = models.BooleanField(_("voorwaardelijk"), default=False)
    gate = models.ForeignKey(
        ProgrammeGate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tranche_plan",
        verbose_name=_("beoordelingsmoment"),
    )
    review_kind = models.CharField(_("soort beoordeling"), max_length=120, blank=True)
    review_date = models.DateField(_("datum beoordeling"), null=True, blank=True)
    assumption = models.BooleanField(_("aanname (niet uit de bron)"), default=False)

    class Meta:
        ordering = ["scheme", "opening", "number"]
        verbose_name = _("tranche in het plan")
        verbose_name_plural = _("tranches in het plan")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "opening", "number"], name="tranche_plan_unique_number"),
            models.UniqueConstraint(
                fields=["scheme", "number"], condition=Q(opening__isnull=True), name="tranche_plan_unique_scheme_number"
            ),
            models.CheckConstraint(
                condition=Q(offset_months__isnull=False) | Q(planned_date__isnull=False),
                name="tranche_plan_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} tranche {self.number}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("Een bedrag kan niet negatief zijn.")
        if self.offset_months is None and self.planned_date is None:
            errors["offset_months"] = _(
                "Geef het aantal maanden na de start van de toekenning, of een vaste geplande datum."
            )
        if self.gate_id:
            if self.scheme_id and self.gate.scheme_id != self.scheme_id:
                errors["gate"] = _("Het beoordelingsmoment hoort bij een andere regeling.")
            self.gated = True
            self.review_kind = self.review_kind or self.gate.review_kind
        elif self.gated and not self.review_date:
            errors["review_date"] = _(
                "Een voorwaardelijke tranche heeft een beoordelingsmoment of een datum van beoordeling nodig."
            )
        if errors:
            raise ValidationError(errors)

    def dates_for(self, start: datetime.date) -> tuple[datetime.date, datetime.date | None]:
        """(planned date, review date) of this tranche for an award that starts on ``start``.

        A gated tranche is reviewed when both its gate has come and the tranche itself is due: an award granted
        after the programme's evaluation is not paid its later years on the day it starts.
        """
        planned = self.planned_date if self.offset_months is None else add_months(start, self.offset_months)
        if not self.gated:
            return planned, None
        review = self.gate.review_date if self.gate_id else self.review_date
        if self.offset_months is not None:
            review = max(review or planned, planned)
        return planned, review


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus whole months; the 31st becomes the month's last day (31 January + 1 = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class KPI(models.Model):
    """A key performance indicator of a programme: what it counts, how, baseline and target.

    ``kind`` says how the target reads. *total*: the level reached (baseline and target are levels, progress is
    (value − baseline) ÷ (target − baseline)). *additional*: the increase on the baseline year (the target is
    "+8.500", progress is value ÷ target). A measurement of another kind than its KPI is shown as what it is,
    never as progress on the target.
    """

    class Kind(models.TextChoices):
        TOTAL = "total", _("stand (totaal)")
        ADDITIONAL = "additional", _("extra ten opzichte van het basisjaar")

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="kpis")
    code = models.SlugField(max_length=60)
    name = models.CharField(_("naam"), max_length=255)
    definition = models.TextField(_("definitie"), blank=True, help_text=_("Wat precies geteld wordt, en wanneer."))
    unit = models.CharField(_("eenheid"), max_length=60)
    kind = models.CharField(_("soort"), max_length=12, choices=Kind.choices, default=Kind.TOTAL)
    baseline_year = models.PositiveSmallIntegerField(_("basisjaar"))
    baseline_value = models.DecimalField(_("basiswaarde"), max_digits=16, decimal_places=2, default=Decimal("0"))
    target_year = models.PositiveSmallIntegerField(_("doeljaar"))
    target_value = models.DecimalField(_("doelwaarde"), max_digits=16, decimal_places=2)
    source = models.CharField(_("bron"), max_length=255, blank=True)
    is_demo = models.BooleanField(_("demo"), default=False)

    class Meta:
        ordering = ["scheme", "code"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPI's")
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="kpi_unique_code")]

    def __str__(self) -> str:
        return self.name

    def progress_pct(self, value: Decimal, kind: str) -> float | None:
        """How far ``value`` (a measurement of ``kind``) is on the way to the target; None if not comparable."""
        if kind != self.kind:
            return None
        if self.kind == self.Kind.ADDITIONAL:
            span, gained = self.target_value, value
        else:
            span, gained = self.target_value - self.baseline_value, value - self.baseline_value
        if not span:
            return None
        return round(float(gained * 100 / span), 2)


class KPIMeasurement(models.Model):
    """A realised value of a KPI over a period: of the whole programme, or of one award (each PPS its own)."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="measurements")
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kpi_measurements",
        verbose_name=_("toekenning"),
        help_text=_("Leeg: een meting van het hele programma."),
    )
    period = models.CharField(_("periode"), max_length=40)
    measured_on = models.DateField(_("peildatum"))
    value = models.DecimalField(_("waarde"), max_digits=16, decimal_places=2)
    kind = models.CharField(_("soort"), max_length=12, choices=KPI.Kind.choices, default=KPI.Kind.TOTAL)
    measured_as = models.CharField(
        _("gemeten als"),
        max_length=255,
        blank=True,
        help_text=_("Wat de bron telde, als dat afwijkt van de KPI, bijvoorbeeld 'werkenden betrokken bij LLO'."),
    )
    source = models.CharField(_("bron"), max_length=255, blank=True)

    class Meta:
        ordering = ["kpi", "measured_on"]
        verbose_name = _("KPI-meting")
        verbose_name_plural = _("KPI-metingen")
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period"], condition=Q(application__isnull=True), name="kpi_measurement_unique_period"
            ),
            models.UniqueConstraint(
                fields=["kpi", "application", "period"],
                condition=Q(application__isnull=False),
                name="kpi_measurement_unique_award_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.period}: {self.value}"

    @property
    def comparable(self) -> bool:
        """Of the KPI's own kind and counting what the KPI counts: progress on its target."""
        return self.kind == self.kpi.kind and not self.measured_as
