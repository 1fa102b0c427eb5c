"""The budget ledger of an opening: changes of its ceiling and every booking against it. Never edited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import MONEY, Opening


class BudgetChange(models.Model):
    """A change of an opening's ceiling, with its reason. Never edited afterwards."""

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="budget_changes")
    old_ceiling = models.DecimalField(_("oud plafond"), **MONEY)
    new_ceiling = models.DecimalField(_("nieuw plafond"), **MONEY)
    reason = models.TextField(_("reden"))
    changed_by = models.ForeignKey(
        "applications.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("gewijzigd op"), default=timezone.now)

    class Meta:
        ordering = ["changed_at"]
        verbose_name = _("plafondwijziging")
        verbose_name_plural = _("plafondwijzigingen")

    def __str__(self) -> str:
        return f"{self.opening.code}: {self.old_ceiling} → {self.new_ceiling}"


class LedgerEntry(models.Model):
    """One movement of money against an opening's ceiling. Append-only."""

    class Kind(models.TextChoices):
        RESERVE = "reserve", _("reservering")
        RELEASE = "release", _("vrijgave")
        COMMIT = "commit", _("verplichting")
        DECOMMIT = "decommit", _("verlaging verplichting")
        PAY = "pay", _("betaling")
        RECOVER = "recover", _("terugvordering")
        SETTLE = "settle", _("vaststelling")

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="ledger")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("boeking")
        verbose_name_plural = _("boekingen")
        indexes = [models.Index(fields=["opening", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError(_("Een boeking wordt nooit gewijzigd."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Een boeking wordt nooit verwijderd."))
