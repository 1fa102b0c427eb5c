from django.contrib import admin

from .models import ExternalIdentity, IdentityProvider, LoginEvent


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ["purpose", "label", "issuer", "client_id", "enabled"]
    fieldsets = [
        (None, {"fields": ["purpose", "enabled", "label", "end_session"]}),
        (
            "OpenID Connect",
            {
                "fields": [
                    "issuer",
                    "client_id",
                    "client_secret",
                    "client_secret_env",
                    "client_secret_file",
                    "scopes",
                    "sign_algorithm",
                ]
            },
        ),
        (
            "eHerkenning",
            {
                "fields": [
                    "kvk_claim",
                    "branch_claim",
                    "name_claim",
                    "pseudonym_claim",
                    "level_claim",
                    "represented_kvk_claim",
                    "represented_name_claim",
                    "service_claim",
                ]
            },
        ),
        ("Medewerkers", {"fields": ["username_claim", "roles_claim", "role_mapping", "schemes_claim"]}),
    ]


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ["provider", "subject", "user", "last_login"]
    readonly_fields = ["provider", "subject", "user", "created_at", "last_login"]


@admin.register(LoginEvent)
class LoginEventAdmin(admin.ModelAdmin):
    """The login log: read only, never changed or deleted."""

    list_display = ["at", "kind", "username", "means", "level", "kvk", "represented_kvk"]
    list_filter = ["kind", "means", "level"]
    search_fields = ["username", "kvk", "represented_kvk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
