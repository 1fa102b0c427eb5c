"""Every write on an application: drafts, and the actions of its state machine.

``perform`` is the one door for a transition, used by the portal, the reviewer
screens, the API, the commands and the clocks alike. It locks the application,
checks who may act and whether the state allows it, validates the input, runs
the transition with its money and records, writes one audit event in the same
transaction, and queues side effects (letters, e-mails) for after the commit.
Refusals raise ``ActionError`` with a status (400, 403, 409) and a plain message;
nothing is changed then.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from schemes import budget
from schemes.formatting import euro
from schemes.models import Opening
from schemes.rules import to_money

from . import checks, clocks
from . import permissions as perms
from .models import (
    Application,
    Assessment,
    AuditEvent,
    Channel,
    Decision,
    DeMinimisAid,
    Mandate,
    Objection,
    Organisation,
    Payment,
    Role,
    SupplementRequest,
    Tranche,
    Unit,
    User,
)
from .states import State

REASON_CODES = {
    "not_eligible": gettext_lazy("de aanvraag voldoet niet aan de voorwaarden van de regeling"),
    "ceiling_reached": gettext_lazy("het subsidieplafond is bereikt (artikel 4:25 Awb)"),
    "limits_exceeded": gettext_lazy("de aanvraag gaat over de grenzen van de regeling"),
    "de_minimis": gettext_lazy("de de-minimisgrens van € 300.000 in drie jaar wordt overschreden"),
    "duplicate": gettext_lazy("er is al een aanvraag in deze openstelling"),
    "below_min_score": gettext_lazy("de aanvraag haalt de minimale score niet"),
    "incomplete": gettext_lazy("de aanvraag is onvolledig"),
    "other": gettext_lazy("andere reden, zie de toelichting"),
}


class ActionError(Exception):
    status = 400

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class Invalid(ActionError):
    status = 400


class Forbidden(ActionError):
    status = 403


class Conflict(ActionError):
    status = 409


class Missing(ActionError):
    status = 404


# --- small helpers ------------------------------------------------------------


def _now() -> datetime.datetime:
    return timezone.now()


def _today() -> datetime.date:
    return clocks.local_date()


def _money(data: dict, key: str, *, required: bool = False) -> Decimal | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise Invalid(_("Vul '%(field)s' in.") % {"field": key}, {key: [_("Dit veld is verplicht.")]})
        return None
    try:
        amount = to_money(value)
    except ValueError as exc:
        raise Invalid(str(exc), {key: [str(exc)]}) from None
    if amount < 0:
        raise Invalid(_("Een bedrag kan niet negatief zijn."), {key: [_("Een bedrag kan niet negatief zijn.")]})
    return amount


def _date(data: dict, key: str, *, required: bool = False) -> datetime.date | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise Invalid(_("Vul '%(field)s' in.") % {"field": key}, {key: [_("Dit veld is verplicht.")]})
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        message = _("'%(value)s' is geen datum (gebruik JJJJ-MM-DD).") % {"value": value}
        raise Invalid(message, {key: [message]}) from None


def _text(data: dict, key: str, *, required: bool = False, max_length: int = 10000) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("'%(field)s' moet tekst zijn.") % {"field": key}, {key: [_("Moet tekst zijn.")]})
    value = value.strip()
    if required and not value:
        raise Invalid(_("Vul '%(field)s' in.") % {"field": key}, {key: [_("Dit veld is verplicht.")]})
    if len(value) > max_length:
        raise Invalid(_("'%(field)s' is te lang.") % {"field": key}, {key: [_("Te lang.")]})
    return value


def _audit(
    application: Application,
    actor: User | None,
    action: str,
    from_state: str,
    to_state: str,
    reason: str = "",
    data: dict | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        application=application,
        actor=actor if actor and actor.pk else None,
        actor_name=(actor.get_username() if actor and actor.pk else "systeem"),
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=_jsonable(data or {}),
        at=at or _now(),
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


_SIDE_EFFECTS_SUPPRESSED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "side_effects_suppressed", default=False
)


@contextlib.contextmanager
def side_effects_suppressed():
    """For bulk and historical loads (the replay): events are recorded, but no letters, e-mails or webhooks follow."""
    token = _SIDE_EFFECTS_SUPPRESSED.set(True)
    try:
        yield
    finally:
        _SIDE_EFFECTS_SUPPRESSED.reset(token)


def _queue_side_effects(event: AuditEvent) -> None:
    if _SIDE_EFFECTS_SUPPRESSED.get():
        return
    from . import tasks

    transaction.on_commit(lambda: tasks.dispatch_after_event(event.pk))


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
            item["cost"] = _money(row, "cost", required=True)
        except Invalid as exc:
            errors[f"units.{index}.cost"] = list(exc.errors.get("cost", [exc.detail]))
        for key in ("start_date", "end_date", "contract_end_date"):
            try:
                item[key] = _date(row, key)
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
        cached = application.units.all()
        cached._result_cache, cached._prefetch_done = units, True
        application._prefetched_objects_cache = {
            **getattr(application, "_prefetched_objects_cache", {}),
            "units": cached,
        }


DRAFT_FIELDS = (
    "units",
    "eligible_costs",
    "requested_amount",
    "project_end_date",
    "answers",
    "is_partnership",
    "de_minimis_declared",
    "truthfulness_declared",
    "partners",
    "cost_lines",
)


def _apply_draft_data(application: Application, data: dict) -> None:
    if "eligible_costs" in data:
        application.eligible_costs = _money(data, "eligible_costs")
    if "requested_amount" in data:
        application.requested_amount = _money(data, "requested_amount")
    if "de_minimis_declared" in data:
        application.de_minimis_declared = _money(data, "de_minimis_declared")
    if "project_end_date" in data:
        application.project_end_date = _date(data, "project_end_date")
    if "answers" in data:
        answers = data.get("answers") or {}
        if not isinstance(answers, dict):
            raise Invalid(_("'answers' moet een object zijn."), {"answers": [_("Moet een object zijn.")]})
        application.answers = {**application.answers, **answers}
    if "is_partnership" in data:
        application.is_partnership = bool(data.get("is_partnership"))
    if "truthfulness_declared" in data:
        application.truthfulness_declared = bool(data.get("truthfulness_declared"))


def _apply_children(application: Application, data: dict, *, new: bool = False) -> None:
    from .models import CoFinancing, CostLine, Partner

    if "units" in data:
        _replace_units(application, _clean_units(data.get("units")), new=new)
    if "cost_lines" in data:
        rows = data.get("cost_lines") or []
        application.cost_lines.all().delete()
        lines = []
        for index, row in enumerate(rows):
            description = str((row or {}).get("description", "")).strip()
            if not description:
                raise Invalid(
                    _("Elke kostenpost heeft een omschrijving."),
                    {f"cost_lines.{index}.description": [_("Dit veld is verplicht.")]},
                )
            lines.append(
                CostLine(
                    application=application, description=description[:255], amount=_money(row, "amount", required=True)
                )
            )
        CostLine.objects.bulk_create(lines)
        if lines and "eligible_costs" not in data:
            application.eligible_costs = sum((line.amount for line in lines), Decimal("0.00"))
    if "partners" in data:
        application.partners.all().delete()
        roles = {choice for choice, _label in Partner.PartnerRole.choices}
        for index, row in enumerate(data.get("partners") or []):
            name = str((row or {}).get("name", "")).strip()
            role = (row or {}).get("role")
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
            for co in row.get("cofinancing") or []:
                if co.get("source") not in dict(CoFinancing.Source.choices) or co.get("kind") not in dict(
                    CoFinancing.Kind.choices
                ):
                    raise Invalid(
                        _("Cofinanciering heeft een bron en een vorm (in geld of in natura)."),
                        {f"partners.{index}.cofinancing": [_("Bron en vorm zijn verplicht.")]},
                    )
                CoFinancing.objects.create(
                    partner=partner, source=co["source"], kind=co["kind"], amount=_money(co, "amount", required=True)
                )
        if data.get("partners"):
            application.is_partnership = len(data["partners"]) > 1


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
    moment = now or _now()
    if opening.status_at(moment) == Opening.Status.CLOSED:
        raise Conflict(_("Deze openstelling is gesloten; er kan geen aanvraag meer bij."))
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
    _audit(application, user, "create", "", State.DRAFT, data={"channel": application.channel}, at=moment)
    return application


@transaction.atomic
def update_draft(*, application: Application, user: User, data: dict) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.state != State.DRAFT:
        raise Conflict(_("Alleen een concept kan worden gewijzigd."))
    if not perms.acts_for_applicant(application, user):
        raise Forbidden(_("U mag deze aanvraag niet wijzigen."))
    _apply_draft_data(application, data)
    _apply_children(application, data)
    application.updated_at = _now()
    application.save()
    return application


# --- the actions -------------------------------------------------------------------


@dataclass
class Context:
    application: Application
    user: User | None
    data: dict
    now: datetime.datetime
    today: datetime.date
    reason: str = ""
    event_data: dict | None = None


Handler = Callable[[Context], None]
HANDLERS: dict[str, Handler] = {}


def handles(name: str):
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


ACTIONS = (
    "submit",
    "withdraw",
    "start_review",
    "request_supplement",
    "supplement",
    "declare_not_considered",
    "propose_grant",
    "propose_rejection",
    "approve_decision",
    "return_decision",
    "pay_advance",
    "request_settlement",
    "propose_settlement",
    "approve_settlement",
    "revoke",
    "propose_tranche",
    "close",
    "lodge_objection",
    "decide_objection",
)


def available_actions(application: Application, user: User) -> list[str]:
    """The transitions this user may take now: the buttons and the API's list alike."""
    return [t.name for t in application.get_available_user_state_transitions(user) if t.name in HANDLERS]


def _refusal_for_conditions(application: Application, method) -> str:
    meta = method._django_fsm
    transition = meta.get_transition(application.state)
    for condition in transition.conditions if transition else []:
        if not condition(application):
            return str(getattr(condition, "message", _("Deze actie kan nu niet.")))
    return _("Deze actie kan nu niet.")


def perform(
    application: Application | None,
    action: str,
    user: User | None,
    data: dict | None = None,
    *,
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    lookup=None,
) -> Application:
    """Take one action on an application, or refuse with an ActionError and change nothing.

    ``lookup`` instead of an application: a queryset of the one application the caller may act on
    (the API: the user's visible applications with this reference), read and locked in one query;
    the locked application is returned, and Missing (404) raised when the queryset is empty.
    """
    data = data or {}
    if action not in HANDLERS:
        raise Invalid(_("Onbekende actie '%(action)s'.") % {"action": action})
    if not isinstance(data, dict):
        raise Invalid(_("De gegevens bij de actie moeten een object zijn."))
    try:
        with transaction.atomic():
            # the opening only: its scheme and the organisation are read when an action needs them
            if lookup is not None:
                locked = lookup.select_for_update(of=("self",)).select_related("opening").first()
                if locked is None:
                    raise Missing(_("Er is geen aanvraag met dit kenmerk die u mag inzien."))
            else:
                locked = (
                    Application.objects.select_for_update(of=("self",)).select_related("opening").get(pk=application.pk)
                )
                _carry_reference_data(application, locked)
            if expected_version is not None and locked.version != expected_version:
                raise Conflict(_("De aanvraag is intussen door iemand anders gewijzigd; laad haar opnieuw."))
            moment = now or _now()
            locked._action_now = moment
            method = getattr(locked, action)
            actor = user if user is not None else None
            if actor is not None:
                if not perms.can_view(locked, actor) and not actor.is_case_worker:
                    raise Forbidden(_("U mag deze aanvraag niet inzien of wijzigen."))
                meta = method._django_fsm
                if not meta.has_transition(locked.state):
                    raise Conflict(
                        _("'%(action)s' kan niet in de status '%(state)s'.")
                        % {"action": action, "state": State(locked.state).label}
                    )
                # who, apart from when: django-fsm's has_transition_perm also tests the conditions,
                # which would turn "not now" (409) into "not you" (403)
                if not meta.has_transition_perm(locked, locked.state, actor):
                    raise Forbidden(_permission_message(locked, action, actor))
            if not can_proceed(method):
                if not method._django_fsm.has_transition(locked.state):
                    raise Conflict(
                        _("'%(action)s' kan niet in de status '%(state)s'.")
                        % {"action": action, "state": State(locked.state).label}
                    )
                raise Conflict(_refusal_for_conditions(locked, method))
            ctx = Context(application=locked, user=actor, data=data, now=moment, today=clocks.local_date(moment))
            from_state = locked.state
            before = _field_values(locked)
            HANDLERS[action](ctx)
            locked.updated_at = moment
            locked.save(update_fields=_changed_fields(locked, before))
            event = _audit(locked, actor, action, from_state, locked.state, ctx.reason, ctx.event_data, at=moment)
            _queue_side_effects(event)
    except ConcurrentTransition:
        raise Conflict(_("De aanvraag is intussen door iemand anders gewijzigd; laad haar opnieuw.")) from None
    except budget.CeilingReached as exc:
        raise Conflict(str(exc)) from None
    if application is None:
        return locked
    _adopt(application, locked)
    return application


def _field_values(application: Application) -> dict:
    return {f.attname: copy.deepcopy(application.__dict__.get(f.attname)) for f in Application._meta.concrete_fields}


def _changed_fields(application: Application, before: dict) -> list[str]:
    """Only what the action changed is written: a shorter UPDATE, the version check all the same."""
    return [
        f.name
        for f in Application._meta.concrete_fields
        if not f.primary_key and application.__dict__.get(f.attname) != before[f.attname]
    ]


def _adopt(application: Application, fresh: Application) -> None:
    """``application`` takes the values just saved from ``fresh``: a refresh without a query."""
    for field in Application._meta.concrete_fields:
        application.__dict__[field.attname] = fresh.__dict__[field.attname]
    application._state.fields_cache = dict(fresh._state.fields_cache)
    # only what the action itself prefetched after the lock (submit: the units it computed with)
    application._prefetched_objects_cache = dict(getattr(fresh, "_prefetched_objects_cache", {}))
    application._loaded_version = fresh._loaded_version
    application._update_initial_state()


def _carry_reference_data(application: Application, locked: Application) -> None:
    """The scheme and organisation the caller already read go with the locked row: no query to read them again.

    Reference data an action does not change; the opening itself is read again with the lock.
    """
    cache = application._state.fields_cache
    organisation = cache.get("organisation")
    if organisation is not None and organisation.pk == locked.organisation_id:
        locked._state.fields_cache["organisation"] = organisation
    opening = cache.get("opening")
    scheme = opening._state.fields_cache.get("scheme") if opening is not None else None
    if scheme is not None and scheme.pk == locked.opening.scheme_id:
        locked.opening._state.fields_cache["scheme"] = scheme


def _permission_message(application: Application, action: str, user: User) -> str:
    if action in ("approve_decision", "approve_settlement", "return_decision"):
        pending = application.pending_decision()
        if pending is not None and pending.proposed_by_id == user.pk:
            return _("Vier ogen: u heeft dit besluit zelf voorgesteld; een andere behandelaar moet het goedkeuren.")
        return _("Alleen een tweede behandelaar van deze regeling mag een besluit goedkeuren.")
    if action in ("propose_grant", "propose_rejection") and perms.reviews(application, user):
        return _("Verklaar eerst dat u geen belangenverstrengeling heeft met deze aanvrager.")
    if user.is_applicant_side:
        return (
            _("Deze actie is voorbehouden aan de behandelaar.")
            if action not in ("submit", "withdraw", "supplement", "request_settlement", "lodge_objection")
            else _("U mag niet namens deze organisatie handelen.")
        )
    return _("U mag deze actie niet uitvoeren.")


def _decision_due(application: Application) -> datetime.date | None:
    if application.complete_at is None:
        return None
    return clocks.decision_due(
        clocks.local_date(application.complete_at),
        term_weeks=application.decision_term_weeks or application.opening.published_rules.decision_term_weeks,
        suspended_days=application.suspended_days,
        postponed_days=application.postponed_days,
    )


def _refuse_if(result, message: str) -> None:
    if not result.ok:
        errors = result.errors_by_field()
        raise Invalid(message + " " + " ".join(r.message for r in result.refusals), errors)


@handles("submit")
def _submit(ctx: Context) -> None:
    app = ctx.application
    if not app.truthfulness_declared and ctx.data.get("truthfulness_declared"):
        app.truthfulness_declared = True
    if not app.truthfulness_declared:
        raise Invalid(
            _("Verklaar dat u de aanvraag naar waarheid heeft ingevuld."),
            {"truthfulness_declared": [_("Deze verklaring is verplicht.")]},
        )
    # the units are read before the opening's lock (the application's own lock keeps them as they are),
    # so the lock that serialises the whole queue is held only for the checks that need it and the writes
    prefetch_related_objects([app], "units")
    opening = budget.lock_opening(app.opening_id)  # serialises the queue and the ceiling
    result = checks.check_limits(app, on=ctx.today)
    _refuse_if(result, _("De aanvraag kan zo niet worden ingediend."))
    app.submit()
    app.amount_requested = result.amount
    app.submitted_at = ctx.now
    app.complete_at = ctx.now
    app.submitted_by = ctx.user
    if ctx.user is not None and ctx.user.role == Role.INTERMEDIARY:
        app.channel = Channel.INTERMEDIARY
    opening.queue_length += 1
    app.queue_position = opening.queue_length
    app.decision_due = _decision_due(app)
    totals_saved = False  # the reservation's UPDATE of the opening writes the queue length too
    if opening.distribution == "fcfs":
        if budget.fits(opening, result.amount):
            totals_saved = budget.set_reservation(opening, app, result.amount, note="indiening", at=ctx.now)
        else:
            app.over_ceiling = True
    if not totals_saved:
        Opening.objects.filter(pk=opening.pk).update(queue_length=opening.queue_length)
    ctx.event_data = {
        "amount": result.amount,
        "queue_position": app.queue_position,
        "over_ceiling": app.over_ceiling,
        "steps": result.steps,
    }


def _release(app: Application, ctx: Context, note: str) -> None:
    if app.amount_reserved:
        opening = budget.lock_opening(app.opening_id)
        budget.set_reservation(opening, app, Decimal("0.00"), note=note, at=ctx.now)


@handles("withdraw")
def _withdraw(ctx: Context) -> None:
    ctx.reason = _text(ctx.data, "reason")
    ctx.application.withdraw()
    _release(ctx.application, ctx, "ingetrokken")
    pending = ctx.application.pending_decision()
    if pending:
        Decision.objects.filter(pk=pending.pk).update(
            status=Decision.Status.RETURNED, returned_at=ctx.now, return_note=_("aanvraag ingetrokken")
        )


@handles("start_review")
def _start_review(ctx: Context) -> None:
    ctx.application.start_review()
    if ctx.application.assigned_to_id is None and ctx.user is not None:
        ctx.application.assigned_to = ctx.user


@handles("request_supplement")
def _request_supplement(ctx: Context) -> None:
    app = ctx.application
    reason = _text(ctx.data, "reason", required=True)
    days = ctx.data.get("due_days", app.opening.published_rules.supplement_term_days)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid(_("De termijn moet een aantal dagen zijn."), {"due_days": [_("Geef een aantal dagen.")]})
    if not 1 <= days <= 90:
        raise Invalid(_("De termijn voor een aanvulling is 1 tot 90 dagen."), {"due_days": [_("1 tot 90 dagen.")]})
    app.request_supplement()
    request = SupplementRequest.objects.create(
        application=app,
        reason=reason,
        requested_by=ctx.user,
        requested_on=ctx.today,
        due_date=clocks.supplement_due(ctx.today, days),
    )
    ctx.reason = reason
    ctx.event_data = {"due_date": request.due_date, "supplement_request": request.pk}


@handles("supplement")
def _supplement(ctx: Context) -> None:
    app = ctx.application
    request = app.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    changes = {k: v for k, v in ctx.data.items() if k in DRAFT_FIELDS}
    _apply_draft_data(app, changes)
    _apply_children(app, changes)
    result = checks.compute_amount(app)
    _refuse_if(result, _("De aanvulling klopt nog niet."))
    app.supplement()
    note = _text(ctx.data, "note")
    if request is not None:
        request.answered_on = ctx.today
        request.answer = note
        request.days_suspended = clocks.suspension_days(request.requested_on, ctx.today)
        request.save()
        app.suspended_days = (
            app.supplement_requests.filter(answered_on__isnull=False).aggregate(s=Sum("days_suspended"))["s"] or 0
        )
    app.amount_requested = result.amount
    app.decision_due = _decision_due(app)
    ctx.reason = note
    ctx.event_data = {"changed": sorted(changes), "decision_due": app.decision_due}


@handles("declare_not_considered")
def _declare_not_considered(ctx: Context) -> None:
    app = ctx.application
    app.declare_not_considered()
    request = app.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    if request is not None:
        request.days_suspended = clocks.suspension_days(request.requested_on, request.due_date)
        request.save()
    _release(app, ctx, "buiten behandeling")
    _decided(app, ctx)


def _decided(app: Application, ctx: Context) -> None:
    app.decided_at = ctx.now
    app.objection_due = clocks.objection_due(ctx.today)


def _propose(
    ctx: Context,
    kind: str,
    *,
    amount: Decimal | None = None,
    reason_code: str = "",
    tranche: Tranche | None = None,
    data: dict | None = None,
) -> Decision:
    note = _text(ctx.data, "note")
    decision = Decision.objects.create(
        application=ctx.application,
        kind=kind,
        amount=amount,
        reason_code=reason_code,
        note=note,
        proposed_by=ctx.user,
        proposed_at=ctx.now,
        tranche=tranche,
        data=_jsonable({"from_state": ctx.application.state, **(data or {})}),
    )
    ctx.reason = note
    ctx.event_data = {
        "decision": decision.pk,
        "kind": kind,
        "amount": amount,
        "reason_code": reason_code,
        **(data or {}),
    }
    return decision


@handles("propose_grant")
def _propose_grant(ctx: Context) -> None:
    app = ctx.application
    amount = _money(ctx.data, "amount")
    result = checks.check_limits(app, amount=amount, on=ctx.today)
    _refuse_if(result, _("Dit besluit kan zo niet worden voorgesteld."))
    if result.amount <= 0:
        raise Invalid(_("Een verlening moet een bedrag hoger dan € 0 hebben."), {"amount": [_("Hoger dan € 0.")]})
    _propose(ctx, Decision.Kind.GRANT, amount=result.amount, data={"steps": result.steps})
    app.propose_grant()


@handles("propose_rejection")
def _propose_rejection(ctx: Context) -> None:
    code = ctx.data.get("reason_code")
    if code not in REASON_CODES:
        raise Invalid(
            _("Kies een geldige reden van afwijzing."),
            {"reason_code": [_("Een van: %(codes)s.") % {"codes": ", ".join(REASON_CODES)}]},
        )
    _propose(ctx, Decision.Kind.REJECTION, reason_code=code)
    ctx.application.propose_rejection()


@handles("approve_decision")
def _approve_decision(ctx: Context) -> None:
    app = ctx.application
    decision = app.pending_decision()
    if decision.kind == Decision.Kind.SETTLEMENT:
        raise Conflict(_("Een vaststelling keurt u goed met 'approve_settlement'."))
    target = app.state
    if decision.kind == Decision.Kind.GRANT:
        _grant(app, decision, ctx)
        target = State.GRANTED
    elif decision.kind == Decision.Kind.REJECTION:
        _release(app, ctx, "afgewezen")
        app.rejection_reason = decision.reason_code
        _decided(app, ctx)
        target = State.REJECTED
    elif decision.kind == Decision.Kind.REVOCATION:
        _revoke_money(app, ctx)
        _decided(app, ctx)
        target = State.REVOKED
    elif decision.kind in (Decision.Kind.TRANCHE_RELEASE, Decision.Kind.TRANCHE_WITHHOLD):
        _decide_tranche(app, decision, ctx)
    app.approve_decision(target)
    decision.status = Decision.Status.APPROVED
    decision.approved_by = ctx.user
    decision.approved_at = ctx.now
    decision.save()
    ctx.event_data = {
        "decision": decision.pk,
        "kind": decision.kind,
        "amount": decision.amount,
        "reason_code": decision.reason_code,
        "proposed_by": decision.proposed_by_id,
    }


def _project_end(app: Application) -> datetime.date | None:
    if app.project_end_date:
        return app.project_end_date
    ends = [u.end_date for u in app.units.all() if u.end_date]
    return max(ends) if ends else None


def _grant(app: Application, decision: Decision, ctx: Context) -> None:
    result = checks.check_limits(app, amount=decision.amount, on=ctx.today)
    _refuse_if(result, _("De verlening kan zo niet worden goedgekeurd."))
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(opening, app, decision.amount, note="verlening", at=ctx.now)
    app.amount_granted = decision.amount
    app.over_ceiling = False
    _decided(app, ctx)
    end = _project_end(app)
    if end:
        app.settlement_due = clocks.settlement_request_due(end)
    rules = app.opening.published_rules
    if rules.advance_pct and not app.payments.filter(kind=Payment.Kind.ADVANCE).exists():
        advance = (decision.amount * rules.advance_pct / Decimal(100)).quantize(Decimal("0.01"))
        if advance > 0:
            Payment.objects.create(
                application=app,
                kind=Payment.Kind.ADVANCE,
                amount=advance,
                due_date=clocks.payment_due(ctx.today),
                created_at=ctx.now,
            )
    if rules.shape == "programme" and not app.tranches.exists():
        _plan_tranches(app, decision.amount)
    if rules.de_minimis:
        DeMinimisAid.objects.create(
            organisation=app.organisation,
            application=app,
            granted_on=ctx.today,
            amount=decision.amount,
            provider=app.opening.scheme.executing_agency,
            declared=False,
        )


def _plan_tranches(app: Application, amount: Decimal) -> None:
    from schemes.models import TranchePlanItem

    plan = list(TranchePlanItem.objects.filter(opening=app.opening).order_by("number")) or list(
        TranchePlanItem.objects.filter(scheme=app.opening.scheme, opening__isnull=True).order_by("number")
    )
    if not plan:
        plan_total, plan = amount, []
        Tranche.objects.create(
            application=app, number=1, label=_("Volledige toekenning"), amount=amount, planned_date=clocks.local_date()
        )
        return
    plan_total = sum((item.amount for item in plan), Decimal("0"))
    assigned = Decimal("0.00")
    for index, item in enumerate(plan):
        if index == len(plan) - 1:
            share = amount - assigned
        else:
            share = (amount * item.amount / plan_total).quantize(Decimal("0.01"))
        assigned += share
        Tranche.objects.create(
            application=app,
            number=item.number,
            label=item.label,
            amount=share,
            planned_date=item.planned_date,
            gated=item.gated,
            review_kind=item.review_kind,
            review_date=item.review_date,
        )


def _revoke_money(app: Application, ctx: Context) -> None:
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(opening, app, Decimal("0.00"), note="intrekking", at=ctx.now)
    app.payments.filter(status=Payment.Status.DUE).exclude(kind=Payment.Kind.RECOVERY).delete()
    outstanding = app.amount_paid - app.amount_recovered
    if outstanding > 0:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.RECOVERY,
            amount=outstanding,
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    app.amount_settled = Decimal("0.00")


def _decide_tranche(app: Application, decision: Decision, ctx: Context) -> None:
    tranche = decision.tranche
    release = decision.kind == Decision.Kind.TRANCHE_RELEASE
    release_tranche(app, tranche, release=release, ctx=ctx, kpi_values=decision.data.get("kpi_values", {}))


def release_tranche(app: Application, tranche: Tranche, *, release: bool, ctx: Context, kpi_values=None) -> None:
    tranche.status = Tranche.Status.RELEASED if release else Tranche.Status.WITHHELD
    tranche.kpi_values = kpi_values or {}
    tranche.decided_at = ctx.now
    tranche.save()
    if release:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.TRANCHE,
            amount=tranche.amount,
            tranche=tranche,
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    else:
        opening = budget.lock_opening(app.opening_id)
        budget.set_commitment(
            opening, app, app.amount_committed - tranche.amount, note="tranche ingehouden", at=ctx.now
        )


@handles("return_decision")
def _return_decision(ctx: Context) -> None:
    app = ctx.application
    decision = app.pending_decision()
    note = _text(ctx.data, "note", required=True)
    target = decision.data.get("from_state") or State.IN_REVIEW
    if decision.kind in (Decision.Kind.GRANT, Decision.Kind.REJECTION):
        target = State.IN_REVIEW
    app.return_decision(target)
    decision.status = Decision.Status.RETURNED
    decision.returned_by = ctx.user
    decision.returned_at = ctx.now
    decision.return_note = note
    decision.save()
    if decision.tranche_id:
        Tranche.objects.filter(pk=decision.tranche_id).update(status=Tranche.Status.DUE)
    ctx.reason = note
    ctx.event_data = {"decision": decision.pk, "kind": decision.kind}


@handles("pay_advance")
def _pay_advance(ctx: Context) -> None:
    app = ctx.application
    app.pay_advance()
    payment = app.payments.get(kind=Payment.Kind.ADVANCE)
    _mark_paid(app, payment, ctx)
    ctx.event_data = {"payment": payment.pk, "amount": payment.amount}


def _mark_paid(app: Application, payment: Payment, ctx: Context) -> None:
    opening = budget.lock_opening(app.opening_id)
    if payment.kind == Payment.Kind.RECOVERY:
        budget.book_recovery(opening, app, payment.amount, note="terugvordering ontvangen", at=ctx.now)
    else:
        budget.book_payment(opening, app, payment.amount, note=payment.get_kind_display(), at=ctx.now)
    payment.status = Payment.Status.PAID
    payment.paid_at = ctx.now
    payment.save()


@handles("request_settlement")
def _request_settlement(ctx: Context) -> None:
    app = ctx.application
    rules = app.opening.published_rules
    report = _text(ctx.data, "report")
    if rules.shape == "per_unit":
        done = ctx.data.get("units_completed")
        if not isinstance(done, list):
            raise Invalid(
                _("Geef per traject aan of het is afgerond: 'units_completed' is een lijst met id's."),
                {"units_completed": [_("Een lijst met de id's van de afgeronde trajecten.")]},
            )
        ids = set()
        extended = set()
        for item in done:
            if isinstance(item, dict):
                unit_id = item.get("id")
                if item.get("contract_extended", True):
                    extended.add(unit_id)
            else:
                unit_id = item
                extended.add(unit_id)
            ids.add(unit_id)
        known = set(app.units.values_list("id", flat=True))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise Invalid(
                _("Deze trajecten horen niet bij deze aanvraag: %(ids)s.") % {"ids": unknown},
                {"units_completed": [_("Onbekende trajecten.")]},
            )
        for unit in app.units.all():
            unit.status = Unit.Status.COMPLETED if unit.id in ids else Unit.Status.CANCELLED
            unit.contract_extended = unit.id in extended and unit.id in ids
            unit.save(update_fields=["status", "contract_extended"])
        ctx.event_data = {"units_completed": sorted(ids), "contract_extended": sorted(extended & ids)}
    else:
        app.actual_costs = _money(ctx.data, "actual_costs", required=rules.shape == "share_of_costs")
        ctx.event_data = {"actual_costs": app.actual_costs}
    app.settlement_report = report
    app.settlement_requested_at = ctx.now
    app.request_settlement()


def settlement_amount(app: Application) -> Decimal:
    """What the rules give for what was realised, never more than was granted (4:46)."""
    granted = app.amount_granted or Decimal("0.00")
    if app.opening.published_rules.shape == "programme":
        released = app.tranches.filter(status=Tranche.Status.RELEASED).aggregate(s=Sum("amount"))["s"]
        return min(granted, released or Decimal("0.00")) if app.tranches.exists() else granted
    if app.state == State.GRANTED and app.settlement_requested_at is None:
        return granted  # ex officio, nothing reported: as granted
    result = checks.compute_amount(app, completed_only=True)
    if not result.ok:
        return Decimal("0.00")
    return min(granted, result.amount)


@handles("propose_settlement")
def _propose_settlement(ctx: Context) -> None:
    app = ctx.application
    computed = settlement_amount(app)
    amount = _money(ctx.data, "amount")
    if amount is None:
        amount = computed
    granted = app.amount_granted or Decimal("0.00")
    if amount > granted:
        raise Invalid(
            _("De vaststelling (%(amount)s) kan niet hoger zijn dan de verlening (%(granted)s).")
            % {"amount": euro(amount), "granted": euro(granted)},
            {"amount": [_("Ten hoogste de verlening.")]},
        )
    _propose(
        ctx,
        Decision.Kind.SETTLEMENT,
        amount=amount,
        data={"computed": computed, "ex_officio": app.state == State.GRANTED},
    )
    app.propose_settlement()


@handles("approve_settlement")
def _approve_settlement(ctx: Context) -> None:
    app = ctx.application
    decision = app.pending_decision()
    if decision.kind != Decision.Kind.SETTLEMENT:
        raise Conflict(_("Het voorgestelde besluit is geen vaststelling."))
    amount = decision.amount
    opening = budget.lock_opening(app.opening_id)
    budget.set_commitment(opening, app, amount, note="vaststelling", at=ctx.now)
    budget.book_settlement(opening, app, amount, note="vastgesteld", at=ctx.now)
    app.amount_settled = amount
    app.settled_at = ctx.now
    _decided(app, ctx)
    app.payments.filter(status=Payment.Status.DUE, kind__in=[Payment.Kind.ADVANCE, Payment.Kind.TRANCHE]).delete()
    difference = amount - (app.amount_paid - app.amount_recovered)
    if difference > 0:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.FINAL,
            amount=difference,
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    elif difference < 0:
        Payment.objects.create(
            application=app,
            kind=Payment.Kind.RECOVERY,
            amount=-difference,
            due_date=clocks.payment_due(ctx.today),
            created_at=ctx.now,
        )
    app.approve_settlement()
    decision.status = Decision.Status.APPROVED
    decision.approved_by = ctx.user
    decision.approved_at = ctx.now
    decision.save()
    ctx.event_data = {
        "decision": decision.pk,
        "amount": amount,
        "difference": difference,
        "proposed_by": decision.proposed_by_id,
    }


@handles("revoke")
def _revoke(ctx: Context) -> None:
    reason = _text(ctx.data, "reason", required=True)
    ctx.application.revoke()
    _propose(ctx, Decision.Kind.REVOCATION, reason_code="revocation")
    ctx.reason = reason
    Decision.objects.filter(application=ctx.application, status=Decision.Status.PROPOSED).update(note=reason)


@handles("propose_tranche")
def _propose_tranche(ctx: Context) -> None:
    app = ctx.application
    number = ctx.data.get("tranche")
    tranche = app.tranches.filter(number=number, gated=True, status__in=["planned", "due"]).first()
    if tranche is None:
        raise Invalid(
            _("Geef het nummer van een voorwaardelijke tranche die beoordeeld moet worden."),
            {"tranche": [_("Onbekende of al beoordeelde tranche.")]},
        )
    release = ctx.data.get("release")
    if not isinstance(release, bool):
        raise Invalid(
            _("Geef aan of de tranche wordt vrijgegeven (release: true) of ingehouden (release: false)."),
            {"release": [_("true of false.")]},
        )
    kpi_values = ctx.data.get("kpi_values")
    if not isinstance(kpi_values, dict) or not kpi_values:
        raise Invalid(
            _("Leg de KPI-waarden vast waarop dit besluit rust."),
            {"kpi_values": [_("Een object met KPI-code en waarde.")]},
        )
    kind = Decision.Kind.TRANCHE_RELEASE if release else Decision.Kind.TRANCHE_WITHHOLD
    app.propose_tranche()
    _propose(
        ctx, kind, amount=tranche.amount, tranche=tranche, data={"kpi_values": kpi_values, "tranche": tranche.number}
    )
    tranche.status = Tranche.Status.DUE
    tranche.save()


@handles("close")
def _close(ctx: Context) -> None:
    ctx.application.close()
    ctx.application.closed_at = ctx.now


@handles("lodge_objection")
def _lodge_objection(ctx: Context) -> None:
    app = ctx.application
    reason = _text(ctx.data, "reason", required=True)
    against = app.state
    app.lodge_objection()
    objection = Objection.objects.create(
        application=app,
        against_state=against,
        reason=reason,
        lodged_by=ctx.user,
        lodged_on=ctx.today,
        decide_by=clocks.objection_decision_due(app.objection_due or ctx.today),
    )
    ctx.reason = reason
    ctx.event_data = {"objection": objection.pk, "decide_by": objection.decide_by}


@handles("decide_objection")
def _decide_objection(ctx: Context) -> None:
    app = ctx.application
    upheld = ctx.data.get("upheld")
    if not isinstance(upheld, bool):
        raise Invalid(
            _("Geef aan of het bezwaar gegrond is (upheld: true of false)."), {"upheld": [_("true of false.")]}
        )
    note = _text(ctx.data, "note", required=True)
    reopen = upheld and app.state in (State.REJECTED, State.NOT_CONSIDERED, State.GRANTED, State.REVOKED)
    was_revoked = app.state == State.REVOKED
    app.decide_objection(reopen)
    objection = app.objections.get(outcome=Objection.Outcome.PENDING)
    objection.outcome = Objection.Outcome.UPHELD if upheld else Objection.Outcome.DISMISSED
    objection.decided_by = ctx.user
    objection.decided_at = ctx.now
    objection.note = note
    objection.save()
    if reopen and was_revoked:
        opening = budget.lock_opening(app.opening_id)
        budget.set_commitment(opening, app, app.amount_granted or Decimal("0.00"), note="bezwaar gegrond", at=ctx.now)
    app.objection_due = None if reopen else app.objection_due
    if reopen:
        app.rejection_reason = ""
    ctx.reason = note
    ctx.event_data = {"objection": objection.pk, "upheld": upheld, "reopened": reopen}


# --- acts that are not transitions ----------------------------------------------------


@transaction.atomic
def declare_conflict_of_interest(
    *, application: Application, user: User, conflict: bool, note: str = "", now: datetime.datetime | None = None
) -> Assessment:
    """A reviewer declares (no) conflict of interest with the applicant before assessing (``now``: a historical moment)."""
    moment = now or _now()
    if not perms.reviews(application, user):
        raise Forbidden(_("Alleen een behandelaar van deze regeling kan beoordelen."))
    assessment, _created = Assessment.objects.get_or_create(application=application, reviewer=user)
    assessment.conflict_declared = conflict
    assessment.no_conflict_declared_at = None if conflict else moment
    assessment.note = note or assessment.note
    assessment.updated_at = moment
    assessment.save()
    _audit(
        application,
        user,
        "declare_conflict" if conflict else "declare_no_conflict",
        application.state,
        application.state,
        note,
        at=moment,
    )
    return assessment


@transaction.atomic
def record_assessment(
    *,
    application: Application,
    user: User,
    checklist: dict | None = None,
    scores: dict | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Assessment:
    moment = now or _now()
    assessment = Assessment.objects.filter(application=application, reviewer=user).first()
    if assessment is None or assessment.no_conflict_declared_at is None or assessment.conflict_declared:
        raise Forbidden(_("Verklaar eerst dat u geen belangenverstrengeling heeft met deze aanvrager."))
    if checklist is not None:
        assessment.checklist = checklist
    if scores is not None:
        clean = {}
        for criterion, entry in scores.items():
            value = entry.get("score") if isinstance(entry, dict) else entry
            try:
                value = Decimal(str(value))
            except Exception:
                raise Invalid(_("Een score is een getal."), {f"scores.{criterion}": [_("Een getal.")]}) from None
            if not Decimal("0") <= value <= Decimal("10"):
                raise Invalid(_("Een score ligt tussen 0 en 10."), {f"scores.{criterion}": [_("0 tot 10.")]})
            justification = entry.get("justification", "") if isinstance(entry, dict) else ""
            clean[criterion] = {"score": str(value), "justification": justification}
        assessment.scores = clean
        if clean:
            assessment.score = (sum(Decimal(v["score"]) for v in clean.values()) / len(clean)).quantize(Decimal("0.01"))
    assessment.note = note or assessment.note
    assessment.updated_at = moment
    assessment.save()
    _audit(
        application,
        user,
        "assess",
        application.state,
        application.state,
        note,
        {"checklist": assessment.checklist, "score": assessment.score},
        at=moment,
    )
    return assessment


@transaction.atomic
def record_payment(*, payment: Payment, user: User | None, now: datetime.datetime | None = None) -> Payment:
    """A due payment made, or a recovery received (``now``: a historical moment)."""
    moment = now or _now()
    app = Application.objects.select_for_update().get(pk=payment.application_id)
    if user is not None and not perms.handles_payments(app, user):
        raise Forbidden(_("U mag geen betalingen vastleggen voor deze regeling."))
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.PAID:
        raise Conflict(_("Deze betaling is al vastgelegd."))
    ctx = Context(application=app, user=user, data={}, now=moment, today=clocks.local_date(moment))
    _mark_paid(app, payment, ctx)
    app.save()
    _audit(
        app,
        user,
        "record_payment",
        app.state,
        app.state,
        data={"payment": payment.pk, "kind": payment.kind, "amount": payment.amount},
        at=moment,
    )
    return payment


@transaction.atomic
def assign(*, applications, reviewer: User, by: User) -> int:
    count = 0
    for app in Application.objects.select_for_update().filter(pk__in=[a.pk for a in applications]):
        if not perms.reviews(app, by) or not perms.reviews(app, reviewer):
            raise Forbidden(_("U kunt alleen aanvragen van uw eigen regelingen toewijzen aan een behandelaar ervan."))
        app.assigned_to = reviewer
        app.save(update_fields=["assigned_to", "version"])
        _audit(app, by, "assign", app.state, app.state, data={"assigned_to": reviewer.get_username()})
        count += 1
    return count


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
        mandate.revoked_at = _now()
        mandate.revoked_by = by
        mandate.save(update_fields=["revoked_at", "revoked_by"])
    return mandate


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


@transaction.atomic
def create_and_submit(
    *,
    user: User,
    opening: Opening,
    organisation_kvk: str | None = None,
    data: dict | None = None,
    idempotency_key: str | None = None,
) -> Application:
    """A draft submitted at once, in one transaction: both or neither (the API's ``"submit": true``).

    The same services as two requests would take: ``create_draft`` and then the submit action.
    """
    application = create_draft(
        user=user, opening=opening, organisation_kvk=organisation_kvk, data=data, idempotency_key=idempotency_key
    )
    if application.state != State.DRAFT:  # the same idempotency key again: the first request's application
        return application
    return perform(application, "submit", user, {})
