"""Drafts: a new application, and the applicant's changes to it until it is submitted.

The draft's data comes in as a dict (the portal's steps, the API, a bulk upload
all give the same shape); each part is checked here and refused per field.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schemes.formatting import euro
from schemes.models import Opening

from .. import audit, checks, clocks, known_rows
from .. import permissions as perms
from ..errors import Conflict, Forbidden, Invalid
from ..models import Application, Channel, CoFinancing, CostLine, Organisation, Partner, Role, Unit, User
from ..states import State
from . import inputs

# --- references ---------------------------------------------------------------


def next_reference(prefix: str, year: int) -> str:
    """OMS-2021-000123: unique and race-safe through one atomic upsert."""
    table = "applications_referencecounter"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, year, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix, year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [prefix, year],
        )
        number = cursor.fetchone()[0]
    return f"{prefix}-{year}-{number:06d}"


# --- drafts --------------------------------------------------------------------


def organisation_for(user: User, kvk: str | None) -> Organisation:
    """The organisation a user applies for: its own, or a mandating one for an intermediary."""
    if user.role == Role.INTERMEDIARY:
        if not kvk:
            raise Invalid(
                _("Geef het KVK-nummer van de werkgever waarvoor u aanvraagt."),
                {"organisation": [_("Verplicht voor een intermediair.")]},
            )
        organisation = Organisation.objects.filter(kvk=str(kvk).strip()).first()
        if organisation is None:
            raise Invalid(
                _("Er is geen organisatie met KVK-nummer %(kvk)s.") % {"kvk": kvk},
                {"organisation": [_("Onbekend KVK-nummer.")]},
            )
        return organisation
    if user.role != Role.APPLICANT or user.organisation_id is None:
        raise Forbidden(_("Alleen werkgevers en intermediairs kunnen een aanvraag doen."))
    if kvk and str(kvk).strip() != user.organisation.kvk:
        raise Forbidden(_("U kunt alleen voor uw eigen organisatie aanvragen."))
    return user.organisation


def login_data(user: User) -> dict:
    """For the audit trail: how the applicant logged in, and under whose machtiging it acts, if any."""
    data = {}
    if getattr(user, "signed_in_with", ""):
        data["login"] = user.signed_in_with
    if getattr(user, "assurance_level", ""):
        data["assurance_level"] = user.assurance_level
    if perms.represents(user):
        data["represented_organisation"] = perms.represents(user)
    return data


def _clean_units(rows: list[dict] | None) -> list[dict]:
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise Invalid(_("'units' moet een lijst zijn."), {"units": [_("Moet een lijst zijn.")]})
    cleaned, errors = [], {}
    sectors = {choice for choice, _label in Unit.OccupationSector.choices}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"units.{index}"] = [_("Elk traject is een object met velden.")]
            continue
        item: dict[str, Any] = {}
        for key in ("participant", "occupation", "provider"):
            value = row.get(key)
            if not value or not str(value).strip():
                errors[f"units.{index}.{key}"] = [_("Dit veld is verplicht.")]
            else:
                item[key] = str(value).strip()[:255]
        sector = row.get("occupation_sector")
        if sector not in sectors:
            errors[f"units.{index}.occupation_sector"] = [_("Kies ict of techniek.")]
        item["occupation_sector"] = sector
        try:
            item["cost"] = inputs.money(row, "cost", required=True)
        except Invalid as exc:
            errors[f"units.{index}.cost"] = list(exc.errors.get("cost", [exc.detail]))
        for key in ("start_date", "end_date", "contract_end_date"):
            try:
                item[key] = inputs.date(row, key)
            except Invalid as exc:
                errors[f"units.{index}.{key}"] = list(exc.errors.get(key, [exc.detail]))
        if item.get("start_date") and item.get("end_date") and item["end_date"] < item["start_date"]:
            errors[f"units.{index}.end_date"] = [_("De einddatum ligt voor de startdatum.")]
        if item.get("contract_end_date") and item.get("end_date") and item["contract_end_date"] < item["end_date"]:
            errors[f"units.{index}.contract_end_date"] = [
                _("Het contract moet minstens duren tot het einde van het traject.")
            ]
        cleaned.append(item)
    if errors:
        raise Invalid(_("Niet alle trajecten zijn goed ingevuld."), errors)
    return cleaned


def _replace_units(application: Application, rows: list[dict], *, new: bool = False) -> None:
    if not new:
        application.units.all().delete()
    units = Unit.objects.bulk_create(Unit(application=application, position=i, **row) for i, row in enumerate(rows))
    if new:  # the draft's units are exactly these: the answer needs no query to show them
        known_rows.prefetched(application, "units", units)


DRAFT_FIELDS = (
    "units",
    "eligible_costs",
    "requested_amount",
    "project_end_date",
    "answers",
    "is_partnership",
    "de_minimis_declared",
    "de_minimis_declarations",
    "truthfulness_declared",
    "partners",
    "cost_lines",
)


def _refuse_nul(data: dict) -> None:
    """PostgreSQL keeps no NUL character in text or JSON: refused for every field, before anything changes."""
    fields = [str(key) for key, value in data.items() if inputs.contains_nul(key) or inputs.contains_nul(value)]
    if fields:
        raise Invalid(inputs.nul_message(), {key: [inputs.nul_message()] for key in fields})


def _apply_draft_data(application: Application, data: dict) -> None:
    _refuse_nul(data)
    if "eligible_costs" in data:
        application.eligible_costs = inputs.money(data, "eligible_costs")
    if "requested_amount" in data:
        application.requested_amount = inputs.money(data, "requested_amount")
    if "de_minimis_declarations" in data:
        _apply_de_minimis_declarations(application, data)
    elif "de_minimis_declared" in data:
        # a total without dates (a bulk row without its date, an older client): it counts in full at the decision
        application.de_minimis_declared = inputs.money(data, "de_minimis_declared")
        application.de_minimis_declarations = []
    if "project_end_date" in data:
        application.project_end_date = inputs.date(data, "project_end_date")
    if "answers" in data:
        answers = data.get("answers") or {}
        if not isinstance(answers, dict):
            raise Invalid(_("'answers' moet een object zijn."), {"answers": [_("Moet een object zijn.")]})
        application.answers = {**application.answers, **answers}
    if "is_partnership" in data:
        application.is_partnership = bool(data.get("is_partnership"))
    if "truthfulness_declared" in data:
        application.truthfulness_declared = bool(data.get("truthfulness_declared"))


def _apply_de_minimis_declarations(application: Application, data: dict) -> None:
    """Each de-minimis aid received elsewhere with its amount, the date it was granted and who granted it; the
    total follows. ``None``: not declared yet; ``[]``: none received."""
    value = data.get("de_minimis_declarations")
    if value is None:
        application.de_minimis_declarations, application.de_minimis_declared = [], None
        return
    rows = _objects(value, "de_minimis_declarations")
    today = clocks.local_date()
    clean = []
    for index, row in enumerate(rows):
        key = f"de_minimis_declarations.{index}"
        amount = _money(row, "amount", f"{key}.amount")
        if amount <= 0:
            message = _("Het bedrag van de steun is meer dan € 0.")
            raise Invalid(message, {f"{key}.amount": [message]})
        granted_on = inputs.date({f"{key}.granted_on": row.get("granted_on")}, f"{key}.granted_on", required=True)
        if granted_on > today:
            message = _("De datum van verlening ligt in de toekomst; geef de datum waarop de steun werd verleend.")
            raise Invalid(message, {f"{key}.granted_on": [message]})
        provider = inputs.text(
            {f"{key}.provider": row.get("provider")}, f"{key}.provider", required=True, max_length=255
        )
        clean.append({"amount": str(amount), "granted_on": granted_on.isoformat(), "provider": provider})
    total = sum((Decimal(row["amount"]) for row in clean), Decimal("0.00"))
    if data.get("de_minimis_declared") not in (None, "") and inputs.money(data, "de_minimis_declared") != total:
        message = _("Het totaal (%(declared)s) is niet de som van de opgegeven steun (%(total)s).") % {
            "declared": euro(inputs.money(data, "de_minimis_declared")),
            "total": euro(total),
        }
        raise Invalid(message, {"de_minimis_declared": [message]})
    application.de_minimis_declarations = clean
    application.de_minimis_declared = total


def _apply_children(application: Application, data: dict, *, new: bool = False) -> None:
    if "units" in data:
        _replace_units(application, _clean_units(data.get("units")), new=new)
    if "cost_lines" in data:
        rows = _objects(data.get("cost_lines"), "cost_lines")
        application.cost_lines.all().delete()
        lines = []
        for index, row in enumerate(rows):
            description = str(row.get("description", "")).strip()
            if not description:
                raise Invalid(
                    _("Elke kostenpost heeft een omschrijving."),
                    {f"cost_lines.{index}.description": [_("Dit veld is verplicht.")]},
                )
            lines.append(
                CostLine(
                    application=application,
                    description=description[:255],
                    amount=_money(row, "amount", f"cost_lines.{index}.amount"),
                )
            )
        CostLine.objects.bulk_create(lines)
        if lines and "eligible_costs" not in data:
            application.eligible_costs = sum((line.amount for line in lines), Decimal("0.00"))
    if "partners" in data:
        application.partners.all().delete()
        roles = {choice for choice, _label in Partner.PartnerRole.choices}
        for index, row in enumerate(_objects(data.get("partners"), "partners")):
            name = str(row.get("name", "")).strip()
            role = row.get("role")
            if not name or role not in roles:
                raise Invalid(
                    _("Elke partner heeft een naam en een rol."),
                    {f"partners.{index}": [_("Naam en rol zijn verplicht.")]},
                )
            partner = Partner.objects.create(
                application=application,
                name=name[:255],
                role=role,
                kvk=str(row.get("kvk") or "")[:8],
                is_sme=bool(row.get("is_sme")),
            )
            for number, co in enumerate(_objects(row.get("cofinancing"), f"partners.{index}.cofinancing")):
                if co.get("source") not in dict(CoFinancing.Source.choices) or co.get("kind") not in dict(
                    CoFinancing.Kind.choices
                ):
                    raise Invalid(
                        _("Cofinanciering heeft een bron en een vorm (in geld of in natura)."),
                        {f"partners.{index}.cofinancing": [_("Bron en vorm zijn verplicht.")]},
                    )
                CoFinancing.objects.create(
                    partner=partner,
                    source=co["source"],
                    kind=co["kind"],
                    amount=_money(co, "amount", f"partners.{index}.cofinancing.{number}.amount"),
                )
        if data.get("partners"):
            application.is_partnership = len(data["partners"]) > 1


def _objects(rows, key: str) -> list[dict]:
    """A list of objects (a JSON array of JSON objects), or a refusal that names the list or the item."""
    if rows in (None, ""):
        return []
    if not isinstance(rows, list):
        raise Invalid(_("'%(field)s' moet een lijst zijn.") % {"field": key}, {key: [_("Moet een lijst zijn.")]})
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise Invalid(
                _("Elk onderdeel van '%(field)s' is een object met velden.") % {"field": key},
                {f"{key}.{index}": [_("Moet een object zijn.")]},
            )
    return rows


def _money(row: dict, key: str, field: str):
    """An amount of one row of a list, refused under the row's own name (cost_lines.0.amount)."""
    try:
        return inputs.money(row, key, required=True)
    except Invalid as exc:
        raise Invalid(exc.detail, {field: list(exc.errors.get(key, [exc.detail]))}) from None


MAX_IDEMPOTENCY_KEY = 64


@transaction.atomic
def create_draft(
    *,
    user: User,
    opening: Opening,
    organisation_kvk: str | None = None,
    data: dict | None = None,
    idempotency_key: str | None = None,
    now: datetime.datetime | None = None,
) -> Application:
    """A new draft; the same idempotency key returns the draft made the first time."""
    data = data or {}
    if idempotency_key and (len(idempotency_key) > MAX_IDEMPOTENCY_KEY or not idempotency_key.isprintable()):
        message = _("De Idempotency-Key is ten hoogste %(max)s gewone tekens lang.") % {"max": MAX_IDEMPOTENCY_KEY}
        raise Invalid(message, {"Idempotency-Key": [message]})
    if idempotency_key:
        existing = Application.objects.filter(idempotency_key=idempotency_key, created_by=user).first()
        if existing is not None:
            return existing
    organisation = organisation_for(user, organisation_kvk)
    rules = opening.published_rules
    if not perms.can_act_for_organisation(user, organisation.pk, opening.scheme_id, rules=rules):
        if user.role == Role.INTERMEDIARY and not rules.intermediaries_allowed:
            raise Forbidden(_("Bij deze regeling kunnen intermediairs niet namens werkgevers aanvragen."))
        raise Forbidden(_("U heeft geen geldige machtiging van deze organisatie voor deze regeling."))
    if not perms.meets_assurance(user, opening.scheme):
        raise Forbidden(perms.assurance_refusal(user, opening.scheme))
    moment = now or timezone.now()
    if opening.status_at(moment) == Opening.Status.CLOSED:
        raise Conflict(_("Deze openstelling is gesloten; er kan geen aanvraag meer bij."))
    remaining = checks.remaining_for(organisation, opening)
    if not remaining.may_apply:  # at the first step, not after the fifth
        raise Conflict(remaining.refusal)
    application = Application(
        opening=opening,
        organisation=organisation,
        created_by=user,
        channel=Channel.INTERMEDIARY if user.role == Role.INTERMEDIARY else Channel.EMPLOYER,
        created_at=moment,
        updated_at=moment,
        idempotency_key=idempotency_key or None,
        decision_term_weeks=rules.decision_term_weeks,
    )
    _apply_draft_data(application, data)
    application.reference = next_reference(opening.scheme.reference_prefix, timezone.localtime(moment).year)
    if idempotency_key:  # two requests with one key at once: the second returns the first's draft
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            return Application.objects.get(idempotency_key=idempotency_key)
    else:
        application.save()
    _apply_children(application, data, new=True)
    if "cost_lines" in data or "partners" in data:
        application.save()
    audit.record(
        application,
        user,
        "create",
        from_state="",
        to_state=State.DRAFT,
        data={"channel": application.channel, **login_data(user)},
        at=moment,
    )
    return application


def apply(application: Application, data: dict) -> None:
    """The applicant's changes to a saved application (a draft, or a supplement): fields and the lists."""
    _apply_draft_data(application, data)
    _apply_children(application, data)


@transaction.atomic
def update_draft(*, application: Application, user: User, data: dict) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.state != State.DRAFT:
        raise Conflict(_("Alleen een concept kan worden gewijzigd."))
    if not perms.acts_for_applicant(application, user):
        raise Forbidden(_("U mag deze aanvraag niet wijzigen."))
    apply(application, data)
    application.updated_at = timezone.now()
    application.save()
    return application
