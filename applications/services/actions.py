"""The one door for a transition: ``perform``.

Used by the portal, the reviewer screens, the API, the commands and the clocks
alike. It locks the application, checks the action's declaration in
``workflow`` (from which states, who, when), lets django-fsm move the state,
runs the action's handler (validation, money, records), writes one audit event
with the fields it changed in the same transaction, and leaves letters and
e-mails to the event's consumers after the commit. Refusals raise an
``ActionError`` with a status (400, 403, 404, 409) and a plain message; nothing
is changed then.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from schemes import budget

from .. import audit, clocks, known_rows, workflow
from .. import permissions as perms
from ..errors import Conflict, Forbidden, Invalid, Missing
from ..models import Application, User
from ..states import State

# A deadlock or a serialization failure between two actions on the same opening (PostgreSQL 40P01, 40001): the
# database undid one of them whole; it is tried again, up to three times, and else refused with a 409.
_LOCK_CONFLICTS = ("40P01", "40001")
_ATTEMPTS = 3


@dataclass
class Context:
    """What a handler works with: the locked application, who acts, the input, the moment."""

    application: Application
    user: User | None
    data: dict
    now: datetime.datetime
    today: datetime.date
    from_state: str = ""
    reason: str = ""
    event_data: dict | None = None


Handler = Callable[[Context], None]
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    """Register the handler of the workflow action ``name``."""
    if workflow.action(name) is None:
        raise LookupError(f"{name!r} is not an action of workflow.ACTIONS")

    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def available_actions(application: Application, user: User) -> list[str]:
    """The transitions this user may take now: the buttons and the API's list alike."""
    return [t.name for t in application.get_available_user_state_transitions(user) if t.name in HANDLERS]


def _not_in_state(name: str, state: str) -> Conflict:
    return Conflict(
        _("'%(action)s' kan niet in de status '%(state)s'.") % {"action": name, "state": State(state).label}
    )


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
    declared = workflow.action(action)
    if declared is None or action not in HANDLERS:
        raise Invalid(_("Onbekende actie '%(action)s'.") % {"action": action})
    if not isinstance(data, dict):
        raise Invalid(_("De gegevens bij de actie moeten een object zijn."))
    retry = not transaction.get_connection().in_atomic_block  # inside another's transaction its locks stay held
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            locked = _perform_once(
                declared, application, user, data, expected_version=expected_version, now=now, lookup=lookup
            )
            break
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) not in _LOCK_CONFLICTS:
                raise
            if not retry or attempt == _ATTEMPTS:
                raise Conflict(
                    _(
                        "Een andere handeling op hetzelfde budget liep tegelijk met deze; er is niets gewijzigd. Probeer het opnieuw."
                    )
                ) from None
    if application is None:
        return locked
    _adopt(application, locked)
    return application


def _perform_once(
    declared: workflow.Action, application, user, data: dict, *, expected_version, now, lookup
) -> Application:
    """One attempt, in its own transaction: everything or nothing."""
    try:
        with transaction.atomic():
            locked = _lock(application, lookup)
            if expected_version is not None and locked.version != expected_version:
                raise Conflict(_("De aanvraag is intussen door iemand anders gewijzigd; laad haar opnieuw."))
            moment = now or timezone.now()
            locked._action_now = moment
            _check(declared, locked, user)
            ctx = Context(
                application=locked,
                user=user,
                data=data,
                now=moment,
                today=clocks.local_date(moment),
                from_state=locked.state,
            )
            before = _field_values(locked)
            target = declared.target_for(locked, data)  # picked before the handler changes what it reads
            if (locked.state, target) not in declared.paths():
                raise Conflict(_("Deze actie kan nu niet."))
            _transition(declared, locked, target)
            HANDLERS[declared.name](ctx)
            locked.updated_at = moment
            changed = _changed_fields(locked, before)
            locked.save(update_fields=[f.name for f in changed])
            audit.record(
                locked,
                user,
                declared.name,
                from_state=ctx.from_state,
                to_state=locked.state,
                reason=ctx.reason,
                data=ctx.event_data,
                changes={
                    f.name: [before[f.attname], locked.__dict__.get(f.attname)] for f in changed if f.name in _TRACKED
                },
                at=moment,
            )
    except ConcurrentTransition:
        raise Conflict(_("De aanvraag is intussen door iemand anders gewijzigd; laad haar opnieuw.")) from None
    except budget.CeilingReached as exc:
        raise Conflict(str(exc)) from None
    return locked


def _lock(application: Application | None, lookup) -> Application:
    """The application, read again under a row lock (the opening only comes along; see ``_carry_reference_data``)."""
    if lookup is not None:
        locked = lookup.select_for_update(of=("self",)).select_related("opening").first()
        if locked is None:
            raise Missing(_("Er is geen aanvraag met dit kenmerk die u mag inzien."))
        return locked
    locked = Application.objects.select_for_update(of=("self",)).select_related("opening").get(pk=application.pk)
    _carry_reference_data(application, locked)
    return locked


def _check(declared: workflow.Action, application: Application, user: User | None) -> None:
    """Who may see it (403), from which state (409), who may act (403); when (409) follows in ``_transition``."""
    if user is not None and not perms.can_view(application, user) and not user.is_case_worker:
        raise Forbidden(_("U mag deze aanvraag niet inzien of wijzigen."))
    if application.state not in declared.sources:
        raise _not_in_state(declared.name, application.state)
    if user is not None and not declared.who(application, user):
        raise Forbidden(declared.refusal(application, user))
    if declared.name == "submit" and user is not None and not perms.meets_assurance(user, application.opening.scheme):
        raise Forbidden(perms.assurance_refusal(user, application.opening.scheme))


def _transition(declared: workflow.Action, application: Application, target: str) -> None:
    """django-fsm moves the state, after its own check of the sources and the conditions (``when``)."""
    method = getattr(application, declared.name)
    try:
        method(target) if isinstance(declared.target, workflow.Rule) else method()
    except TransitionNotAllowed:
        failed = declared.failed_condition(application)
        raise Conflict(str(getattr(failed, "message", _("Deze actie kan nu niet.")))) from None


# The fields whose old and new values an audit event keeps (not the bookkeeping of every save).
_TRACKED = frozenset(f.name for f in Application._meta.concrete_fields if f.name not in ("id", "version", "updated_at"))


def _field_values(application: Application) -> dict:
    return {f.attname: copy.deepcopy(application.__dict__.get(f.attname)) for f in Application._meta.concrete_fields}


def _changed_fields(application: Application, before: dict) -> list:
    """Only what the action changed is written: a shorter UPDATE, the version check all the same."""
    return [
        f
        for f in Application._meta.concrete_fields
        if not f.primary_key and application.__dict__.get(f.attname) != before[f.attname]
    ]


def _adopt(application: Application, fresh: Application) -> None:
    """``application`` takes the values just saved from ``fresh`` (and the units submit computed with)."""
    known_rows.adopt(application, fresh)
    application._loaded_version = fresh._loaded_version
    application._update_initial_state()


def _carry_reference_data(application: Application, locked: Application) -> None:
    """The scheme and organisation the caller already read go with the locked row: no query to read them again.

    Reference data an action does not change; the opening itself is read again with the lock.
    """
    known_rows.carry(locked, "organisation", known_rows.cached_relation(application, "organisation"))
    opening = known_rows.cached_relation(application, "opening")
    if opening is not None:
        known_rows.carry(locked.opening, "scheme", known_rows.cached_relation(opening, "scheme"))
