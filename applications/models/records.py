"""What is kept on record: the append-only audit trail, letters and their templates, e-mails sent, bulk uploads, clock runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schemes.models import Opening, Scheme

from ..workflow import LetterKind
from .application import Application
from .casework import Decision
from .organisations import User


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
    changes = models.JSONField(
        default=dict, blank=True, help_text=_("De velden die de handeling veranderde: [oud, nieuw].")
    )
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


class Notification(models.Model):
    """An e-mail sent for an audit event; one per event, so a retry never sends twice."""

    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="notification")
    recipient = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)


class LetterTemplate(models.Model):
    """The text of a letter of one kind, per scheme or as the default (scheme empty)."""

    Kind = LetterKind

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


class Outbox(models.Model):
    """A side effect an event owes — a letter, an e-mail — written in the same transaction as the event.

    Nothing depends on the broker keeping a message: a row stays ``owed`` until a
    dispatcher has delivered it (``applications.outbox``), is retried with a
    back-off, and after ``MAX_ATTEMPTS`` is ``failed`` and shown to administrators.
    The ``key`` makes delivery idempotent: one row, one letter, one e-mail.
    """

    class Kind(models.TextChoices):
        LETTER = "letter", _("brief")
        EMAIL = "email", _("e-mail")
        MESSAGE = "message", _("e-mail over een bericht")

    class Status(models.TextChoices):
        OWED = "owed", _("te leveren")
        DONE = "done", _("geleverd")
        FAILED = "failed", _("mislukt")
        WAIVED = "waived", _("niet verstuurd (historische invoer)")

    key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(_("soort"), max_length=10, choices=Kind.choices)
    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="owed")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="outbox")
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OWED)
    attempts = models.PositiveSmallIntegerField(_("pogingen"), default=0)
    last_error = models.TextField(_("laatste fout"), blank=True)
    created_at = models.DateTimeField(_("aangemaakt"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("volgende poging"), default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(_("geleverd op"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("te leveren bericht")
        verbose_name_plural = _("uitgaande berichten")
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="owed"), name="outbox_owed_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class Finding(models.Model):
    """Something the reconciliation found that should not be (``manage.py reconcile``, daily): kept for staff."""

    class Kind(models.TextChoices):
        OWED = "owed", _("brief of e-mail ontbreekt of blijft hangen")
        LEDGER = "ledger", _("grootboek, openstelling en aanvragen lopen niet gelijk")
        QUEUE = "queue", _("wachtrij met gaten of dubbelen")

    run_at = models.DateTimeField(_("gevonden op"), db_index=True)
    kind = models.CharField(_("controle"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("waarover"), max_length=160)
    detail = models.TextField(_("bevinding"))

    class Meta:
        ordering = ["-run_at", "kind", "subject"]
        verbose_name = _("bevinding van de reconciliatie")
        verbose_name_plural = _("bevindingen van de reconciliatie")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class EquatedDay(models.Model):
    """A day equated with a generally recognised holiday by royal decree (Algemene termijnenwet, art. 3 lid 3).

    Terms that end on it run on to the next working day. Administrators keep these
    with the decree's reference; the statutory holidays themselves are in ``clocks``.
    """

    day = models.DateField(_("dag"), unique=True)
    reference = models.CharField(
        _("besluit"), max_length=255, help_text=_("Het koninklijk besluit en zijn vindplaats (Staatsblad).")
    )

    class Meta:
        ordering = ["day"]
        verbose_name = _("gelijkgestelde dag (Atw)")
        verbose_name_plural = _("gelijkgestelde dagen (Atw)")

    def __str__(self) -> str:
        return f"{self.day.isoformat()} ({self.reference})"
