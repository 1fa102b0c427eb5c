"""The casework on an application: documents, supplement requests, assessments, decisions, money, objections,
and the messages with the applicant."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schemes.models import MONEY, Opening

from .application import Application, Unit
from .organisations import Organisation, User


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
    # which of the documents the scheme asks for this is (a code of ``Rules.required_documents``); empty: another
    document_type = models.CharField(_("document van de regeling"), max_length=40, blank=True)
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
        TRANCHE_REDUCE = "tranche_reduce", _("verlaging tranche")

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
        RECORDED = "recorded", _("vastgelegd, wacht op bevestiging")
        PAID = "paid", _("betaald")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("soort"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("bedrag"), **MONEY)
    due_date = models.DateField(_("vervaldatum"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DUE)
    paid_at = models.DateTimeField(_("betaald op"), null=True, blank=True)
    tranche = models.ForeignKey("Tranche", on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    created_at = models.DateTimeField(default=timezone.now)
    # Separation of duties: recorded by one member of the finance staff, confirmed by another, then paid.
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vastgelegd door")
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("bevestigd door")
    )
    # The account paid to (or, for a recovery, the organisation's account on record), fixed when recorded.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    # A recovery (4:57): the reminder sent, and what a later payment set off against it (4:93).
    reminded_on = models.DateField(_("aanmaning verstuurd op"), null=True, blank=True)
    set_off = models.DecimalField(_("verrekend"), default=0, **MONEY)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("betaling")
        verbose_name_plural = _("betalingen")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | Q(recorded_by__isnull=True)
                | ~Q(confirmed_by=models.F("recorded_by")),
                name="payment_four_eyes",
            ),
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
    # the programme's review that decides this tranche (PPS: the 2026 evaluation), when the plan names one
    gate = models.ForeignKey(
        "schemes.ProgrammeGate", on_delete=models.PROTECT, null=True, blank=True, related_name="tranches"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    kpi_values = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Released at a lower amount (a partial withholding, itself a decision): the part of ``amount`` not paid out.
    withheld_amount = models.DecimalField(_("ingehouden deel"), default=0, **MONEY)

    @property
    def released_amount(self):
        """What this tranche pays out once released: its amount, less what a reduction withheld."""
        return self.amount - self.withheld_amount

    class Meta:
        ordering = ["application", "number"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="tranche_unique_number")]


class Objection(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("in behandeling")
        UPHELD = "upheld", _("gegrond")
        PARTLY_UPHELD = "partly_upheld", _("deels gegrond")
        DISMISSED = "dismissed", _("ongegrond")
        INADMISSIBLE = "inadmissible", _("niet-ontvankelijk")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    against_state = models.CharField(max_length=30)
    decision = models.ForeignKey(
        Decision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("bestreden besluit"),
    )
    reason = models.TextField(_("gronden van het bezwaar"))
    lodged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    lodged_on = models.DateField()
    decide_by = models.DateField()
    on_paper = models.BooleanField(_("op papier ontvangen"), default=False)
    postmarked_on = models.DateField(_("datum poststempel"), null=True, blank=True)
    timely = models.BooleanField(_("tijdig (Awb 6:9)"), default=True)
    hearing_on = models.DateField(_("hoorzitting gehouden op (Awb 7:2)"), null=True, blank=True)
    hearing_waived = models.TextField(_("afgezien van horen, omdat (Awb 7:3)"), blank=True)
    advisory_committee = models.BooleanField(_("adviescommissie (Awb 7:13, termijn 12 weken)"), default=False)
    postponed = models.BooleanField(_("beslissing verdaagd (Awb 7:10 lid 3)"), default=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    # Four eyes: the decision on the objection is proposed by one uninvolved reviewer and taken by a second.
    proposed_outcome = models.CharField(_("voorgestelde beslissing"), max_length=20, blank=True)
    proposed_amount = models.DecimalField(_("voorgesteld bedrag"), null=True, blank=True, **MONEY)
    proposed_note = models.TextField(_("voorgestelde motivering"), blank=True)
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    proposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lodged_on", "id"]
        verbose_name = _("bezwaar")
        verbose_name_plural = _("bezwaren")
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | Q(proposed_by__isnull=True)
                | ~Q(decided_by=models.F("proposed_by")),
                name="objection_four_eyes",
            ),
        ]


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


class SampleDraw(models.Model):
    """One day's sample of the small grants of an opening that are settled ex officio as granted (EZK framework:
    no report, with sample checks). Each candidate is drawn when the HMAC of the seed and its reference, read as a
    fraction, falls below the scheme's percentage: anyone with the seed and the list recomputes it
    (``services.samples.recompute``)."""

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="sample_draws")
    day = models.DateField(_("dag"))
    seed = models.CharField(max_length=128)
    percentage = models.DecimalField(_("percentage"), max_digits=5, decimal_places=2)
    candidates = models.JSONField(_("kandidaten (kenmerken)"), default=list)
    drawn = models.JSONField(_("getrokken (kenmerken)"), default=list)
    drawn_at = models.DateTimeField(_("getrokken op"), default=timezone.now)

    class Meta:
        ordering = ["day", "id"]
        verbose_name = _("steekproef")
        verbose_name_plural = _("steekproeven")


class LotterySeed(models.Model):
    """The seed of a draw, fixed before anyone knows the list it orders: drawn by the system (``secrets``), its
    SHA-256 recorded when it is committed, the seed itself shown only with the result.

    One per opening for a draw after the window (``day`` empty), and for first come, first served one per day on
    which the ceiling is crossed (committed at the crossing, drawn when that day ends).
    """

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="lottery_seeds")
    day = models.DateField(_("dag"), null=True, blank=True)
    seed = models.CharField(max_length=128)
    digest = models.CharField(_("SHA-256 van de seed"), max_length=64)
    committed_at = models.DateTimeField(_("vastgelegd"), default=timezone.now)
    revealed_at = models.DateTimeField(_("bekendgemaakt"), null=True, blank=True)

    class Meta:
        ordering = ["committed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opening"], condition=Q(day__isnull=True), name="seed_one_per_window"),
            models.UniqueConstraint(fields=["opening", "day"], condition=Q(day__isnull=False), name="seed_one_per_day"),
        ]


class Allocation(models.Model):
    """A run of an opening's distribution, with everything needed to recompute it.

    A preview is recorded too. A run by staff is proposed by one case worker and approved by another (four eyes);
    only the approval reserves the money, and an opening's window (or a first come, first served day) is drawn once.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("voorbeeld")
        PROPOSED = "proposed", _("voorgesteld")
        APPROVED = "approved", _("uitgevoerd")
        RETURNED = "returned", _("teruggestuurd")
        SUPERSEDED = "superseded", _("vervangen")

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="allocations")
    method = models.CharField(max_length=20)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    day = models.DateField(_("dag van de loting"), null=True, blank=True)  # fcfs: the day the ceiling was crossed
    lottery_seed = models.ForeignKey(LotterySeed, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    seed = models.CharField(max_length=128)
    run_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    run_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    advice = models.TextField(_("advies van de commissie"), blank=True)
    note = models.TextField(_("toelichting"), blank=True)
    order = models.JSONField(default=list)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-run_at", "-id"]
        verbose_name = _("verdeling")
        verbose_name_plural = _("verdelingen")
        constraints = [
            models.UniqueConstraint(
                fields=["opening"], condition=Q(status="approved", day__isnull=True), name="allocation_once_per_window"
            ),
            models.UniqueConstraint(
                fields=["opening", "day"],
                condition=Q(status="approved", day__isnull=False),
                name="allocation_once_per_day",
            ),
        ]


class InternalNote(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="internal_notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class Message(models.Model):
    """One message in the thread between staff and the applicant on an application: written once, never changed.

    Recorded in the audit trail with its text (``message_to_applicant``, ``message_from_applicant``), and announced
    by an e-mail with a link to the thread, never the text itself (``applications.letters.messages``).
    """

    class Direction(models.TextChoices):
        TO_APPLICANT = "to_applicant", _("aan de aanvrager")
        FROM_APPLICANT = "from_applicant", _("van de aanvrager")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(_("richting"), max_length=14, choices=Direction.choices)
    text = models.TextField(_("bericht"))
    sent_at = models.DateTimeField(_("verstuurd op"), default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("bericht")
        verbose_name_plural = _("berichten")

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.application_id}"

    @property
    def from_staff(self) -> bool:
        return self.direction == self.Direction.TO_APPLICANT


class DefaultNotice(models.Model):
    """A notice of default (ingebrekestelling, Awb 4:17) against a term that passed, and the penalty it ran.

    The penalty runs from two weeks after the notice was received, at the statutory rates, for at
    most 42 days, and stops when the decision is sent; what ran stays owed, and is fixed by a decision
    of its own within two weeks of the last day owed (4:18).
    """

    class Term(models.TextChoices):
        DECISION = "decision", _("beslistermijn aanvraag")
        SETTLEMENT = "settlement", _("beslistermijn vaststelling")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="default_notices")
    term = models.CharField(_("termijn"), max_length=10, choices=Term.choices)
    received_on = models.DateField(_("ingebrekestelling ontvangen op"))
    term_due = models.DateField(_("de termijn liep af op"))
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)
    ended_on = models.DateField(_("besluit verzonden op"), null=True, blank=True)
    penalty_days = models.PositiveSmallIntegerField(_("dagen in gebreke"), null=True, blank=True)
    amount_owed = models.DecimalField(_("verbeurde dwangsom"), null=True, blank=True, **MONEY)
    fixed_on = models.DateField(_("vastgesteld op (Awb 4:18)"), null=True, blank=True)
    fixed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(_("toelichting"), blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("ingebrekestelling")
        verbose_name_plural = _("ingebrekestellingen")
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(ended_on__isnull=True), name="default_notice_one_running"
            ),
            models.CheckConstraint(condition=Q(received_on__gt=models.F("term_due")), name="default_notice_after_term"),
        ]

    def __str__(self) -> str:
        return f"{self.get_term_display()} {self.application_id}"
