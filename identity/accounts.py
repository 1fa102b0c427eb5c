"""Who a provider's claims make of a person: an employer or intermediary (eHerkenning), or a staff member.

The first eHerkenning login of an organisation creates it (the name from the broker's claim, else a
placeholder the employer corrects in its profile); a login that represents another organisation
(ketenmachtiging / vertegenwoordiging) makes the acting person an intermediary who acts for that one
organisation for the length of the session. A staff login takes its role and schemes from the claims at
every login, so that a change at the agency's IdP is a change here at the next login.
"""

from __future__ import annotations

import hashlib
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Organisation, Role, User
from applications.roles import APPLICANT_ROLES
from applications.services import save_organisation
from schemes import assurance
from schemes.models import Scheme

from .models import ExternalIdentity, IdentityProvider, Means
from .sessions import PENDING

KVK = re.compile(r"^\d{8}$")
# When the claims give several roles, the one with the most rights.
ROLE_PRECEDENCE = [Role.ADMINISTRATOR, Role.SENIOR_REVIEWER, Role.REVIEWER, Role.FINANCE, Role.PROGRAM_MANAGER]


class Refused(Exception):
    def __init__(self, message: str, detail: str = "", login: dict | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.login = login or {}


def _claim(claims: dict, name: str) -> str:
    value = claims.get(name) if name else None
    return "" if value is None else str(value).strip()


def _organisation(kvk: str, name: str, *, intermediary: bool) -> Organisation:
    organisation = Organisation.objects.filter(kvk=kvk).first()
    if organisation is None:
        organisation = Organisation(kvk=kvk, name=name or _("Organisatie %(kvk)s") % {"kvk": kvk})
        organisation.is_intermediary = intermediary
        save_organisation(organisation, user=None, source="eherkenning", created=True)
    return organisation


def _unique_username(wanted: str) -> str:
    username, n = wanted[:140], 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{wanted[:136]}-{n}"
    return username


def _linked_user(provider: IdentityProvider, subject: str, username: str) -> User:
    identity = ExternalIdentity.objects.select_related("user").filter(provider=provider, subject=subject).first()
    if identity is None:
        user = User(username=_unique_username(username))
        user.set_unusable_password()
        user.save()
        identity = ExternalIdentity.objects.create(provider=provider, subject=subject, user=user)
    identity.last_login = timezone.now()
    identity.save(update_fields=["last_login"])
    return identity.user


@transaction.atomic
def eherkenning_user(provider: IdentityProvider, claims: dict) -> User:
    kvk = _claim(claims, provider.kvk_claim)
    pseudonym = _claim(claims, provider.pseudonym_claim)
    level = assurance.from_claim(claims.get(provider.level_claim)) if provider.level_claim else ""
    represented_kvk = _claim(claims, provider.represented_kvk_claim)
    login = {
        "means": Means.EHERKENNING,
        "provider": provider.purpose,
        "level": level,
        "kvk": kvk[:8],
        "branch": _claim(claims, provider.branch_claim)[:12],
        "represented_kvk": represented_kvk[:8],
        "service": _claim(claims, provider.service_claim)[:255],
    }
    if not KVK.match(kvk) or not pseudonym:
        raise Refused(_("eHerkenning gaf geen geldig KVK-nummer of geen handelende persoon door."), "claims", login)
    if represented_kvk and (not KVK.match(represented_kvk) or represented_kvk == kvk):
        raise Refused(_("eHerkenning gaf geen geldig KVK-nummer door van de organisatie die u vertegenwoordigt."))
    organisation = _organisation(kvk, _claim(claims, provider.name_claim), intermediary=bool(represented_kvk))
    user = _linked_user(
        provider, f"{kvk}:{pseudonym}", f"eh-{kvk}-{hashlib.sha256(pseudonym.encode()).hexdigest()[:8]}"
    )
    if user.role not in APPLICANT_ROLES or (user.organisation_id not in (None, organisation.pk)):
        raise Refused(_("Dit eHerkenning-account hoort bij een andere organisatie."), "identity mismatch", login)
    user.organisation = organisation
    user.role = Role.INTERMEDIARY if represented_kvk or organisation.is_intermediary else Role.APPLICANT
    user.last_name = user.last_name or _("via eHerkenning")
    user.save()
    if represented_kvk:
        represented = _organisation(
            represented_kvk, _claim(claims, provider.represented_name_claim), intermediary=False
        )
        login["represented_id"] = represented.pk
    setattr(user, PENDING, login)
    return user


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    return [str(item) for item in value]


@transaction.atomic
def staff_user(provider: IdentityProvider, claims: dict) -> User:
    subject = _claim(claims, "sub")
    username = _claim(claims, provider.username_claim) or subject
    login = {"means": Means.SSO, "provider": provider.purpose, "level": ""}
    mapped = {provider.role_mapping.get(value) for value in _as_list(claims.get(provider.roles_claim))}
    role = next((r for r in ROLE_PRECEDENCE if r in mapped), None)
    if not subject or role is None:
        raise Refused(
            _("Uw account geeft geen rol in Open Subsidie. Vraag uw leidinggevende of beheerder om toegang."),
            f"{username}: roles {sorted(_as_list(claims.get(provider.roles_claim)))}",
            login,
        )
    user = _linked_user(provider, subject, username)
    if user.has_usable_password():  # never a local account: those are for break-glass, with their own code
        raise Refused(_("Dit account logt in met wachtwoord en code, niet via single sign-on."), username, login)
    user.role = role
    user.organisation = None
    user.email = _claim(claims, "email") or user.email
    user.first_name = _claim(claims, "given_name")[:150] or user.first_name
    user.last_name = _claim(claims, "family_name")[:150] or user.last_name
    user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
    user.save()
    codes = _as_list(claims.get(provider.schemes_claim)) if provider.schemes_claim else []
    user.schemes.set(Scheme.objects.filter(code__in=codes))
    login["roles"] = [role]
    setattr(user, PENDING, login)
    return user
