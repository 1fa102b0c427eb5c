"""The audit trail's one door: ``record`` writes an event, what it owes, and publishes it after the commit.

Every act on an application is one append-only ``AuditEvent``, written in the
same transaction as the act itself (actor, from and to state, reason, data, and
the fields the act changed with their old and new values). What has to follow
an event — a letter, an e-mail — is written in that same transaction as an
``Outbox`` row (``workflow`` declares what each event owes), so a decision is
never without the letter it owes, whatever happens to a broker or a worker.
Delivering it is not done here: consumers ``subscribe`` (in ``AppConfig.ready``)
and are handed each event once the transaction has committed, never before,
never for a rolled-back act; ``event.owed`` then lists the keys of its rows.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from . import workflow
from .models import Application, AuditEvent, Outbox, User

logger = logging.getLogger(__name__)

SYSTEM = "systeem"

_subscribers: list[Callable[[AuditEvent], None]] = []
_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar("side_effects_suppressed", default=False)


def subscribe(consumer: Callable[[AuditEvent], None]) -> None:
    """Hand every recorded event to ``consumer`` after its transaction commits (once per consumer)."""
    if consumer not in _subscribers:
        _subscribers.append(consumer)


def subscribers() -> tuple[Callable[[AuditEvent], None], ...]:
    return tuple(_subscribers)


@contextlib.contextmanager
def side_effects_suppressed() -> Iterator[None]:
    """For bulk and historical loads (the replay): events are recorded, but nothing is published."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def publishing() -> bool:
    return not _suppressed.get()


def record(
    application: Application,
    actor: User | None,
    action: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    data: dict | None = None,
    changes: dict | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    """One event in the file; the states default to the application's (an act that keeps the state).

    Only what ``workflow`` declares can be recorded: every event in a file has its labels and knows what it owes.
    """
    if action not in workflow.BY_NAME:
        raise LookupError(f"{action!r} is not an action or event of applications.workflow")
    event = AuditEvent.objects.create(
        application=application,
        actor=actor if actor and actor.pk else None,
        actor_name=(actor.get_username() if actor and actor.pk else SYSTEM),
        action=action,
        from_state=application.state if from_state is None else from_state,
        to_state=application.state if to_state is None else to_state,
        reason=reason,
        data=jsonable(data or {}),
        changes=jsonable(changes or {}),
        at=at or timezone.now(),
    )
    event.owed_keys = _owe(event, waived=not publishing())
    if _subscribers and publishing():
        transaction.on_commit(lambda: _publish(event))
    return event


def _owe(event: AuditEvent, *, waived: bool = False) -> list[str]:
    """The outbox rows of what this event owes: its letter (which it announces), else its e-mail, or the e-mail
    that announces a message of the thread.

    A historical load (``side_effects_suppressed``) records them as waived: known, never sent.
    """
    declared = workflow.BY_NAME[event.action]
    rows = []
    spec = declared.letter(event) if declared.letter else None
    if spec is not None:
        payload = {"kind": str(spec.kind), "letter_key": spec.key, "decision": spec.decision_id}
        rows.append(Outbox(key=f"letter:{spec.key}", kind=Outbox.Kind.LETTER, payload=payload))
    elif declared.email:
        rows.append(Outbox(key=f"email:event:{event.pk}", kind=Outbox.Kind.EMAIL))
    elif declared.message:
        rows.append(Outbox(key=f"message:event:{event.pk}", kind=Outbox.Kind.MESSAGE))
    for row in rows:
        row.event, row.application_id = event, event.application_id
        row.created_at = row.next_attempt_at = event.at
        if waived:
            row.status = Outbox.Status.WAIVED
    # one key, one row: an event that owes what another already owes adds nothing
    Outbox.objects.bulk_create(rows, ignore_conflicts=True)
    return [] if waived else [row.key for row in rows]


def _publish(event: AuditEvent) -> None:
    for consumer in tuple(_subscribers):
        try:
            consumer(event)
        except Exception:  # one consumer's failure must not keep the event from the others
            logger.exception("consumer %s failed on audit event %s", getattr(consumer, "__name__", consumer), event.pk)


def jsonable(value):
    """Decimals as strings and dates in ISO form: what a JSON column keeps exactly."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


# What pseudonymising an event removes: the free text, an applicant's name, personal keys of its data.
PERSONAL_DATA_KEYS = ("reason", "participant", "note", "changed")
PERSONAL_CHANGE_KEYS = ("answers", "settlement_report")


def pseudonymise(application: Application) -> int:
    """After the retention term: the file's events keep what happened, when and by which role, not who or why.

    On PostgreSQL only the database function may do this (the trail's trigger refuses any other UPDATE);
    on SQLite, which has no such trigger, the same change is made here.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT open_subsidie_pseudonymise_events(%s)", [application.pk])
            return cursor.fetchone()[0]
    count = 0
    for event in AuditEvent.objects.filter(application=application).select_related("actor"):
        applicant = event.actor is not None and event.actor.is_applicant_side
        models.QuerySet.update(  # the trail's own queryset refuses updates; this one change is allowed
            AuditEvent.objects.filter(pk=event.pk),
            reason="[verwijderd]" if event.reason else "",
            actor_name="aanvrager" if applicant else event.actor_name,
            data={k: v for k, v in (event.data or {}).items() if k not in PERSONAL_DATA_KEYS},
            changes={k: v for k, v in (event.changes or {}).items() if k not in PERSONAL_CHANGE_KEYS},
        )
        count += 1
    return count
