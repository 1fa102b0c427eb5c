"""The identity providers as the administrator configures them, who came in through them, and the login log."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.roles import Role


class Purpose(models.TextChoices):
    EHERKENNING = "eherkenning", _("eHerkenning (werkgevers en intermediairs)")
    STAFF = "staff", _("single sign-on voor medewerkers")


class IdentityProvider(models.Model):
    """One OpenID Connect provider: the eHerkenning broker's OIDC flavour, or the agency's own IdP for staff.

    The client secret is read from the environment variable or the file named here when one is given, so that
    production keeps it out of the database as it keeps it out of the repository.
    """

    purpose = models.CharField(_("doel"), max_length=20, choices=Purpose.choices, unique=True)
    enabled = models.BooleanField(_("actief"), default=True)
    label = models.CharField(_("tekst op de knop"), max_length=100)
    issuer = models.URLField(
        _("issuer"),
        help_text=_("De issuer van de provider; de endpoints komen uit <issuer>/.well-known/openid-configuration."),
    )
    client_id = models.CharField(_("client-id"), max_length=255)
    client_secret = models.CharField(_("client-secret"), max_length=255, blank=True)
    client_secret_env = models.CharField(
        _("client-secret uit omgevingsvariabele"),
        max_length=100,
        blank=True,
        help_text=_("De naam van een omgevingsvariabele met het secret; gaat voor het veld hierboven."),
    )
    client_secret_file = models.CharField(
        _("client-secret uit bestand"),
        max_length=255,
        blank=True,
        help_text=_("Het pad van een bestand met het secret (een gemount geheim); gaat voor het veld hierboven."),
    )
    scopes = models.CharField(_("scopes"), max_length=255, default="openid")
    sign_algorithm = models.CharField(_("ondertekeningsalgoritme"), max_length=10, default="RS256")
    # eHerkenning: the claims of the broker.
    kvk_claim = models.CharField(_("claim KVK-nummer"), max_length=100, default="kvk")
    branch_claim = models.CharField(_("claim vestigingsnummer"), max_length=100, default="vestiging", blank=True)
    name_claim = models.CharField(_("claim bedrijfsnaam"), max_length=100, default="bedrijfsnaam", blank=True)
    pseudonym_claim = models.CharField(_("claim pseudoniem handelende persoon"), max_length=100, default="sub")
    level_claim = models.CharField(_("claim betrouwbaarheidsniveau"), max_length=100, default="loa", blank=True)
    represented_kvk_claim = models.CharField(
        _("claim KVK-nummer vertegenwoordigde"), max_length=100, default="vertegenwoordigde_kvk", blank=True
    )
    represented_name_claim = models.CharField(
        _("claim naam vertegenwoordigde"), max_length=100, default="vertegenwoordigde_naam", blank=True
    )
    service_claim = models.CharField(_("claim dienst / machtiging"), max_length=100, default="dienst", blank=True)
    # Staff: the claims of the agency's IdP, and how they map to roles and schemes.
    username_claim = models.CharField(_("claim gebruikersnaam"), max_length=100, default="preferred_username")
    roles_claim = models.CharField(_("claim rollen"), max_length=100, default="roles", blank=True)
    role_mapping = models.JSONField(
        _("rollen"),
        default=dict,
        blank=True,
        help_text=_(
            'Waarde in de claim → rol hier, bv. {"os-behandelaar": "reviewer", "os-senior": "senior_reviewer", '
            '"os-programmamanager": "program_manager", "os-beheer": "administrator"}.'
        ),
    )
    schemes_claim = models.CharField(_("claim regelingen"), max_length=100, default="regelingen", blank=True)
    end_session = models.BooleanField(
        _("uitloggen bij de provider"),
        default=True,
        help_text=_("Bij uitloggen ook de sessie bij de provider beëindigen (end_session_endpoint), als die er is."),
    )

    class Meta:
        verbose_name = _("identiteitsprovider")
        verbose_name_plural = _("identiteitsproviders")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.issuer}"

    def clean(self) -> None:
        unknown = sorted(set(self.role_mapping.values()) - set(Role.values)) if self.role_mapping else []
        if unknown:
            raise ValidationError({"role_mapping": _("Onbekende rollen: %(roles)s.") % {"roles": ", ".join(unknown)}})
        if not isinstance(self.role_mapping, dict):
            raise ValidationError({"role_mapping": _("Een object: waarde in de claim → rol.")})

    def secret(self) -> str:
        """The client secret: from the environment variable or the file named, else the field."""
        if self.client_secret_env and os.environ.get(self.client_secret_env):
            return os.environ[self.client_secret_env]
        if self.client_secret_file:
            return Path(self.client_secret_file).read_text().strip()
        return self.client_secret

    @classmethod
    def active(cls, purpose: str) -> IdentityProvider | None:
        return cls.objects.filter(purpose=purpose, enabled=True).first()


class ExternalIdentity(models.Model):
    """A person as a provider knows them (the subject), linked to the local user it signs in as.

    Never linked to an existing local account by name: a provider cannot take over a break-glass account.
    """

    provider = models.ForeignKey(IdentityProvider, on_delete=models.PROTECT, related_name="identities")
    subject = models.CharField(_("subject"), max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_identities")
    created_at = models.DateTimeField(default=timezone.now)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("externe identiteit")
        verbose_name_plural = _("externe identiteiten")
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="one_user_per_subject")]

    def __str__(self) -> str:
        return f"{self.provider.purpose}:{self.subject}"


class Means(models.TextChoices):
    PASSWORD = "password", _("wachtwoord")
    PASSWORD_TOTP = "password_totp", _("wachtwoord en code")
    EHERKENNING = "eherkenning", _("eHerkenning")
    SSO = "sso", _("single sign-on")


class LoginEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Het inloglogboek wordt nooit gewijzigd."))

    def delete(self):
        raise ValidationError(_("Het inloglogboek wordt nooit verwijderd."))


class LoginEvent(models.Model):
    """Append-only: each login, refusal and logout, with the means and level and, for a representative, whom."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("ingelogd")
        REFUSED = "refused", _("geweigerd")
        LOGOUT = "logout", _("uitgelogd")
        TIMEOUT = "timeout", _("sessie verlopen")

    kind = models.CharField(_("soort"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(_("gebruikersnaam"), max_length=150, blank=True)
    means = models.CharField(_("middel"), max_length=20, choices=Means.choices, blank=True)
    level = models.CharField(_("betrouwbaarheidsniveau"), max_length=10, blank=True)
    kvk = models.CharField(_("KVK-nummer"), max_length=8, blank=True)
    branch = models.CharField(_("vestigingsnummer"), max_length=12, blank=True)
    represented_kvk = models.CharField(_("namens KVK-nummer"), max_length=8, blank=True)
    service = models.CharField(_("dienst / machtiging"), max_length=255, blank=True)
    reason = models.TextField(_("reden"), blank=True)
    address = models.GenericIPAddressField(_("adres"), null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LoginEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("inloggebeurtenis")
        verbose_name_plural = _("inloggebeurtenissen")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Het inloglogboek wordt nooit gewijzigd."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Het inloglogboek wordt nooit verwijderd."))
