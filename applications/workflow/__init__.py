"""Every action on an application, declared once, as data.

An ``Action`` is a transition of the state machine: from which states, to which
state (or the named rule that picks it), who may take it (with the refusal a
user reads), when (conditions, each with its message), what staff and
applicants call it, the fields it asks for, and the letter and e-mail it owes.
An ``Event`` is something recorded in the file without a transition (an
assessment, a payment, a reminder): its labels and what it owes.

Everything reads this table: ``services.perform`` and ``available_actions``, the
portal's and the reviewer's buttons, forms and file histories, the API, the
letters and e-mails after an event, and the generated lifecycle diagram
(``manage.py lifecycle_diagram``). django-fsm enforces it underneath: the model
inherits one ``@transition`` per action from ``Transitions``.

Adding an action: one ``Action`` in ``table.py``, one handler in ``services`` registered
with ``@handles(name)``, tests.

The package: ``who`` (permissions and their refusals), ``targets`` (rules that pick a target, objection outcomes),
``declaration`` (``Action``, ``Event``, ``Field``, letters), ``table`` (``ACTIONS`` and ``EVENTS``); here the
lookups every door uses and django-fsm's ``Transitions``.
"""

from __future__ import annotations

from .declaration import Action, Event, Field, LetterKind, LetterSpec, decision_letter, letter
from .table import ACTIONS, EVENTS, WAITING_FOR_THE_DISTRIBUTION
from .targets import (
    INADMISSIBLE,
    OBJECTION_OUTCOMES,
    PARTLY_UPHELD,
    UNFOUNDED,
    UPHELD,
    Rule,
    objection_outcome,
    state_before_revocation,
    stays,
)
from .who import (
    APPLICANT,
    APPROVER,
    CLOSER,
    CONFIRMS_PAYMENT,
    OBJECTION_APPROVER,
    PAYMENTS,
    REVIEWER,
    UNINVOLVED,
    Who,
)

__all__ = [
    "ACTIONS",
    "APPLICANT",
    "APPROVER",
    "CLOSER",
    "CONFIRMS_PAYMENT",
    "EVENTS",
    "INADMISSIBLE",
    "OBJECTION_APPROVER",
    "OBJECTION_OUTCOMES",
    "PARTLY_UPHELD",
    "PAYMENTS",
    "REVIEWER",
    "UNFOUNDED",
    "UNINVOLVED",
    "UPHELD",
    "WAITING_FOR_THE_DISTRIBUTION",
    "Action",
    "Event",
    "Field",
    "LetterKind",
    "LetterSpec",
    "Rule",
    "Transitions",
    "Who",
    "decision_letter",
    "letter",
    "objection_outcome",
    "state_before_revocation",
    "stays",
]

BY_NAME: dict[str, Event] = {event.name: event for event in (*ACTIONS, *EVENTS)}
ACTION_NAMES: tuple[str, ...] = tuple(action.name for action in ACTIONS)
APPLICANT_ACTIONS: tuple[str, ...] = tuple(a.name for a in ACTIONS if a.by_applicant)
STAFF_ACTIONS: tuple[str, ...] = tuple(a.name for a in ACTIONS if not a.by_applicant)
# Applicant actions taken on a page of their own in the portal (submitting is the form's last step).
PORTAL_ACTIONS: tuple[str, ...] = tuple(name for name in APPLICANT_ACTIONS if name != "submit")


def action(name: str) -> Action | None:
    event = BY_NAME.get(name)
    return event if isinstance(event, Action) else None


def log_label(name: str) -> str:
    """What the staff's file history calls an event (the code itself if it is unknown)."""
    event = BY_NAME.get(name)
    return str(event.log) if event else name


def public_events() -> tuple[str, ...]:
    """The events an applicant sees in the file history."""
    return tuple(e.name for e in (*ACTIONS, *EVENTS) if e.public_log)


def letter_for(event_record) -> LetterSpec | None:
    """The letter an audit event owes, with the key that makes it unique; None for no letter."""
    declared = BY_NAME.get(event_record.action)
    if declared is None or declared.letter is None:
        return None
    return declared.letter(event_record)


def email_for(action_name: str) -> str | None:
    declared = BY_NAME.get(action_name)
    return str(declared.email) if declared is not None and declared.email else None


class Transitions:
    """django-fsm's enforcement of ``ACTIONS``: the application model inherits one transition per action."""


for _action in ACTIONS:
    setattr(Transitions, _action.name, _action.fsm_method())
