"""The catalogue: schemes (regelingen) with their rules, and their openings (openstellingen).

A scheme holds its rules; an opening freezes a copy of those rules when it is
created (``Opening.rules``), so an application is always judged by the rules as
they were published for its opening, whatever later happens to the scheme.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import assurance
from ..formatting import euro
from ..rules import Rules, document_types_problem, sector_caps_problem

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class Shape(models.TextChoices):
    PER_UNIT = "per_unit", _("vast bedrag per eenheid")
    SHARE_OF_COSTS = "share_of_costs", _("percentage van de kosten")
    PROGRAMME = "programme", _("programma-toekenning in tranches")


class Distribution(models.TextChoices):
    FCFS = "fcfs", _("op volgorde van binnenkomst (met loting op de dag van overschrijding)")
    LOTTERY = "lottery", _("loting")
    TENDER = "tender", _("tender (rangschikking op score)")
    PRO_RATA = "pro_rata", _("naar evenredigheid")


class TenderScore(models.TextChoices):
    """Which score a tender ranks by (``allocation.committee_scores``)."""

    MEAN = "mean", _("het gemiddelde van de totaalscores van de beoordelaars")
    CONSENSUS = "consensus", _("de score waarover de commissie het eens werd (consensusscore)")


class TermStart(models.TextChoices):
    """Where the decision term starts (``clocks.TERM_STARTS``)."""

    SUBMISSION = "submission", _("bij ontvangst van de aanvraag (Awb 4:13)")
    COMPLETENESS = "completeness", _("bij een volledige aanvraag (na een aanvulling opnieuw)")
    CLOSE = "close", _("bij het sluiten van de openstelling (loting, tender)")
    DATE = "date", _("op de datum die de regeling voor de openstelling noemt")


class Scheme(models.Model):
    """A regeling with everything that decides who gets what."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("naam"), max_length=255)
    short_name = models.CharField(_("korte naam"), max_length=80, blank=True)
    summary = models.TextField(_("samenvatting"), blank=True)
    reference_prefix = models.CharField(
        _("prefix kenmerk"), max_length=6, help_text=_("Bijvoorbeeld OMS voor OMS-2021-000123.")
    )
    owner = models.CharField(_("eigenaar (ministerie)"), max_length=120)
    competent_authority = models.CharField(
        _("bevoegd bestuursorgaan"),
        max_length=255,
        blank=True,
        help_text=_(
            "Wie besluit, zoals de brief het noemt: bijvoorbeeld 'De Minister van Economische Zaken en Klimaat'."
        ),
    )
    signed_under_mandate = models.CharField(
        _("ondertekening namens deze (mandaat)"),
        max_length=255,
        blank=True,
        help_text=_("Wie namens het bestuursorgaan tekent, bijvoorbeeld 'Rijksdienst voor Ondernemend Nederland'."),
    )
    legal_basis = models.CharField(
        _("wettelijke grondslag"),
        max_length=500,
        blank=True,
        help_text=_("De regeling (en het artikel) waarop de besluiten rusten, zoals de brief het noemt."),
    )
    executing_agency = models.CharField(_("uitvoerder"), max_length=120)
    postal_address = models.TextField(
        _("postadres voor correspondentie"),
        blank=True,
        help_text=_(
            "Eén regel per adresregel. Leeg: het bekende postadres van de uitvoerder (RVO, SZW). Elke brief "
            "draagt dit adres; een uitvoerder zonder bekend adres vult het hier in."
        ),
    )
    objection_address = models.TextField(
        _("postadres voor bezwaar"),
        blank=True,
        help_text=_(
            "Eén regel per adresregel, zoals het in elk besluit onder ‘Bent u het niet eens met dit besluit?’ "
            "staat. Leeg: het postadres voor correspondentie."
        ),
    )
    agdb_pillar = models.PositiveSmallIntegerField(
        _("pijler AGDB"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("1 instroom bèta-techniek, 2 behouden en aantrekken, 3 productiviteit, 4 governance."),
    )
    shape = models.CharField(_("financiële vorm"), max_length=20, choices=Shape.choices)
    unit_label = models.CharField(_("naam van een eenheid"), max_length=60, blank=True, default="traject")
    unit_amount = models.DecimalField(_("bedrag per eenheid"), null=True, blank=True, **MONEY)
    min_unit_cost = models.DecimalField(_("minimale kosten per eenheid"), null=True, blank=True, **MONEY)
    max_units_per_applicant = models.PositiveIntegerField(
        _("maximaal aantal eenheden per aanvrager"), null=True, blank=True
    )
    percentage = models.DecimalField(
        _("percentage van de kosten"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    min_amount = models.DecimalField(_("minimumbedrag"), null=True, blank=True, **MONEY)
    max_amount = models.DecimalField(_("maximumbedrag per aanvrager"), null=True, blank=True, **MONEY)
    max_amount_partnership = models.DecimalField(
        _("maximumbedrag per samenwerkingsverband"), null=True, blank=True, **MONEY
    )
    min_eligible_costs = models.DecimalField(_("minimale subsidiabele kosten"), null=True, blank=True, **MONEY)
    programme_total = models.DecimalField(_("totaal programma"), null=True, blank=True, **MONEY)
    programme_start_year = models.PositiveSmallIntegerField(_("programma gestart in"), null=True, blank=True)
    programme_end_year = models.PositiveSmallIntegerField(_("programma loopt tot"), null=True, blank=True)
    applicant_types = models.CharField(_("wie mag aanvragen"), max_length=255, blank=True)
    intermediaries_allowed = models.BooleanField(_("intermediairs mogen aanvragen"), default=False)
    assurance_level = models.CharField(
        _("vereist betrouwbaarheidsniveau eHerkenning"),
        max_length=10,
        choices=assurance.Level.choices,
        blank=True,
        default=assurance.Level.NONE,
        help_text=_(
            "Het niveau waarmee een aanvrager of intermediair moet zijn ingelogd om een aanvraag te starten of in "
            "te dienen (meestal EH3). Leeg: geen eis; inloggen met een wachtwoord voldoet dan ook."
        ),
    )
    one_per_window = models.BooleanField(_("één aanvraag per aanvrager per openstelling"), default=False)
    de_minimis = models.BooleanField(_("de-minimissteun"), default=False)
    sme_only = models.BooleanField(
        _("alleen voor mkb-ondernemingen (EU-definitie)"),
        default=False,
        help_text=_(
            "Minder dan 250 werknemers en een jaaromzet van ten hoogste € 50 mln of een balanstotaal van ten hoogste "
            "€ 43 mln, met de cijfers van partner- en verbonden ondernemingen meegeteld (bijlage I bij Verordening "
            "(EU) nr. 651/2014)."
        ),
    )
    min_sme_share_partnership = models.DecimalField(
        _("samenwerkingsverband: minimaal aandeel mkb (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    max_amount_by_sector = models.JSONField(
        _("maximumbedrag per sector"),
        default=dict,
        blank=True,
        help_text=_('Een lager maximum voor een sector, zoals {"landbouw": "20000.00"} (SLIM: de-minimis landbouw).'),
    )
    not_combined_with = models.JSONField(
        _("niet te combineren met (regelingen)"),
        default=list,
        blank=True,
        help_text=_(
            'De codes van regelingen die niet hetzelfde traject mogen betalen, zoals ["slim"]. Bij het besluit '
            "wordt gecontroleerd of een deelnemer van deze aanvraag daar al subsidie voor heeft."
        ),
    )
    required_documents = models.JSONField(
        _("documenten die de regeling vraagt"),
        default=list,
        blank=True,
        help_text=_(
            "Een lijst van soorten, elk met een code, een naam en of het er één per eenheid is, zoals "
            '[{"code": "offerte", "label": "Offerte van de opleider", "per_unit": true}]. Zonder deze '
            "documenten kan een aanvraag niet worden ingediend."
        ),
    )
    tender_score = models.CharField(
        _("score van de commissie (tender)"),
        max_length=20,
        choices=TenderScore.choices,
        default=TenderScore.MEAN,
        help_text=_(
            "Waarop een tender rangschikt: het gemiddelde van de beoordelaars, of de consensusscore die de commissie "
            "per aanvraag vaststelt (een behandelaar legt haar vast; zonder die score wordt een aanvraag niet "
            "gerangschikt)."
        ),
    )
    decision_term_weeks = models.PositiveSmallIntegerField(_("beslistermijn (weken)"), default=8)
    decision_term_from = models.CharField(
        _("beslistermijn loopt vanaf"),
        max_length=20,
        choices=TermStart.choices,
        default=TermStart.SUBMISSION,
        help_text=_("Bij loting en tender: vanaf het sluiten van de openstelling, of de datum die de regeling noemt."),
    )
    settlement_term_weeks = models.PositiveSmallIntegerField(
        _("beslistermijn vaststelling (weken)"),
        null=True,
        blank=True,
        help_text=_("Leeg: acht weken na de aanvraag tot vaststelling."),
    )
    supplement_term_days = models.PositiveSmallIntegerField(_("standaard aanvullingstermijn (dagen)"), default=14)
    retention_years = models.PositiveSmallIntegerField(
        _("bewaartermijn persoonsgegevens (jaren)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_(
            "Zoveel jaar na de vaststelling of de afwijzing worden deelnemers, contactpersonen en documenten "
            "van een afgesloten aanvraag onherkenbaar gemaakt (manage.py apply_retention)."
        ),
    )
    advance_pct = models.DecimalField(
        _("voorschot bij verlening (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    target_units = models.PositiveIntegerField(_("doel (eenheden)"), null=True, blank=True)
    ex_officio_below = models.DecimalField(_("ambtshalve vaststelling onder"), null=True, blank=True, **MONEY)
    accountant_above = models.DecimalField(_("accountantsverklaring vanaf"), null=True, blank=True, **MONEY)
    sample_check_pct = models.DecimalField(
        _("steekproef bij ambtshalve vaststelling (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "Van de kleine subsidies die ambtshalve worden vastgesteld zoals verleend, trekt het systeem dagelijks "
            "dit percentage voor een controle: een behandelaar stelt die vast na de controle."
        ),
    )
    ex_officio_when_late = models.BooleanField(
        _("ambtshalve vaststellen als de aanvraag tot vaststelling 13 weken te laat is"), default=True
    )
    warning_amber_pct = models.DecimalField(
        _("vroegsignaal oranje onder (% van doel)"), max_digits=5, decimal_places=2, default=Decimal("80")
    )
    warning_red_pct = models.DecimalField(
        _("vroegsignaal rood onder (% van doel)"), max_digits=5, decimal_places=2, default=Decimal("50")
    )
    sources = models.TextField(_("bronnen"), blank=True)
    notes = models.TextField(_("toelichting"), blank=True)
    is_demo = models.BooleanField(_("demo"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("regeling")
        verbose_name_plural = _("regelingen")
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__isnull=True) | Q(percentage__gte=0, percentage__lte=100),
                name="scheme_percentage_0_100",
            ),
            models.CheckConstraint(condition=Q(advance_pct__gte=0, advance_pct__lte=100), name="scheme_advance_0_100"),
            models.CheckConstraint(
                condition=Q(sample_check_pct__gte=0, sample_check_pct__lte=100), name="scheme_sample_check_0_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field in (
            "unit_amount",
            "min_unit_cost",
            "min_amount",
            "max_amount",
            "max_amount_partnership",
            "min_eligible_costs",
            "programme_total",
            "ex_officio_below",
            "accountant_above",
        ):
            value = getattr(self, field)
            if value is not None and value < 0:
                errors[field] = _("Een bedrag kan niet negatief zijn.")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            errors["max_amount"] = _("Het maximumbedrag moet minstens het minimumbedrag zijn.")
        if self.shape == Shape.PER_UNIT and self.unit_amount is None:
            errors["unit_amount"] = _("Een regeling per eenheid heeft een bedrag per eenheid nodig.")
        if self.shape == Shape.SHARE_OF_COSTS and self.percentage is None:
            errors["percentage"] = _("Een regeling met een percentage van de kosten heeft een percentage nodig.")
        problem = document_types_problem(self.required_documents)
        if problem:
            errors["required_documents"] = problem
        problem = sector_caps_problem(self.max_amount_by_sector)
        if problem:
            errors["max_amount_by_sector"] = problem
        if not isinstance(self.not_combined_with, list) or not all(
            isinstance(code, str) and code.strip() for code in self.not_combined_with
        ):
            errors["not_combined_with"] = _('Geef een lijst van regelingcodes, zoals ["slim"].')
        if self.min_sme_share_partnership is not None and not 0 <= self.min_sme_share_partnership <= 100:
            errors["min_sme_share_partnership"] = _("Een aandeel ligt tussen 0 en 100 %.")
        if self.warning_red_pct > self.warning_amber_pct:
            errors["warning_red_pct"] = _("De grens voor rood moet lager liggen dan die voor oranje.")
        if errors:
            raise ValidationError(errors)

    def current_rules(self) -> Rules:
        return Rules.from_scheme(self)


class Opening(models.Model):
    """An openstelling (tijdvak, edition, call) with its own ceiling and distribution."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="openings", verbose_name=_("regeling"))
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("naam"), max_length=255)
    opens_at = models.DateTimeField(_("opent"))
    closes_at = models.DateTimeField(_("sluit"))
    budget_ceiling = models.DecimalField(_("subsidieplafond"), **MONEY)
    distribution = models.CharField(_("verdeelmethode"), max_length=20, choices=Distribution.choices)
    min_score = models.DecimalField(_("minimale score (tender)"), max_digits=5, decimal_places=2, null=True, blank=True)
    partial_grant = models.BooleanField(
        _("de aanvraag op de grens krijgt wat er over is"),
        default=False,
        help_text=_(
            "Awb 4:25, tweede lid ('voor zover'): de eerste aanvraag die niet meer helemaal past, krijgt het bedrag "
            "dat onder het plafond over is, als dat niet onder het minimumbedrag van de regeling ligt. Uit: de "
            "volgorde blijft strikt en zij krijgt niets."
        ),
    )
    capacity_units = models.PositiveIntegerField(_("capaciteit (eenheden)"), null=True, blank=True)
    target_units = models.PositiveIntegerField(_("doel deze openstelling (eenheden)"), null=True, blank=True)
    decision_term_starts_on = models.DateField(
        _("beslistermijn loopt vanaf (datum)"),
        null=True,
        blank=True,
        help_text=_("Alleen als de regeling de beslistermijn laat lopen vanaf een datum die zij noemt."),
    )
    rules = models.JSONField(_("regels zoals gepubliceerd"), default=dict, blank=True, editable=False)
    # Running totals of the ledger, kept on the row that is locked for every
    # change, so the database itself can refuse an overspent ceiling.
    reserved = models.DecimalField(_("gereserveerd"), default=ZERO, editable=False, **MONEY)
    committed = models.DecimalField(_("verplicht"), default=ZERO, editable=False, **MONEY)
    paid = models.DecimalField(_("betaald"), default=ZERO, editable=False, **MONEY)
    recovered = models.DecimalField(_("teruggevorderd"), default=ZERO, editable=False, **MONEY)
    queue_length = models.PositiveIntegerField(_("lengte wachtrij"), default=0, editable=False)
    notes = models.TextField(_("toelichting"), blank=True)
    sources = models.TextField(_("bronnen"), blank=True)
    is_demo = models.BooleanField(_("demo"), default=False)

    class Meta:
        ordering = ["scheme__name", "opens_at"]
        verbose_name = _("openstelling")
        verbose_name_plural = _("openstellingen")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="opening_window_order"),
            models.CheckConstraint(condition=Q(budget_ceiling__gte=0), name="opening_ceiling_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0, committed__gte=0, paid__gte=0, recovered__gte=0),
                name="opening_ledger_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(budget_ceiling__gte=F("reserved") + F("committed")),
                name="opening_ceiling_never_exceeded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    class Status(models.TextChoices):
        PLANNED = "planned", _("gepland")
        OPEN = "open", _("open")
        CLOSED = "closed", _("gesloten")

    def status_at(self, moment=None) -> str:
        moment = moment or timezone.now()
        if moment < self.opens_at:
            return self.Status.PLANNED
        if moment < self.closes_at:
            return self.Status.OPEN
        return self.Status.CLOSED

    @property
    def status(self) -> str:
        return self.status_at()

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    @property
    def available(self) -> Decimal:
        return self.budget_ceiling - self.reserved - self.committed

    @property
    def published_rules(self) -> Rules:
        """The rules as they stood when this opening was published."""
        if not self.rules:
            return Rules.from_scheme(self.scheme)
        return Rules.from_dict(self.rules)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("De openstelling moet sluiten na het moment van openen.")
        if self.budget_ceiling is not None and self.budget_ceiling < 0:
            errors["budget_ceiling"] = _("Het subsidieplafond kan niet negatief zijn.")
        elif self.pk and self.budget_ceiling is not None and self.budget_ceiling < self.reserved + self.committed:
            errors["budget_ceiling"] = _(
                "Het plafond kan niet lager dan wat al gereserveerd en verplicht is (%(amount)s)."
            ) % {"amount": euro(self.reserved + self.committed)}
        if self.min_score is not None and self.min_score < 0:
            errors["min_score"] = _("Een minimale score kan niet negatief zijn.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if not self.rules and self.scheme_id:
            self.rules = Rules.from_scheme(self.scheme).to_dict()
        super().save(*args, **kwargs)
