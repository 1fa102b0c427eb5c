"""Background report jobs (PDF reports, large exports) with their progress."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("in de wachtrij")
        RUNNING = "running", _("bezig")
        DONE = "done", _("klaar")
        FAILED = "failed", _("mislukt")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=20)
    code = models.CharField(max_length=60)
    as_of = models.DateField(null=True, blank=True)
    format = models.CharField(max_length=10, default="pdf")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="reports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rapportage-opdracht")
        verbose_name_plural = _("rapportage-opdrachten")

    def __str__(self) -> str:
        return f"{self.scope}/{self.code} ({self.get_status_display()})"


# --- the figures of every day, kept so that a report of any date is a lookup (``queries.snapshots``) ---------


class SnapshotRun(models.Model):
    """One pass of the daily job: every day up to ``through`` is in ``OpeningDay``.

    ``last_event_id`` and ``last_ledger_id`` are the newest rows of the trail and
    the ledger when the pass began; a row added later but dated on or before
    ``through`` (only a back-dated import does that) makes the snapshots stale,
    and the next pass builds them again from the trail.
    """

    through = models.DateField()
    last_event_id = models.BigIntegerField(default=0)
    last_ledger_id = models.BigIntegerField(default=0)
    days = models.PositiveIntegerField(default=0, help_text=_("Dagen met gebeurtenissen in deze ronde."))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-through", "-id"]
        verbose_name = _("dagstand-ronde")
        verbose_name_plural = _("dagstand-rondes")


class OpeningDay(models.Model):
    """The additive figures of an opening at the end of a day on which something happened to it."""

    opening_id = models.BigIntegerField()
    day = models.DateField()
    figures = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["opening_id", "day"], name="openingday_once")]
        verbose_name = _("dagstand van een openstelling")
        verbose_name_plural = _("dagstanden van openstellingen")


class ApplicationFact(models.Model):
    """What an application contributes to the figures at the end of the last day processed."""

    application_id = models.BigIntegerField(primary_key=True)
    opening_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField()
    sector = models.CharField(max_length=40, blank=True)
    granted = models.BooleanField(default=False)
    fact = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["organisation_id", "opening_id"], name="appfact_org_opening")]


class GrantedOrganisation(models.Model):
    """A period in which an organisation held at least one grant in an opening: from ``from_day`` up to
    (not including) ``to_day``. Different organisations over several openings are counted from these."""

    opening_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField()
    sector = models.CharField(max_length=40, blank=True)
    from_day = models.DateField()
    to_day = models.DateField(null=True, blank=True)
    # while the period runs: how many of the opening's applications of the organisation were granted last night
    holding = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["opening_id", "from_day"], name="grantedorg_opening_from"),
            models.Index(fields=["organisation_id", "opening_id"], name="grantedorg_org_opening"),
        ]
