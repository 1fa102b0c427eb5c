"""The shapes of the declaration: an ``Event`` recorded in the file, an ``Action`` that moves the state machine,
the ``Field``s an action asks for and the letter (``LetterKind``, ``LetterSpec``) an event owes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, transition

from .targets import Rule
from .who import REVIEWER, Who


class LetterKind(models.TextChoices):
    RECEIPT = "receipt", _("ontvangstbevestiging")
    SUPPLEMENT_REQUEST = "supplement_request", _("verzoek om aanvulling")
    GRANT = "grant", _("verleningsbeschikking")
    REJECTION = "rejection", _("afwijzing")
    NOT_CONSIDERED = "not_considered", _("buitenbehandelingstelling")
    INTENT = "intent", _("voornemen tot negatief besluit")
    SETTLEMENT = "settlement", _("vaststellingsbeschikking")
    REVOCATION = "revocation", _("intrekking")
    OBJECTION_DECISION = "objection_decision", _("beslissing op bezwaar")
    POSTPONEMENT = "postponement", _("verdaging van de beslistermijn")
    PENALTY = "penalty", _("beschikking dwangsom")
    TRANCHE_WITHHELD = "tranche_withheld", _("besluit inhouding tranche")
    TRANCHE_REDUCED = "tranche_reduced", _("besluit verlaging tranche")


# --- what an action asks for ------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One input of an action; ``kind`` tells the screens how to ask for it."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, number, money, date, reason, ground, settlement_ground, release, outcome,
    # extension, kpis, file, units
    required: bool = False
    help: str = ""
    max_length: int = 10000
    shapes: tuple[str, ...] = ()  # only for these financial shapes; empty: all


# --- what an event owes after the commit -------------------------------------------------------


@dataclass(frozen=True)
class LetterSpec:
    kind: str
    key: str
    decision_id: int | None = None


def letter(kind: str, key: str) -> Callable:
    """A letter of one kind; ``key`` is formatted with the event (``{application}``, ``{event}``, data keys)."""

    def spec(event) -> LetterSpec:
        values = {name: value for name, value in (event.data or {}).items() if name.isidentifier()}
        for name in ("supplement_request", "objection", "notice"):  # the record the letter is about, else the event
            if values.get(name) in (None, ""):
                values[name] = f"event{event.pk}"
        values.update(application=event.application_id, event=event.pk)
        return LetterSpec(kind, key.format(**values))

    spec.kind = kind
    return spec


_DECISION_LETTERS = {
    "tranche_withhold": LetterKind.TRANCHE_WITHHELD,
    "tranche_reduce": LetterKind.TRANCHE_REDUCED,
    "grant": LetterKind.GRANT,
    "rejection": LetterKind.REJECTION,
    "revocation": LetterKind.REVOCATION,
    "settlement": LetterKind.SETTLEMENT,
}


def decision_letter(event) -> LetterSpec | None:
    """The beschikking of the approved decision; a withheld or reduced tranche is one too, a released tranche is
    paid."""
    decision = event.application.decisions.filter(pk=(event.data or {}).get("decision")).first()
    kind = _DECISION_LETTERS.get(decision.kind) if decision is not None else None
    if kind is None:
        return None
    return LetterSpec(kind, f"{kind}:decision:{decision.pk}", decision.pk)


decision_letter.kind = "grant, rejection, revocation, settlement, tranche_withheld, tranche_reduced"


@dataclass(frozen=True)
class Event:
    """Something recorded in an application's file, and what it owes the applicant."""

    name: str
    log: str  # the staff's file history
    public_log: str | None = None  # the applicant's file history; None: internal
    letter: Callable | None = None  # event -> LetterSpec | None
    email: str | None = None  # the announcement when no letter is sent; ``{reference}``
    message: str = ""  # a message of the thread: its e-mail (a link, never the text) goes to "applicant" or "staff"


@dataclass(frozen=True)
class Action(Event):
    """A transition of the state machine, with everything every screen needs to offer it."""

    sources: tuple[str, ...] = ()
    target: str | Rule = ""
    who: Who = REVIEWER
    when: tuple[Callable, ...] = ()
    button: str = ""  # what the button says, for whoever takes the action
    by_applicant: bool = False
    fields: tuple[Field, ...] = ()
    done: str = ""  # the confirmation the applicant reads
    intro: str = ""  # what the applicant's page explains before the form
    upload_kind: str = ""  # a document kind the action's form accepts
    system: bool = field(default=False)  # also taken by the system (clocks), without a user

    def target_for(self, application, data: dict) -> str:
        if isinstance(self.target, Rule):
            return self.target.pick(application, data)
        return self.target

    def paths(self) -> list[tuple[str, str]]:
        """Every (from, to) this action can take: the lifecycle diagram draws these."""
        if isinstance(self.target, Rule):
            return [(source, target) for source in self.sources for target in self.target.paths[source]]
        return [(source, self.target) for source in self.sources]

    @property
    def targets(self) -> tuple[str, ...]:
        return self.target.possible if isinstance(self.target, Rule) else (self.target,)

    def refusal(self, application, user) -> str:
        return self.who.refuse(application, user)

    def failed_condition(self, application):
        """The first condition that does not hold now, or None."""
        return next((condition for condition in self.when if not condition(application)), None)

    def fsm_method(self):
        """The django-fsm transition that enforces this action's sources, target, permission and conditions."""
        if isinstance(self.target, Rule):

            def method(instance, target: str) -> str:
                return target

            target = RETURN_VALUE(*self.target.possible)
        else:

            def method(instance) -> None:
                return None

            target = self.target
        method.__name__ = method.__qualname__ = self.name
        method.__doc__ = f"{self.log} (see workflow.ACTIONS)."
        return transition(
            field="state", source=list(self.sources), target=target, permission=self.who, conditions=list(self.when)
        )(method)
