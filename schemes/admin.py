"""Beheer of the catalogue: schemes, openings, tranche plans and KPIs, without code.

Functional administrators work here. Three things are guarded beyond the
models' own ``clean()``: a ceiling of an existing opening changes only through
``services.change_ceiling`` (with a reason, recorded as a BudgetChange); the
rules an opening was published with are shown, never edited; and the ledger
and the budget changes are records, so nobody adds, edits or deletes them here.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .formatting import euro
from .models import (
    KPI,
    BudgetChange,
    KPIMeasurement,
    LedgerEntry,
    Opening,
    ProgrammeBudgetLine,
    ProgrammeGate,
    Scheme,
    TranchePlanItem,
)
from .rules import ALLOCATION_RULES, AMOUNT_RULES, DOCUMENT_RULES, MONEY_FIELDS, RULE_FIELDS, TERM_RULES, WHO_RULES

PERCENTAGE_MESSAGES = {
    "max_value": _("Een percentage kan niet hoger zijn dan 100."),
    "min_value": _("Een percentage kan niet negatief zijn."),
}


class ReadOnlyAdminMixin:
    """Records that are written by services only: visible, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Scheme ------------------------------------------------------------------


class SchemeAdminForm(forms.ModelForm):
    class Meta:
        model = Scheme
        fields = "__all__"
        error_messages = {"percentage": PERCENTAGE_MESSAGES, "advance_pct": PERCENTAGE_MESSAGES}


class TranchePlanFormSet(forms.BaseInlineFormSet):
    """Tranche numbers are unique per opening (or for the scheme), and add up to at most the programme total."""

    def clean(self):
        super().clean()
        seen: set[tuple[int | None, int]] = set()
        total = Decimal("0")
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("number") is None:
                continue
            opening = data.get("opening")
            key = (opening.pk if opening else None, data["number"])
            if key in seen:
                form.add_error("number", gettext("Dit tranchenummer komt al voor in het plan."))
            seen.add(key)
            if opening is None and data.get("amount") is not None:
                total += data["amount"]
        programme_total = self.instance.programme_total
        if programme_total is not None and total > programme_total:
            raise forms.ValidationError(
                gettext("De tranches tellen op tot %(total)s; het programma is %(max)s.")
                % {"total": euro(total), "max": euro(programme_total)}
            )


class TranchePlanItemInline(admin.TabularInline):
    model = TranchePlanItem
    fk_name = "scheme"
    formset = TranchePlanFormSet
    extra = 0
    fields = [
        "number",
        "label",
        "amount",
        "offset_months",
        "planned_date",
        "gated",
        "gate",
        "review_kind",
        "review_date",
        "assumption",
        "opening",
    ]

    def get_formset(self, request, obj=None, **kwargs):
        self._scheme = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scheme = getattr(self, "_scheme", None)
        if db_field.name == "opening":
            kwargs["queryset"] = Opening.objects.filter(scheme=scheme) if scheme else Opening.objects.none()
        if db_field.name == "gate":
            kwargs["queryset"] = ProgrammeGate.objects.filter(scheme=scheme) if scheme else ProgrammeGate.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProgrammeGateInline(admin.TabularInline):
    """The programme's dated reviews: a tranche or budget line that names one waits for it."""

    model = ProgrammeGate
    extra = 0
    fields = ["code", "label", "review_kind", "review_date", "criteria", "source"]


class ProgrammeBudgetLineInline(admin.TabularInline):
    """How the programme total is divided: awards, programme management, money held back until a gate."""

    model = ProgrammeBudgetLine
    extra = 0
    fields = ["code", "label", "purpose", "amount", "gate", "assumption", "source"]

    def get_formset(self, request, obj=None, **kwargs):
        self._scheme = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "gate":
            scheme = getattr(self, "_scheme", None)
            kwargs["queryset"] = ProgrammeGate.objects.filter(scheme=scheme) if scheme else ProgrammeGate.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OpeningInline(admin.TabularInline):
    """The scheme's openings at a glance; each is added and changed on its own page (ceiling changes need a reason)."""

    model = Opening
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["code", "name", "opens_at", "closes_at", "ceiling", "distribution"]
    readonly_fields = fields

    @admin.display(description=_("subsidieplafond"))
    def ceiling(self, obj):
        return euro(obj.budget_ceiling)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class KPIInline(admin.TabularInline):
    model = KPI
    extra = 0
    show_change_link = True
    fields = [
        "code",
        "name",
        "unit",
        "kind",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "source",
        "is_demo",
    ]


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    form = SchemeAdminForm
    list_display = ["name", "code", "shape", "owner", "executing_agency", "opening_count", "is_demo"]
    list_filter = ["shape", "executing_agency", "is_demo"]
    search_fields = ["code", "name", "short_name"]
    inlines = [OpeningInline, ProgrammeGateInline, ProgrammeBudgetLineInline, TranchePlanItemInline, KPIInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "short_name", "summary", "reference_prefix", "is_demo"]}),
        (
            _("Eigenaar en uitvoering"),
            {
                "fields": [
                    "owner",
                    "executing_agency",
                    "agdb_pillar",
                    "competent_authority",
                    "signed_under_mandate",
                    "legal_basis",
                    "postal_address",
                    "objection_address",
                ]
            },
        ),
        (
            _("Financiële regels"),
            {
                "description": _(
                    "Wijzigingen gelden voor openstellingen die hierna worden aangemaakt. Een bestaande "
                    "openstelling houdt de regels waarmee zij is gepubliceerd."
                ),
                "fields": [*AMOUNT_RULES, "programme_total", *ALLOCATION_RULES],
            },
        ),
        (
            _("Wie en hoe"),
            {"fields": ["applicant_types", *WHO_RULES, "assurance_level"]},
        ),
        (
            _("Termijnen, voorschot en vaststelling"),
            {"fields": [*TERM_RULES, "retention_years"]},
        ),
        (
            _("Documenten bij de aanvraag"),
            {
                "description": _(
                    "Wat een aanvraag moet bevatten voordat zij kan worden ingediend; een bestaande openstelling "
                    "houdt de lijst waarmee zij is gepubliceerd."
                ),
                "fields": [*DOCUMENT_RULES],
            },
        ),
        (_("Doel en vroegsignaal"), {"fields": ["target_units", "warning_amber_pct", "warning_red_pct"]}),
        (_("Bronnen en toelichting"), {"fields": ["sources", "notes"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_opening_count=Count("openings"))

    @admin.display(description=_("openstellingen"), ordering="_opening_count")
    def opening_count(self, obj):
        return obj._opening_count


# --- Opening -----------------------------------------------------------------


class OpeningAdminForm(forms.ModelForm):
    ceiling_change_reason = forms.CharField(
        label=_("Reden van de wijziging"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Verplicht als u het subsidieplafond wijzigt. De wijziging wordt met deze reden vastgelegd; "
            "aanvragen die al zijn ingediend blijven onder het plafond zoals het was (Awb 4:27)."
        ),
    )

    class Meta:
        model = Opening
        fields = "__all__"

    def ceiling_changed(self) -> bool:
        return bool(self.instance.pk) and "budget_ceiling" in self.changed_data

    def clean(self):
        cleaned = super().clean()
        if self.ceiling_changed():
            if not (cleaned.get("ceiling_change_reason") or "").strip():
                self.add_error(
                    "ceiling_change_reason",
                    gettext("Geef een reden voor de wijziging van het plafond."),
                )
            # Lock the row for the rest of the request (the admin saves in the
            # same transaction) and judge the new ceiling against what is
            # reserved and committed now, not when the page was loaded.
            locked = Opening.objects.select_for_update().only("reserved", "committed").get(pk=self.instance.pk)
            self.instance.reserved = locked.reserved
            self.instance.committed = locked.committed
        return cleaned


class BudgetChangeInline(admin.TabularInline):
    model = BudgetChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "old", "new", "reason", "changed_by"]
    readonly_fields = fields
    verbose_name_plural = _("plafondwijzigingen")

    @admin.display(description=_("oud plafond"))
    def old(self, obj):
        return euro(obj.old_ceiling)

    @admin.display(description=_("nieuw plafond"))
    def new(self, obj):
        return euro(obj.new_ceiling)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Opening)
class OpeningAdmin(admin.ModelAdmin):
    form = OpeningAdminForm
    list_display = ["name", "code", "scheme", "opens_at", "closes_at", "ceiling", "distribution", "status_label"]
    list_filter = ["scheme", "distribution", "is_demo"]
    search_fields = ["code", "name", "scheme__name"]
    list_select_related = ["scheme"]
    inlines = [BudgetChangeInline]
    readonly_fields = [
        "ceiling_reserved",
        "ceiling_committed",
        "ceiling_paid",
        "ceiling_recovered",
        "ceiling_available",
        "queue_length",
        "published_rules",
    ]

    def get_fieldsets(self, request, obj=None):
        ceiling = ["budget_ceiling"] + (["ceiling_change_reason"] if obj else [])
        return [
            (None, {"fields": ["scheme", "code", "name", "is_demo"]}),
            (_("Tijdvak"), {"fields": ["opens_at", "closes_at", "decision_term_starts_on"]}),
            (_("Subsidieplafond en verdeling"), {"fields": [*ceiling, "distribution", "min_score", "partial_grant"]}),
            (_("Capaciteit en doel"), {"fields": ["capacity_units", "target_units"]}),
            (
                _("Stand van het plafond"),
                {
                    "fields": [
                        "ceiling_reserved",
                        "ceiling_committed",
                        "ceiling_paid",
                        "ceiling_recovered",
                        "ceiling_available",
                        "queue_length",
                    ]
                },
            ),
            (
                _("Regels zoals gepubliceerd"),
                {
                    "description": _(
                        "Vastgelegd toen de openstelling werd aangemaakt; latere wijzigingen van de regeling "
                        "veranderen ze niet."
                    ),
                    "fields": ["published_rules"],
                },
            ),
            (_("Bronnen en toelichting"), {"fields": ["notes", "sources"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        # An opening stays with the scheme it was published under.
        return [*self.readonly_fields, "scheme"] if obj else self.readonly_fields

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Save only what was edited: the running totals on this row belong to the ledger.
        editable = {f.name for f in Opening._meta.concrete_fields if f.editable}
        fields = [name for name in form.changed_data if name in editable and name != "budget_ceiling"]
        if fields:
            obj.save(update_fields=fields)
        if form.ceiling_changed():
            services.change_ceiling(
                opening=obj,
                new_ceiling=form.cleaned_data["budget_ceiling"],
                reason=form.cleaned_data["ceiling_change_reason"],
                user=request.user,
            )

    @admin.display(description=_("subsidieplafond"), ordering="budget_ceiling")
    def ceiling(self, obj):
        return euro(obj.budget_ceiling)

    @admin.display(description=_("status"))
    def status_label(self, obj):
        return obj.get_status_display()

    @admin.display(description=_("gereserveerd"))
    def ceiling_reserved(self, obj):
        return euro(obj.reserved) if obj.pk else "—"

    @admin.display(description=_("verplicht"))
    def ceiling_committed(self, obj):
        return euro(obj.committed) if obj.pk else "—"

    @admin.display(description=_("betaald"))
    def ceiling_paid(self, obj):
        return euro(obj.paid) if obj.pk else "—"

    @admin.display(description=_("teruggevorderd"))
    def ceiling_recovered(self, obj):
        return euro(obj.recovered) if obj.pk else "—"

    @admin.display(description=_("beschikbaar"))
    def ceiling_available(self, obj):
        return euro(obj.available) if obj.pk else "—"

    @admin.display(description=_("regels"))
    def published_rules(self, obj):
        if not obj.pk:
            return gettext("Worden vastgelegd bij het opslaan, uit de huidige regels van de regeling.")
        rows = [
            (_rule_label(name), _rule_value(name, obj.rules.get(name))) for name in RULE_FIELDS if name in obj.rules
        ]
        return format_html(
            '<table class="os-rules"><tbody>{}</tbody></table>'
            '<details><summary>{}</summary><pre class="os-rules-json">{}</pre></details>',
            format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", rows),
            gettext("Als JSON"),
            json.dumps(obj.rules, indent=2, ensure_ascii=False, sort_keys=True),
        )


def _rule_label(name: str) -> str:
    try:
        return str(Scheme._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _rule_value(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("ja") if value else gettext("nee")
    if name in MONEY_FIELDS:
        return euro(value)
    if name in {"percentage", "advance_pct"}:
        return f"{Decimal(str(value)).normalize():f} %".replace(".", ",")
    if name == "required_documents":
        if not value:
            return "—"
        return "; ".join(
            f"{item.get('label')} ({gettext('één per eenheid') if item.get('per_unit') else gettext('één')})"
            for item in value
        )
    if name == "shape":
        return str(dict(Scheme._meta.get_field("shape").choices).get(value, value))
    return str(value)


# --- Tranche plan, KPIs ------------------------------------------------------


@admin.register(TranchePlanItem)
class TranchePlanItemAdmin(admin.ModelAdmin):
    list_display = [
        "scheme",
        "opening",
        "number",
        "label",
        "tranche_amount",
        "offset_months",
        "planned_date",
        "gated",
        "gate",
        "review_date",
    ]
    list_filter = ["scheme", "gated"]
    list_select_related = ["scheme", "opening"]

    @admin.display(description=_("bedrag"), ordering="amount")
    def tranche_amount(self, obj):
        return euro(obj.amount)


class KPIMeasurementInline(admin.TabularInline):
    model = KPIMeasurement
    extra = 1
    fields = ["period", "measured_on", "value", "kind", "measured_as", "application", "source"]
    raw_id_fields = ["application"]


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    list_display = ["name", "scheme", "kind", "unit", "baseline_value", "target_value", "target_year", "is_demo"]
    list_filter = ["scheme"]
    list_select_related = ["scheme"]
    inlines = [KPIMeasurementInline]


# --- Records: read-only ------------------------------------------------------


@admin.register(BudgetChange)
class BudgetChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["opening", "old", "new", "reason", "changed_by", "changed_at"]
    list_filter = ["opening__scheme"]
    list_select_related = ["opening", "changed_by"]
    date_hierarchy = "changed_at"

    @admin.display(description=_("oud plafond"), ordering="old_ceiling")
    def old(self, obj):
        return euro(obj.old_ceiling)

    @admin.display(description=_("nieuw plafond"), ordering="new_ceiling")
    def new(self, obj):
        return euro(obj.new_ceiling)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "opening", "kind", "entry_amount", "application", "note"]
    list_filter = ["kind", "opening__scheme", "opening"]
    list_select_related = ["opening", "application"]
    date_hierarchy = "at"

    @admin.display(description=_("bedrag"), ordering="amount")
    def entry_amount(self, obj):
        return euro(obj.amount)
