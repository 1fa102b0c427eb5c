"""The audit trail's one door: ``record`` writes an event and publishes it after the commit.

Every act on an application is one append-only ``AuditEvent``, written in the
same transaction as the act itself (actor, from and to state, reason, data, and
the fields the act changed with their old and new values). What has to follow
an event — a letter, an e-mail — is not called from here: consumers
``subscribe`` (in ``AppConfig.ready``) and are handed each event once the
transaction has committed, never before, never for a rolled-back act.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import workflow
from .models import Application, AuditEvent, User

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
    if _subscribers and publishing():
        transaction.on_commit(lambda: _publish(event))
    return event


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
