"""Organisations, users, mandates, applications and everything in their file.

The application's state machine lives here as django-fsm transitions: each one
declares its source and target states, who may take it (``permission``) and
when (``conditions``). The transitions only move the state; the work around
them (money, letters, audit events) is done by ``applications.services``,
which is the only caller.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransition, ConcurrentTransitionMixin, FSMField, transition

from schemes.models import MONEY, ZERO, Opening, Scheme

from . import permissions as perms
from .states import State

kvk_validator = RegexValidator(r"^\d{8}$", _("Een KVK-nummer bestaat uit precies 8 cijfers."))


def validate_iban(value: str) -> None:
    from stdnum import iban

    if not iban.is_valid(value or ""):
        raise ValidationError(_("Dit is geen geldig IBAN-rekeningnummer (controleer het op typefouten)."))


class SizeClass(models.TextChoices):
    SMALL = "small", _("klein (minder dan 50 werknemers)")
    SME = "sme", _("mkb (50 tot 250 werknemers)")
    LARGE = "large", _("groot (250 werknemers of meer)")


class Province(models.TextChoices):
    DR = "drenthe", "Drenthe"
    FL = "flevoland", "Flevoland"
    FR = "friesland", "Fryslân"
    GE = "gelderland", "Gelderland"
    GR = "groningen", "Groningen"
    LI = "limburg", "Limburg"
    NB = "noord-brabant", "Noord-Brabant"
    NH = "noord-holland", "Noord-Holland"
    OV = "overijssel", "Overijssel"
    UT = "utrecht", "Utrecht"
    ZE = "zeeland", "Zeeland"
    ZH = "zuid-holland", "Zuid-Holland"


class Sector(models.TextChoices):
    ICT = "ict", _("ICT")
    TECHNIEK = "techniek", _("techniek")
    ZORG = "zorg", _("zorg")
    ONDERWIJS = "onderwijs", _("onderwijs")
    LANDBOUW = "landbouw", _("landbouw")
    HANDEL = "handel", _("handel en diensten")
    BOUW = "bouw", _("bouw")
    OVERIG = "overig", _("overig")


class Organisation(models.Model):
    kvk = models.CharField(_("KVK-nummer"), max_length=8, unique=True, validators=[kvk_validator])
    name = models.CharField(_("naam"), max_length=255)
    size_class = models.CharField(_("grootteklasse"), max_length=10, choices=SizeClass.choices, default=SizeClass.SMALL)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.OVERIG)
    province = models.CharField(_("provincie"), max_length=20, choices=Province.choices, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    contact_name = models.CharField(_("contactpersoon"), max_length=255, blank=True)
    contact_email = models.EmailField(_("e-mailadres contactpersoon"), blank=True)
    contact_phone = models.CharField(_("telefoon"), max_length=30, blank=True)
    is_intermediary = models.BooleanField(_("intermediair"), default=False)
    is_demo = models.BooleanField(_("demo"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")

    def __str__(self) -> str:
        return f"{self.name} ({self.kvk})"

    def save(self, *args, **kwargs):
        if self.iban:
            self.iban = self.iban.replace(" ", "").upper()
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    APPLICANT = "applicant", _("aanvrager (werkgever)")
    INTERMEDIARY = "intermediary", _("intermediair (gemachtigde)")
    REVIEWER = "reviewer", _("behandelaar")
    SENIOR_REVIEWER = "senior_reviewer", _("tweede behandelaar")
    PROGRAM_MANAGER = "program_manager", _("programmamanager")
    ADMINISTRATOR = "administrator", _("functioneel beheerder")


STAFF_ROLES = {Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMINISTRATOR}


class User(AbstractUser):
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices, default=Role.APPLICANT)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisatie"),
    )
    schemes = models.ManyToManyField(
        Scheme,
        blank=True,
        related_name="team",
        verbose_name=_("regelingen van het team"),
        help_text=_("De regelingen die deze behandelaar of programmamanager behandelt."),
    )

    class Meta:
        verbose_name = _("gebruiker")
        verbose_name_plural = _("gebruikers")

    @property
    def is_applicant_side(self) -> bool:
        return self.role in (Role.APPLICANT, Role.INTERMEDIARY)

    @property
    def is_case_worker(self) -> bool:
        return self.role in (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMINISTRATOR)

    def handles_scheme(self, scheme_id: int) -> bool:
        if self.role == Role.ADMINISTRATOR:
            return True
        if not self.is_case_worker and self.role != Role.PROGRAM_MANAGER:
            return False
        cache = getattr(self, "_scheme_ids", None)
        if cache is None:
            cache = self._scheme_ids = set(self.schemes.values_list("id", flat=True))
        return scheme_id in cache


class Mandate(models.Model):
    """An organisation authorises an intermediary organisation for chosen schemes."""

    principal = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mandates_given", verbose_name=_("werkgever")
    )
    agent = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mandates_received", verbose_name=_("gemachtigde")
    )
    schemes = models.ManyToManyField(Scheme, related_name="mandates", verbose_name=_("regelingen"))
    valid_from = models.DateField(_("geldig vanaf"))
    valid_until = models.DateField(_("geldig tot en met"), null=True, blank=True)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("machtiging")
        verbose_name_plural = _("machtigingen")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="mandate_dates_in_order",
            ),
            models.CheckConstraint(condition=~Q(principal=models.F("agent")), name="mandate_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.principal.name} → {self.agent.name}"

    def clean(self) -> None:
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("De einddatum ligt voor de begindatum.")})
        if self.principal_id and self.principal_id == self.agent_id:
            raise ValidationError({"agent": _("Een organisatie kan zichzelf niet machtigen.")})

    def is_active_on(self, day: datetime.date) -> bool:
        if self.revoked_at is not None:
            return False
        if day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


class Channel(models.TextChoices):
    EMPLOYER = "employer", _("werkgever")
    INTERMEDIARY = "intermediary", _("intermediair")
    API = "api", _("API")


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


class Application(VersionedTransitionMixin, models.Model):
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
    truthfulness_declared = models.BooleanField(_("naar waarheid ingevuld"), default=False)
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
        return self.decisions.filter(status=Decision.Status.PROPOSED).order_by("-proposed_at").first()

    # --- the state machine -------------------------------------------------
    # Each method is a transition. Permissions take (application, user); the
    # conditions take the application. Services call them; nothing else does.

    @transition(
        field=state,
        source=State.DRAFT,
        target=State.SUBMITTED,
        permission=perms.acts_for_applicant,
        conditions=[perms.opening_is_open],
    )
    def submit(self):
        pass

    @transition(
        field=state,
        source=[State.SUBMITTED, State.IN_REVIEW, State.SUPPLEMENT_REQUESTED, State.DECISION_PROPOSED],
        target=State.WITHDRAWN,
        permission=perms.acts_for_applicant,
    )
    def withdraw(self):
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.IN_REVIEW, permission=perms.reviews)
    def start_review(self):
        pass

    @transition(field=state, source=State.IN_REVIEW, target=State.SUPPLEMENT_REQUESTED, permission=perms.reviews)
    def request_supplement(self):
        pass

    @transition(
        field=state, source=State.SUPPLEMENT_REQUESTED, target=State.IN_REVIEW, permission=perms.acts_for_applicant
    )
    def supplement(self):
        pass

    @transition(
        field=state,
        source=State.SUPPLEMENT_REQUESTED,
        target=State.NOT_CONSIDERED,
        permission=perms.reviews,
        conditions=[perms.supplement_term_passed],
    )
    def declare_not_considered(self):
        pass

    @transition(
        field=state, source=State.IN_REVIEW, target=State.DECISION_PROPOSED, permission=perms.assesses_without_conflict
    )
    def propose_grant(self):
        pass

    @transition(
        field=state, source=State.IN_REVIEW, target=State.DECISION_PROPOSED, permission=perms.assesses_without_conflict
    )
    def propose_rejection(self):
        pass

    @transition(
        field=state,
        source=[State.DECISION_PROPOSED, State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED],
        target=RETURN_VALUE(State.GRANTED, State.REJECTED, State.REVOKED, State.SETTLEMENT_REQUESTED, State.SETTLED),
        permission=perms.approves_pending_decision,
        conditions=[perms.has_pending_decision],
    )
    def approve_decision(self, target: str) -> str:
        return target

    @transition(
        field=state,
        source=[
            State.DECISION_PROPOSED,
            State.GRANTED,
            State.SETTLEMENT_REQUESTED,
            State.SETTLED,
            State.SETTLEMENT_PROPOSED,
        ],
        target=RETURN_VALUE(State.IN_REVIEW, State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED),
        permission=perms.approves_pending_decision,
        conditions=[perms.has_pending_decision],
    )
    def return_decision(self, target: str) -> str:
        return target

    @transition(
        field=state,
        source=State.GRANTED,
        target=State.GRANTED,
        permission=perms.handles_payments,
        conditions=[perms.advance_due],
    )
    def pay_advance(self):
        pass

    @transition(
        field=state, source=State.GRANTED, target=State.SETTLEMENT_REQUESTED, permission=perms.acts_for_applicant
    )
    def request_settlement(self):
        pass

    @transition(
        field=state,
        source=[State.SETTLEMENT_REQUESTED, State.GRANTED],
        target=State.SETTLEMENT_PROPOSED,
        permission=perms.reviews_settlement,
    )
    def propose_settlement(self):
        pass

    @transition(
        field=state,
        source=State.SETTLEMENT_PROPOSED,
        target=State.SETTLED,
        permission=perms.approves_pending_decision,
        conditions=[perms.has_pending_decision],
    )
    def approve_settlement(self):
        pass

    @transition(
        field=state,
        source=[State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED],
        target=RETURN_VALUE(State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED),
        permission=perms.reviews,
        conditions=[perms.no_pending_decision, perms.within_recovery_horizon],
    )
    def revoke(self) -> str:
        return self.state

    @transition(
        field=state,
        source=State.GRANTED,
        target=State.GRANTED,
        permission=perms.reviews,
        conditions=[perms.no_pending_decision, perms.has_gated_tranche_due],
    )
    def propose_tranche(self):
        pass

    @transition(
        field=state,
        source=[State.SETTLED, State.REJECTED, State.NOT_CONSIDERED, State.WITHDRAWN, State.REVOKED],
        target=State.CLOSED,
        permission=perms.handles_payments,
        conditions=[perms.can_close],
    )
    def close(self):
        pass

    @transition(
        field=state,
        source=[State.GRANTED, State.REJECTED, State.NOT_CONSIDERED, State.SETTLED, State.REVOKED],
        target=RETURN_VALUE(State.GRANTED, State.REJECTED, State.NOT_CONSIDERED, State.SETTLED, State.REVOKED),
        permission=perms.acts_for_applicant,
        conditions=[perms.objection_term_open],
    )
    def lodge_objection(self) -> str:
        return self.state

    @transition(
        field=state,
        source=[State.GRANTED, State.REJECTED, State.NOT_CONSIDERED, State.SETTLED, State.REVOKED],
        target=RETURN_VALUE(
            State.IN_REVIEW, State.GRANTED, State.REJECTED, State.NOT_CONSIDERED, State.SETTLED, State.REVOKED
        ),
        permission=perms.reviews,
        conditions=[perms.has_open_objection],
    )
    def decide_objection(self, reopen: bool) -> str:
        return State.IN_REVIEW if reopen else self.state


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


def document_path(instance: Document, filename: str) -> str:
    return f"documents/{instance.application.reference}/{filename}"


class Document(models.Model):
    class Kind(models.TextChoices):
        ATTACHMENT = "attachment", _("bijlage")
        SUPPLEMENT = "supplement", _("aanvulling")
        CERTIFICATE = "certificate", _("certificaat of diploma")
        REPORT = "report", _("verslag")
        ACCOUNTANT = "accountant", _("accountantsverklaring")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents")
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices, default=Kind.ATTACHMENT)
    file = models.FileField(_("bestand"), upload_to=document_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documenten")

    def __str__(self) -> str:
        return self.original_name


class SupplementRequest(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="supplement_requests")
    reason = models.TextField(_("wat ontbreekt"))
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_on = models.DateField(_("gevraagd op"))
    due_date = models.DateField(_("aanvullen uiterlijk"))
    answered_on = models.DateField(_("aangevuld op"), null=True, blank=True)
    answer = models.TextField(_("toelichting bij de aanvulling"), blank=True)
    days_suspended = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["requested_on", "id"]
        verbose_name = _("verzoek om aanvulling")
        verbose_name_plural = _("verzoeken om aanvulling")


class Assessment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="assessments")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assessments")
    no_conflict_declared_at = models.DateTimeField(_("geen belangenverstrengeling verklaard op"), null=True, blank=True)
    conflict_declared = models.BooleanField(_("belangenverstrengeling gemeld"), default=False)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    scores = models.JSONField(_("scores per criterium"), default=dict, blank=True)
    score = models.DecimalField(_("totaalscore"), max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("toelichting"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("beoordeling")
        verbose_name_plural = _("beoordelingen")
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="assessment_one_per_reviewer")]


class Decision(models.Model):
    """A proposed decision that waits for, and then carries, a second reviewer's approval."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("verlening")
        REJECTION = "rejection", _("afwijzing")
        SETTLEMENT = "settlement", _("vaststelling")
        REVOCATION = "revocation", _("intrekking")
        TRANCHE_RELEASE = "tranche_release", _("vrijgave tranche")
        TRANCHE_WITHHOLD = "tranche_withhold", _("inhouding tranche")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("voorgesteld")
        APPROVED = "approved", _("vastgesteld")
        RETURNED = "returned", _("teruggestuurd")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    amount = models.DecimalField(_("bedrag"), null=True, blank=True, **MONEY)
    reason_code = models.CharField(_("redencode"), max_length=40, blank=True)
    note = models.TextField(_("toelichting"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    tranche = models.ForeignKey("Tranche", on_delete=models.PROTECT, null=True, blank=True, related_name="decisions")
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    returned_at = models.DateTimeField(null=True, blank=True)
    return_note = models.TextField(blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        verbose_name = _("besluit")
        verbose_name_plural = _("besluiten")
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(proposed_by__isnull=True)
                | ~Q(approved_by=models.F("proposed_by")),
                name="decision_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["application"], condition=Q(status="proposed"), name="decision_one_pending_per_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application_id}"


class Payment(models.Model):
    class Kind(models.TextChoices):
        ADVANCE = "advance", _("voorschot")
        TRANCHE = "tranche", _("tranche")
        FINAL = "final", _("eindbetaling")
        RECOVERY = "recovery", _("terugvordering")

    class Status(models.TextChoices):
        DUE = "due", _("te betalen")
        PAID = "paid", _("betaald")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("soort"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("bedrag"), **MONEY)
    due_date = models.DateField(_("vervaldatum"))
    status = models.CharField(_("status"), max_length=5, choices=Status.choices, default=Status.DUE)
    paid_at = models.DateTimeField(_("betaald op"), null=True, blank=True)
    tranche = models.ForeignKey("Tranche", on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("betaling")
        verbose_name_plural = _("betalingen")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.UniqueConstraint(fields=["application"], condition=Q(kind="advance"), name="payment_one_advance"),
        ]


class Tranche(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("gepland")
        DUE = "due", _("te beoordelen")
        RELEASED = "released", _("vrijgegeven")
        WITHHELD = "withheld", _("ingehouden")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="tranches")
    number = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=255)
    amount = models.DecimalField(**MONEY)
    planned_date = models.DateField()
    gated = models.BooleanField(default=False)
    review_kind = models.CharField(max_length=120, blank=True)
    review_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    kpi_values = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "number"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="tranche_unique_number")]


class Objection(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("in behandeling")
        UPHELD = "upheld", _("gegrond")
        DISMISSED = "dismissed", _("ongegrond")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    against_state = models.CharField(max_length=30)
    reason = models.TextField(_("gronden van het bezwaar"))
    lodged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    lodged_on = models.DateField()
    decide_by = models.DateField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["lodged_on", "id"]
        verbose_name = _("bezwaar")
        verbose_name_plural = _("bezwaren")


class DeMinimisAid(models.Model):
    """De-minimis aid an organisation received: declared elsewhere, or granted here."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="de_minimis_aid")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    granted_on = models.DateField(_("verleend op"))
    amount = models.DecimalField(_("bedrag"), **MONEY)
    provider = models.CharField(_("verstrekker"), max_length=255)
    declared = models.BooleanField(_("door de aanvrager opgegeven"), default=True)

    class Meta:
        ordering = ["-granted_on"]
        verbose_name = _("de-minimissteun")
        verbose_name_plural = _("de-minimissteun")


class Allocation(models.Model):
    """One run of an opening's distribution, with everything needed to recompute it."""

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="allocations")
    method = models.CharField(max_length=20)
    seed = models.CharField(max_length=128)
    run_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    run_at = models.DateTimeField(default=timezone.now)
    order = models.JSONField(default=list)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-run_at", "-id"]
        verbose_name = _("verdeling")
        verbose_name_plural = _("verdelingen")


class InternalNote(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="internal_notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Het audit-logboek wordt nooit gewijzigd."))

    def delete(self):
        raise ValidationError(_("Het audit-logboek wordt nooit verwijderd."))


class AuditEvent(models.Model):
    """Append-only: one row per transition or other act on an application."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("audit-gebeurtenis")
        verbose_name_plural = _("audit-gebeurtenissen")
        indexes = [models.Index(fields=["application", "at"]), models.Index(fields=["action", "to_state", "at"])]
        # KPI reports as of a past date: each application's last state change, from the index alone
        indexes += [
            models.Index(
                fields=["application", "at", "id"],
                include=["to_state", "from_state", "action"],
                condition=~Q(to_state=models.F("from_state")),
                name="auditevent_state_change_idx",
            )
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Het audit-logboek wordt nooit gewijzigd."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Het audit-logboek wordt nooit verwijderd."))


__all__ = [
    "Allocation",
    "Application",
    "Assessment",
    "AuditEvent",
    "Channel",
    "CoFinancing",
    "CostLine",
    "DeMinimisAid",
    "Decision",
    "Document",
    "InternalNote",
    "Mandate",
    "Objection",
    "Organisation",
    "Partner",
    "Payment",
    "ReferenceCounter",
    "Role",
    "State",
    "SupplementRequest",
    "Tranche",
    "Unit",
    "User",
    "Decimal",
]


class Notification(models.Model):
    """An e-mail sent for an audit event; one per event, so a retry never sends twice."""

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="notification")
    recipient = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)


class LetterTemplate(models.Model):
    """The text of a letter of one kind, per scheme or as the default (scheme empty)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("ontvangstbevestiging")
        SUPPLEMENT_REQUEST = "supplement_request", _("verzoek om aanvulling")
        GRANT = "grant", _("verleningsbeschikking")
        REJECTION = "rejection", _("afwijzing")
        NOT_CONSIDERED = "not_considered", _("buitenbehandelingstelling")
        INTENT = "intent", _("voornemen tot negatief besluit")
        SETTLEMENT = "settlement", _("vaststellingsbeschikking")
        REVOCATION = "revocation", _("intrekking")
        OBJECTION_DECISION = "objection_decision", _("beslissing op bezwaar")

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, null=True, blank=True, related_name="letter_templates")
    kind = models.CharField(_("soort"), max_length=30, choices=Kind.choices)
    subject = models.CharField(_("onderwerp"), max_length=255)
    body = models.TextField(_("tekst (Django-sjabloon)"))
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "scheme"]
        verbose_name = _("briefsjabloon")
        verbose_name_plural = _("briefsjablonen")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "kind"], name="letter_template_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(scheme__isnull=True), name="letter_template_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.scheme.code if self.scheme else 'standaard'})"


def letter_path(instance: Letter, filename: str) -> str:
    return f"letters/{instance.application.reference}/{filename}"


class Letter(models.Model):
    """A letter (beschikking) as sent: rendered once per key, never twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("wordt gemaakt")
        RENDERED = "rendered", _("klaar")
        FAILED = "failed", _("mislukt")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="letters")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="letters")
    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="letters")
    kind = models.CharField(_("soort"), max_length=30, choices=LetterTemplate.Kind.choices)
    key = models.CharField(max_length=120, unique=True, help_text=_("Eén brief per sleutel: nooit twee keer."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to=letter_path, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("brief")
        verbose_name_plural = _("brieven")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application.reference}"


class BulkUpload(models.Model):
    """A CSV or XLSX file of many applications from an intermediary: all rows or none."""

    class Status(models.TextChoices):
        REJECTED = "rejected", _("afgekeurd")
        CREATED = "created", _("concepten aangemaakt")
        SUBMITTED = "submitted", _("ingediend")

    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="bulk_uploads")
    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="bulk_uploads")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    applications = models.ManyToManyField(Application, blank=True, related_name="bulk_uploads")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulkupload")
        verbose_name_plural = _("bulkuploads")


class ClockRun(models.Model):
    """One thing the daily clock job did on one day (a digest, a reminder): never twice."""

    day = models.DateField()
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "kind", "key"]
        verbose_name = _("klokactie")
        verbose_name_plural = _("klokacties")
        constraints = [models.UniqueConstraint(fields=["day", "kind", "key"], name="clock_run_once")]
