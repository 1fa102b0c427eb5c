"""Accounts and mandates: users with their role for operators, and intermediaries authorised by employers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from ..errors import Invalid
from ..models import EnterpriseLink, IbanChange, Mandate, Organisation, OrganisationEvent, Payment, Role, User


@transaction.atomic
def grant_mandate(
    *,
    principal: Organisation,
    agent: Organisation,
    schemes,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    by: User | None = None,
) -> Mandate:
    if principal.pk == agent.pk:
        raise Invalid(_("Een organisatie kan zichzelf niet machtigen."))
    if not agent.is_intermediary:
        raise Invalid(_("Alleen een intermediair kan worden gemachtigd."))
    if valid_until and valid_until < valid_from:
        raise Invalid(_("De einddatum ligt voor de begindatum."), {"valid_until": [_("Na de begindatum.")]})
    schemes = list(schemes)
    refused = [s.name for s in schemes if not s.intermediaries_allowed]
    if refused:
        raise Invalid(
            _("Bij deze regelingen kunnen intermediairs niet aanvragen: %(names)s.") % {"names": ", ".join(refused)},
            {"schemes": [_("Niet toegestaan.")]},
        )
    if not schemes:
        raise Invalid(_("Kies minstens één regeling."), {"schemes": [_("Kies minstens één regeling.")]})
    mandate = Mandate.objects.create(
        principal=principal, agent=agent, valid_from=valid_from, valid_until=valid_until, granted_by=by
    )
    mandate.schemes.set(schemes)
    return mandate


@transaction.atomic
def revoke_mandate(*, mandate: Mandate, by: User) -> Mandate:
    if mandate.revoked_at is None:
        mandate.revoked_at = timezone.now()
        mandate.revoked_by = by
        mandate.save(update_fields=["revoked_at", "revoked_by"])
    return mandate


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    password: str | None = None,
    organisation_kvk: str | None = None,
    organisation_name: str | None = None,
    email: str = "",
    schemes=None,
) -> User:
    """For operators: a user with a role, and its organisation created when it does not exist yet."""
    if role not in Role.values:
        raise Invalid(_("Onbekende rol '%(role)s'.") % {"role": role})
    if password:  # the validators of AUTH_PASSWORD_VALIDATORS, before anything is made
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages), {"password": list(exc.messages)}) from None
    organisation = None
    if organisation_kvk:
        organisation, _created = Organisation.objects.get_or_create(
            kvk=organisation_kvk,
            defaults={
                "name": organisation_name or f"Organisatie {organisation_kvk}",
                "is_intermediary": role == Role.INTERMEDIARY,
            },
        )
        organisation.full_clean()
        if _created:
            save_organisation(organisation, user=None, source="beheerscript", created=True)
    elif role in (Role.APPLICANT, Role.INTERMEDIARY):
        raise Invalid(_("Een aanvrager of intermediair hoort bij een organisatie (--organisation)."))
    user, _created = User.objects.get_or_create(username=username)
    user.role = role
    user.organisation = organisation
    user.email = email or user.email
    user.is_staff = role == Role.ADMINISTRATOR
    user.is_superuser = role == Role.ADMINISTRATOR
    if password:
        user.set_password(password)
    elif _created:
        user.set_unusable_password()
    user.save()
    if schemes is not None:
        user.schemes.set(schemes)
    return user


# The details of an organisation whose every change is kept, old and new (the IBAN above all: where the money goes).
AUDITED_FIELDS = (
    "name",
    "kvk",
    "size_class",
    "sector",
    "province",
    "iban",
    "contact_name",
    "contact_email",
    "contact_phone",
    "is_intermediary",
    "employees",
    "annual_turnover",
    "balance_sheet_total",
    "figures_year",
)


# A contact person's details are personal data: the log says that they changed, not what they were,
# so the retention term can remove them without rewriting an append-only log.
PERSONAL_FIELDS = frozenset({"contact_name", "contact_email", "contact_phone"})


def _logged(name: str, old, new) -> list:
    if name in PERSONAL_FIELDS:
        return ["…" if old else "", "…" if new else ""]
    return [_plain(old), _plain(new)]


def _plain(value):
    """A value the log (JSON) keeps exactly: amounts and figures as text."""
    return str(value) if isinstance(value, Decimal) else value


@transaction.atomic
def save_organisation(
    organisation: Organisation, *, user: User | None, source: str, created: bool = False
) -> OrganisationEvent | None:
    """Save an organisation's details and keep what changed in its append-only log (None: nothing changed).

    ``created``: the organisation was just made; its log starts with every detail it has.
    """
    stored = None
    if organisation.pk and not created:
        stored = Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    organisation.save()
    if stored is not None and stored.iban and stored.iban != organisation.iban:
        hold_payments_for_new_iban(organisation, old_iban=stored.iban, user=user)
    changes = {
        name: _logged(name, getattr(stored, name) if stored else None, getattr(organisation, name))
        for name in AUDITED_FIELDS
        if stored is None or getattr(stored, name) != getattr(organisation, name)
    }
    if not changes:
        return None
    return OrganisationEvent.objects.create(
        organisation=organisation,
        actor=user if user is not None and user.pk else None,
        actor_name=user.get_username() if user is not None and user.pk else "systeem",
        source=source,
        changes=changes,
        at=timezone.now(),
    )


def hold_payments_for_new_iban(organisation: Organisation, *, old_iban: str, user: User | None) -> IbanChange:
    """A changed bank account holds the organisation's payments until a second person approves it (a common fraud:
    a changed account just before a payment). A payment recorded and not yet confirmed goes back to be recorded
    again, to the approved account."""
    change = IbanChange.objects.create(
        organisation=organisation,
        old_iban=old_iban,
        new_iban=organisation.iban,
        requested_by=user if user is not None and user.pk else None,
        requested_at=timezone.now(),
    )
    Payment.objects.filter(application__organisation=organisation, status=Payment.Status.RECORDED).exclude(
        kind=Payment.Kind.RECOVERY
    ).update(status=Payment.Status.DUE, recorded_by=None, recorded_at=None, iban="")
    return change


@transaction.atomic
def add_enterprise_link(link: EnterpriseLink, *, user: User | None, source: str) -> EnterpriseLink:
    """A partner or linked enterprise of the organisation, kept in its log like any other detail."""
    link.save()
    _log_link(link, user, source, added=True)
    return link


@transaction.atomic
def remove_enterprise_link(link: EnterpriseLink, *, user: User | None, source: str) -> None:
    _log_link(link, user, source, added=False)
    link.delete()


def _log_link(link: EnterpriseLink, user: User | None, source: str, *, added: bool) -> None:
    described = f"{link.get_kind_display()}: {link.name} ({link.kvk or '—'}), {link.share} %"
    OrganisationEvent.objects.create(
        organisation=link.organisation,
        actor=user if user is not None and user.pk else None,
        actor_name=user.get_username() if user is not None and user.pk else "systeem",
        source=source,
        changes={"link": ["", described] if added else [described, ""]},
        at=timezone.now(),
    )


# An API token lives at most this long: a token that never expires is a way in nobody remembers.
MAX_API_TOKEN_DAYS = 366


@transaction.atomic
def issue_api_token(*, username: str, expires_days: int = 90) -> tuple[AuthToken, str]:
    """A new API token for the user: stored as a digest with its expiry; the token itself is returned once."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid(_("Er is geen actieve gebruiker %(username)s.") % {"username": username})
    if not 1 <= expires_days <= MAX_API_TOKEN_DAYS:
        raise Invalid(_("Een token is 1 tot %(days)d dagen geldig.") % {"days": MAX_API_TOKEN_DAYS})
    return AuthToken.objects.create(user=user, expiry=datetime.timedelta(days=expires_days))
