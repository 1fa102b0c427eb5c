"""Who applies and who acts: organisations, users with their role, and mandates to intermediaries."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import iban

from schemes.models import Scheme

from ..roles import APPLICANT_ROLES, STAFF_ROLES, Role

kvk_validator = RegexValidator(r"^\d{8}$", _("Een KVK-nummer bestaat uit precies 8 cijfers."))


def validate_iban(value: str) -> None:
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
    # The figures of the SME test (EU definition), of the organisation itself; partner and linked enterprises are
    # ``EnterpriseLink`` rows. Declared by the applicant, checked against the KVK and the annual accounts.
    employees = models.DecimalField(
        _("werknemers (jaarlijkse arbeidseenheden)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    annual_turnover = models.DecimalField(_("jaaromzet"), max_digits=14, decimal_places=2, null=True, blank=True)
    balance_sheet_total = models.DecimalField(_("balanstotaal"), max_digits=14, decimal_places=2, null=True, blank=True)
    figures_year = models.PositiveSmallIntegerField(_("boekjaar van de cijfers"), null=True, blank=True)

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


class EnterpriseLink(models.Model):
    """Another enterprise the organisation is tied to, for the SME test and the single undertaking.

    A partner enterprise (25 % to 50 % of the capital or votes, either way) counts for its share; a linked
    enterprise (more than 50 %, or control) counts in full and, for de-minimis aid, is part of the same single
    undertaking (Regulation (EU) 2023/2831, art. 2(2)).
    """

    class Kind(models.TextChoices):
        PARTNER = "partner", _("partneronderneming (25–50 %)")
        LINKED = "linked", _("verbonden onderneming (meer dan 50 % of zeggenschap)")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("soort"), max_length=10, choices=Kind.choices)
    kvk = models.CharField(_("KVK-nummer"), max_length=8, blank=True, validators=[kvk_validator])
    name = models.CharField(_("naam"), max_length=255)
    share = models.DecimalField(_("aandeel (%)"), max_digits=5, decimal_places=2)
    employees = models.DecimalField(_("werknemers (jaarlijkse arbeidseenheden)"), max_digits=9, decimal_places=1)
    annual_turnover = models.DecimalField(_("jaaromzet"), max_digits=14, decimal_places=2)
    balance_sheet_total = models.DecimalField(_("balanstotaal"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["organisation", "kind", "name"]
        verbose_name = _("partner- of verbonden onderneming")
        verbose_name_plural = _("partner- en verbonden ondernemingen")
        constraints = [
            models.CheckConstraint(condition=Q(share__gte=0) & Q(share__lte=100), name="link_share_percentage"),
            models.CheckConstraint(
                condition=Q(employees__gte=0) & Q(annual_turnover__gte=0) & Q(balance_sheet_total__gte=0),
                name="link_figures_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.share} %)"


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
        return self.role in APPLICANT_ROLES

    @property
    def is_case_worker(self) -> bool:
        return self.role in STAFF_ROLES

    def handles_scheme(self, scheme_id: int) -> bool:
        if self.role == Role.ADMINISTRATOR:
            return True
        if not self.is_case_worker and self.role != Role.PROGRAM_MANAGER:
            return False
        cache = getattr(self, "_scheme_ids", None)
        if cache is None:
            cache = self._scheme_ids = set(self.schemes.values_list("id", flat=True))
        return scheme_id in cache


class IbanChange(models.Model):
    """A change of an organisation's bank account: payments to it wait until a second person approves the change.

    The first account an organisation gives needs no approval; every later change does, by finance staff who did
    not make it. Until then ``Organisation.iban`` holds the new account and its payments are held.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="iban_changes")
    old_iban = models.CharField(_("oud IBAN"), max_length=34)
    new_iban = models.CharField(_("nieuw IBAN"), max_length=34)
    requested_by = models.ForeignKey(
        "User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("gewijzigd door")
    )
    requested_at = models.DateTimeField(_("gewijzigd op"), default=timezone.now)
    approved_by = models.ForeignKey(
        "User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("goedgekeurd door")
    )
    approved_at = models.DateTimeField(_("goedgekeurd op"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("wijziging rekeningnummer")
        verbose_name_plural = _("wijzigingen rekeningnummer")
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(requested_by__isnull=True)
                | ~Q(approved_by=models.F("requested_by")),
                name="iban_change_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.old_iban} → {self.new_iban}"


class MandateQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> MandateQuerySet:
        """Mandates in force on ``on`` (default today): not revoked, begun and not ended. The one such query."""
        day = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


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

    objects = MandateQuerySet.as_manager()

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


class OrganisationEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Het logboek van een organisatie wordt nooit gewijzigd."))

    def delete(self):
        raise ValidationError(_("Het logboek van een organisatie wordt nooit verwijderd."))


class OrganisationEvent(models.Model):
    """Append-only: one row per change of an organisation's details (its IBAN above all), old and new."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(_("via"), max_length=20)
    changes = models.JSONField(_("wijzigingen"), default=dict, help_text=_("Per veld: [oud, nieuw]."))
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = OrganisationEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("wijziging van een organisatie")
        verbose_name_plural = _("wijzigingen van organisaties")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Het logboek van een organisatie wordt nooit gewijzigd."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Het logboek van een organisatie wordt nooit verwijderd."))
