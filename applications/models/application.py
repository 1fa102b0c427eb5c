"""The application itself, its state machine, and what the applicant filled in (units, costs, partners)."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, ConcurrentTransitionMixin, FSMField

from schemes.models import MONEY, ZERO, Opening, Scheme

from ..states import State
from ..workflow import Transitions
from .organisations import Channel, Organisation, User, kvk_validator


class ReferenceCounter(models.Model):
    prefix = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="reference_counter_unique")]


class VersionedTransitionMixin(ConcurrentTransitionMixin):
    """Optimistic locking: a save fails if anyone saved the row since it was read.

    django-fsm's mixin only notices a changed state; transitions that keep the
    state (an advance paid, an objection lodged) are caught by the version.
    """

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs):
        loaded = getattr(self, "_loaded_version", None)
        if loaded is not None:
            updated = super()._do_update(
                base_qs.filter(version=loaded), using, pk_val, values, update_fields, forced_update, *args, **kwargs
            )
            if not updated and base_qs.filter(pk=pk_val).exists():
                raise ConcurrentTransition(_("De aanvraag is intussen gewijzigd."))
            return updated
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs)

    def save(self, *args, **kwargs):
        if self.pk and getattr(self, "_loaded_version", None) is not None:
            self.version = self._loaded_version + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "version" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "version"]
        super().save(*args, **kwargs)
        self._loaded_version = self.version

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_version = instance.__dict__.get("version")
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # django-fsm lifts ``protected`` on the shared field object during a refresh,
        # which races between threads (gthread workers): clear this instance's state instead.
        if fields is None:
            self._prefetched_objects_cache = {}
            deferred = self.get_deferred_fields()
            fields = [f.attname for f in self._meta.concrete_fields if f.attname not in deferred]
        for name in self._get_protected_fsm_fields():
            if name in fields:
                self.__dict__.pop(name, None)
        models.Model.refresh_from_db(self, using=using, fields=fields, from_queryset=from_queryset)
        self._update_initial_state()
        self._loaded_version = self.version


class Application(Transitions, VersionedTransitionMixin, models.Model):
    """One application, from draft to closed; its state moves only by the actions of ``workflow``."""

    reference = models.CharField(_("kenmerk"), max_length=20, unique=True)
    opening = models.ForeignKey(
        Opening, on_delete=models.PROTECT, related_name="applications", verbose_name=_("openstelling")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications", verbose_name=_("aanvrager")
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="applications_created")
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    channel = models.CharField(_("kanaal"), max_length=20, choices=Channel.choices, default=Channel.EMPLOYER)
    state = FSMField(_("status"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    version = models.PositiveIntegerField(default=1)
    answers = models.JSONField(_("antwoorden"), default=dict, blank=True)
    eligible_costs = models.DecimalField(_("subsidiabele kosten"), null=True, blank=True, **MONEY)
    requested_amount = models.DecimalField(_("gevraagd bedrag"), null=True, blank=True, **MONEY)
    is_partnership = models.BooleanField(_("samenwerkingsverband"), default=False)
    project_end_date = models.DateField(_("einddatum project"), null=True, blank=True)
    de_minimis_declared = models.DecimalField(
        _("de-minimissteun elders ontvangen (3 jaar)"), null=True, blank=True, **MONEY
    )
    # Each de-minimis aid received elsewhere, dated: [{"amount": "250000.00", "granted_on": "2024-03-01",
    # "provider": "Provincie Utrecht"}]; ``de_minimis_declared`` is their total (None: not yet declared). Only the
    # aid granted in the three years before the decision counts (``checks.de_minimis``).
    de_minimis_declarations = models.JSONField(_("de-minimissteun elders, per verlening"), default=list, blank=True)
    truthfulness_declared = models.BooleanField(_("naar waarheid ingevuld"), default=False)
    # A small grant settled ex officio as granted: the daily draw that considered it, and whether it was drawn for
    # a check (then a case worker settles it after checking, not the clocks).
    sample_draw = models.ForeignKey(
        "SampleDraw", on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    sample_selected = models.BooleanField(_("in de steekproef"), default=False)
    # A tender whose scheme ranks by the committee's consensus (``Rules.tender_score``): the score it agreed on.
    consensus_score = models.DecimalField(
        _("consensusscore van de commissie"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    consensus_note = models.TextField(_("toelichting consensusscore"), blank=True)
    consensus_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    consensus_at = models.DateTimeField(_("consensusscore vastgelegd op"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    amount_requested = models.DecimalField(_("aangevraagd bedrag"), null=True, blank=True, **MONEY)
    amount_reserved = models.DecimalField(_("gereserveerd"), default=ZERO, **MONEY)
    amount_committed = models.DecimalField(_("verplicht"), default=ZERO, **MONEY)
    amount_granted = models.DecimalField(_("verleend bedrag"), null=True, blank=True, **MONEY)
    amount_settled = models.DecimalField(_("vastgesteld bedrag"), null=True, blank=True, **MONEY)
    amount_paid = models.DecimalField(_("betaald"), default=ZERO, **MONEY)
    amount_recovered = models.DecimalField(_("teruggevorderd"), default=ZERO, **MONEY)

    created_at = models.DateTimeField(_("aangemaakt"), default=timezone.now)
    updated_at = models.DateTimeField(_("gewijzigd"), default=timezone.now)
    submitted_at = models.DateTimeField(_("ingediend"), null=True, blank=True)
    complete_at = models.DateTimeField(_("datum van volledigheid"), null=True, blank=True, db_index=True)
    queue_position = models.PositiveIntegerField(_("plaats in de wachtrij"), null=True, blank=True)
    over_ceiling = models.BooleanField(_("boven het plafond"), default=False)
    decision_term_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    suspended_days = models.PositiveIntegerField(_("dagen opgeschort"), default=0)
    postponed_days = models.PositiveIntegerField(_("dagen verdaagd"), default=0)
    decision_due = models.DateField(_("uiterste beslisdatum"), null=True, blank=True, db_index=True)
    default_notice_on = models.DateField(_("ingebrekestelling ontvangen"), null=True, blank=True)
    decided_at = models.DateTimeField(_("besluit verzonden"), null=True, blank=True)
    objection_due = models.DateField(_("bezwaartermijn tot en met"), null=True, blank=True)
    settlement_due = models.DateField(_("vaststelling aanvragen uiterlijk"), null=True, blank=True)
    settlement_requested_at = models.DateTimeField(null=True, blank=True)
    settlement_decision_due = models.DateField(_("uiterste datum vaststelling"), null=True, blank=True)
    settled_at = models.DateTimeField(_("vastgesteld op"), null=True, blank=True)
    actual_costs = models.DecimalField(_("werkelijke kosten"), null=True, blank=True, **MONEY)
    settlement_report = models.TextField(_("verslag"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reden van afwijzing"), max_length=40, blank=True)
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_applications",
        verbose_name=_("behandelaar"),
    )
    anonymised_at = models.DateTimeField(
        _("persoonsgegevens verwijderd op"),
        null=True,
        blank=True,
        help_text=_("Na de bewaartermijn van de regeling (manage.py apply_retention)."),
    )
    is_demo = models.BooleanField(_("demo"), default=False)
    demo_batch = models.CharField(_("demo-reeks"), max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("aanvraag")
        verbose_name_plural = _("aanvragen")
        indexes = [
            models.Index(fields=["opening", "state"]),
            models.Index(fields=["state", "decision_due"]),
            models.Index(fields=["opening", "queue_position"]),
            models.Index(fields=["organisation", "opening"]),
            models.Index(fields=["assigned_to", "state"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_reserved__gte=0), name="application_reserved_not_negative"),
            models.CheckConstraint(condition=Q(amount_committed__gte=0), name="application_committed_not_negative"),
            models.UniqueConstraint(
                fields=["opening", "queue_position"],
                name="application_unique_queue_position",
                condition=Q(queue_position__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def scheme(self) -> Scheme:
        return self.opening.scheme

    @property
    def rules(self):
        return self.opening.published_rules

    def pending_decision(self):
        return self.decisions.filter(status="proposed").order_by("-proposed_at").first()

    def project_end(self) -> datetime.date | None:
        """The end of the activities: the project's end date, else the last traject's."""
        if self.project_end_date:
            return self.project_end_date
        ends = [u.end_date for u in self.units.all() if u.end_date]
        return max(ends) if ends else None


class Unit(models.Model):
    """One unit of a per-unit scheme: an omscholingstraject."""

    class OccupationSector(models.TextChoices):
        ICT = "ict", _("ICT")
        TECHNIEK = "techniek", _("techniek")

    class Status(models.TextChoices):
        PLANNED = "planned", _("gepland")
        STARTED = "started", _("gestart")
        COMPLETED = "completed", _("afgerond")
        CANCELLED = "cancelled", _("geannuleerd")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveSmallIntegerField(default=0)
    participant = models.CharField(_("deelnemer (voorletters en naam)"), max_length=255)
    occupation = models.CharField(_("beoogd beroep"), max_length=255)
    occupation_sector = models.CharField(_("sector van het beroep"), max_length=10, choices=OccupationSector.choices)
    provider = models.CharField(_("opleider"), max_length=255)
    cost = models.DecimalField(_("kosten"), **MONEY)
    start_date = models.DateField(_("startdatum"), null=True, blank=True)
    end_date = models.DateField(_("einddatum"), null=True, blank=True)
    contract_end_date = models.DateField(_("einde arbeidsovereenkomst"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    contract_extended = models.BooleanField(_("contract met minstens 6 maanden verlengd"), default=False)

    class Meta:
        ordering = ["application", "position", "id"]
        verbose_name = _("traject")
        verbose_name_plural = _("trajecten")

    def __str__(self) -> str:
        return f"{self.participant} → {self.occupation}"


class CostLine(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="cost_lines")
    description = models.CharField(_("omschrijving"), max_length=255)
    amount = models.DecimalField(_("bedrag"), **MONEY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("kostenpost")
        verbose_name_plural = _("kostenposten")


class Partner(models.Model):
    """A member of a consortium; one of them is the lead applicant (penvoerder)."""

    class PartnerRole(models.TextChoices):
        LEAD = "lead", _("penvoerder")
        EDUCATION = "education", _("onderwijsinstelling")
        COMPANY = "company", _("bedrijf")
        GOVERNMENT = "government", _("overheid")
        OTHER = "other", _("overig")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners")
    name = models.CharField(_("naam"), max_length=255)
    kvk = models.CharField(_("KVK-nummer"), max_length=8, blank=True, validators=[kvk_validator])
    role = models.CharField(_("rol"), max_length=20, choices=PartnerRole.choices)
    is_sme = models.BooleanField(_("mkb"), default=False)

    class Meta:
        ordering = ["application", "id"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


class CoFinancing(models.Model):
    class Source(models.TextChoices):
        PRIVATE = "private", _("private partijen")
        EDUCATION = "education", _("onderwijs")
        GOVERNMENT = "government", _("overheid")
        OTHER = "other", _("overig")

    class Kind(models.TextChoices):
        CASH = "cash", _("in geld")
        IN_KIND = "in_kind", _("in natura")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="cofinancing")
    source = models.CharField(_("bron"), max_length=20, choices=Source.choices)
    kind = models.CharField(_("vorm"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("bedrag"), **MONEY)

    class Meta:
        verbose_name = _("cofinanciering")
        verbose_name_plural = _("cofinanciering")
