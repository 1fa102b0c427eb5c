"""Beheer for functional administrators: letter templates, letters, organisations, users, mandates.

Letter templates are edited here per scheme (or the default), and refused when
the Django template does not compile. Letters are records: their status and
error are visible and a failed one can be rendered again ("retry"), but they are
never added, edited or deleted here. The audit trail is read-only, always.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from schemes.admin import ReadOnlyAdminMixin

from . import letters, outbox, services
from .models import (
    Application,
    AuditEvent,
    ClockRun,
    EquatedDay,
    Finding,
    Letter,
    LetterTemplate,
    Mandate,
    Organisation,
    OrganisationEvent,
    Outbox,
    User,
)

# --- letters ------------------------------------------------------------------------


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["scheme", "kind", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "vLargeTextField"})}
        help_texts = {
            "body": _(
                "HTML met Django-sjabloontaal. Beschikbaar o.a.: {{ reference }}, {{ scheme_name }}, "
                "{{ organisation_name }}, {{ letter_date }}, {{ amount }}, {{ decision_due }}, {{ settlement_due }}, "
                "{{ objection_due }}, {{ reason }}, {{ legal_basis }}, {{ units }}, {{ obligations }}. "
                "Bedragen en data zijn al in Nederlandse notatie."
            )
        }

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "body"):
            text = cleaned.get(name)
            refused = letters.refusal(text) if text else None
            if refused:
                self.add_error(name, refused)
        return cleaned


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    form = LetterTemplateForm
    list_display = ["kind", "scheme_label", "subject", "updated_at", "updated_by"]
    list_filter = ["kind", "scheme"]
    search_fields = ["subject", "body"]
    actions = ["seed_defaults"]

    @admin.display(description=_("regeling"))
    def scheme_label(self, obj):
        return obj.scheme.name if obj.scheme else gettext("standaard (alle regelingen)")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Standaardsjablonen aanmaken waar ze ontbreken"))
    def seed_defaults(self, request, queryset):
        created = letters.seed_default_templates()
        self.message_user(request, gettext("%(n)s standaardsjablonen aangemaakt.") % {"n": created})

    def changelist_view(self, request, extra_context=None):
        letters.seed_default_templates()  # the defaults are there to edit from the first visit
        return super().changelist_view(request, extra_context)


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "kind", "status_label", "attempts", "created_at", "rendered_at", "emailed_at", "pdf"]
    list_filter = ["status", "kind"]
    search_fields = ["application__reference", "key"]
    list_select_related = ["application"]
    readonly_fields = [
        "application",
        "decision",
        "event",
        "kind",
        "key",
        "status",
        "file",
        "attempts",
        "error",
        "created_at",
        "rendered_at",
        "emailed_at",
    ]
    actions = ["retry"]

    @admin.display(description=_("kenmerk"), ordering="application__reference")
    def reference(self, obj):
        return obj.application.reference

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        if obj.status == Letter.Status.FAILED:
            return format_html(
                '<strong style="color:#b00020">{}</strong>: {}', obj.get_status_display(), obj.error[:120]
            )
        return obj.get_status_display()

    @admin.display(description=_("PDF"))
    def pdf(self, obj):
        if obj.status == Letter.Status.RENDERED and obj.file:
            return format_html(
                '<a href="{}">PDF</a>', reverse("review:letter", args=[obj.application.reference, obj.pk])
            )
        return "—"

    @admin.action(description=_("Opnieuw maken (mislukte brieven)"))
    def retry(self, request, queryset):
        done, failed = 0, 0
        for letter in queryset.exclude(status=Letter.Status.RENDERED):
            try:
                letters.retry(letter)
                done += 1
            except Exception as exc:
                failed += 1
                self.message_user(request, f"{letter.key}: {exc}", level=messages.ERROR)
        self.message_user(request, gettext("%(n)s brieven opnieuw gemaakt.") % {"n": done})


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What events owe and whether it was delivered: a failed row shows its error and can be retried."""

    list_display = ["key", "kind", "reference", "status_label", "attempts", "created_at", "next_attempt_at", "done_at"]
    list_filter = ["status", "kind"]
    search_fields = ["application__reference", "key"]
    list_select_related = ["application"]
    readonly_fields = [
        "key",
        "kind",
        "application",
        "event",
        "payload",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "locked_until",
        "done_at",
    ]
    actions = ["retry"]

    @admin.display(description=_("kenmerk"), ordering="application__reference")
    def reference(self, obj):
        return obj.application.reference

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        if obj.status != Outbox.Status.DONE and obj.last_error:
            return format_html(
                '<strong style="color:#b00020">{}</strong>: {}', obj.get_status_display(), obj.last_error[:160]
            )
        return obj.get_status_display()

    @admin.action(description=_("Opnieuw leveren (mislukte of blijven hangende berichten)"))
    def retry(self, request, queryset):
        delivered = 0
        for row in queryset.exclude(status=Outbox.Status.DONE):
            if outbox.retry(row) == Outbox.Status.DONE:
                delivered += 1
            else:
                row.refresh_from_db()
                self.message_user(request, f"{row.key}: {row.last_error}", level=messages.ERROR)
        self.message_user(request, gettext("%(n)s berichten geleverd.") % {"n": delivered})


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the reconciliation found (``manage.py reconcile``, daily with the clocks)."""

    list_display = ["run_at", "kind", "subject", "detail"]
    list_filter = ["kind", "run_at"]
    search_fields = ["subject", "detail"]


# --- organisations, users, mandates ------------------------------------------------------


class OrganisationEventInline(admin.TabularInline):
    """Every change of the organisation's details, old and new: read only."""

    model = OrganisationEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "actor_name", "source", "changes"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kvk", "size_class", "sector", "province", "is_intermediary"]
    list_filter = ["is_intermediary", "size_class", "sector", "province"]
    search_fields = ["name", "kvk", "contact_email"]
    inlines = [OrganisationEventInline]

    def save_model(self, request, obj, form, change):
        services.save_organisation(obj, user=request.user, source="beheer")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "email", "role", "organisation", "is_active"]
    list_filter = ["role", "is_active", "schemes"]
    search_fields = ["username", "first_name", "last_name", "email", "organisation__name", "organisation__kvk"]
    list_select_related = ["organisation"]
    filter_horizontal = ["schemes", "groups", "user_permissions"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Rol en team"), {"fields": ["role", "organisation", "schemes"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Rol en team"), {"fields": ["role", "organisation", "schemes"]}),
    ]


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    list_display = ["principal", "agent", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["schemes"]
    search_fields = ["principal__name", "principal__kvk", "agent__name", "agent__kvk"]
    autocomplete_fields = ["principal", "agent"]
    filter_horizontal = ["schemes"]
    readonly_fields = ["granted_at", "granted_by", "revoked_at", "revoked_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


# --- records ---------------------------------------------------------------------------------


@admin.register(EquatedDay)
class EquatedDayAdmin(admin.ModelAdmin):
    """Days equated with a holiday by royal decree (Atw art. 3 lid 3): terms that end on them run on."""

    list_display = ["day", "reference"]
    search_fields = ["reference"]
    date_hierarchy = "day"


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The applications at a glance, for administrators: the work itself happens in the review workspace."""

    list_display = ["reference", "organisation", "opening", "state", "submitted_at", "anonymised_at"]
    list_filter = ["state", ("anonymised_at", admin.EmptyFieldListFilter), "opening__scheme"]
    search_fields = ["reference", "organisation__name", "organisation__kvk"]
    list_select_related = ["organisation", "opening"]
    fields = readonly_fields = [
        "reference",
        "organisation",
        "opening",
        "state",
        "submitted_at",
        "decided_at",
        "settled_at",
        "amount_granted",
        "amount_settled",
        "anonymised_at",
    ]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "reference", "actor_name", "action", "from_state", "to_state"]
    list_filter = ["action", "to_state"]
    search_fields = ["application__reference", "actor_name", "reason"]
    list_select_related = ["application"]
    date_hierarchy = "at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    @admin.display(description=_("kenmerk"), ordering="application__reference")
    def reference(self, obj):
        return obj.application.reference

    def get_actions(self, request):
        return {}  # no bulk delete of the audit trail


@admin.register(ClockRun)
class ClockRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "kind", "key", "at"]
    list_filter = ["kind"]
    date_hierarchy = "day"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
