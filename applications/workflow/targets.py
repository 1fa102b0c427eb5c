"""Targets picked by a rule: where an action leads when the file decides (a decision's kind, an objection's
outcome), and the outcomes of an objection (Awb 7:11)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from ..states import (
    OBJECTION_STATES,
    REOPENABLE_STATES,
    State,
)


@dataclass(frozen=True)
class Rule:
    """A target that depends on the file: ``pick(application, data)`` names it, one of ``paths[source]``."""

    name: str
    pick: Callable
    paths: dict  # source state -> the states the rule may pick from there
    description: str = ""

    @property
    def possible(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for targets in self.paths.values() for t in targets))


def _stay(application, data) -> str:
    return application.state


def _by_pending_decision(application, data) -> str:
    """A grant grants, a rejection rejects, a revocation revokes; a tranche decision keeps the state."""
    decision = application.pending_decision()
    kind = decision.kind if decision is not None else ""
    if kind == "revocation" and decision.amount:  # a partial revocation changes the amount, the grant stands
        return application.state
    return {"grant": State.GRANTED, "rejection": State.REJECTED, "revocation": State.REVOKED}.get(
        kind, application.state
    )


def _before_the_proposal(application, data) -> str:
    """A returned grant or rejection goes back to the assessment; anything else to where it was proposed."""
    decision = application.pending_decision()
    if decision is None or decision.kind in ("grant", "rejection"):
        return State.IN_REVIEW
    return decision.data.get("from_state") or State.IN_REVIEW


# The outcomes of a decision on an objection (Awb 7:11; niet-ontvankelijk: 6:6, 6:11).
UPHELD, PARTLY_UPHELD, UNFOUNDED, INADMISSIBLE = "upheld", "partly_upheld", "unfounded", "inadmissible"
OBJECTION_OUTCOMES = {
    UPHELD: _("gegrond"),
    PARTLY_UPHELD: _("deels gegrond"),
    UNFOUNDED: _("ongegrond"),
    INADMISSIBLE: _("niet-ontvankelijk"),
}


def objection_outcome(data: dict) -> str | None:
    """The outcome asked for: ``outcome``, or the older ``upheld`` true/false; None if neither is given rightly."""
    outcome = data.get("outcome")
    if outcome in (None, "") and isinstance(data.get("upheld"), bool):
        return UPHELD if data["upheld"] else UNFOUNDED
    return outcome if isinstance(outcome, str) and outcome in OBJECTION_OUTCOMES else None


def state_before_revocation(application) -> str:
    """The state a grant was revoked from: an upheld objection against the revocation brings it back."""
    revocation = (
        application.decisions.filter(kind="revocation", status="approved").order_by("-approved_at", "-id").first()
    )
    if revocation is None:
        return State.GRANTED
    return (revocation.data or {}).get("from_state") or State.GRANTED


def _objection_outcome(application, data) -> str:
    """Upheld (wholly or partly): a revocation is undone, a rejection or grant is decided again; a settlement stays
    settled with a new amount; unfounded and inadmissible keep the state. The outcome is the one proposed (four
    eyes: proposed by one reviewer, approved by a second)."""
    pending = application.objections.filter(outcome="pending").select_related("decision").first()
    proposed = pending.proposed_outcome if pending is not None else ""
    if proposed not in (UPHELD, PARTLY_UPHELD):
        return application.state
    contested = pending.decision if pending is not None else None
    if contested is not None and (
        contested.kind in ("tranche_withhold", "tranche_reduce")
        or (contested.kind == "revocation" and contested.amount)
    ):
        return application.state  # the tranche is released (in full), the amount restored; the grant stands
    if application.state == State.REVOKED:
        return state_before_revocation(application)
    if application.state in REOPENABLE_STATES:
        return State.IN_REVIEW
    return application.state


def _staying(*states: str) -> dict:
    return {state: (state,) for state in states}


BY_DECISION = Rule(
    "naar het besluit",
    _by_pending_decision,
    {
        State.DECISION_PROPOSED: (State.GRANTED, State.REJECTED),
        State.GRANTED: (State.REVOKED, State.GRANTED),
        State.SETTLEMENT_REQUESTED: (State.REVOKED, State.SETTLEMENT_REQUESTED),
        State.SETTLED: (State.REVOKED, State.SETTLED),
    },
    _("verlening, afwijzing of intrekking; een tranchebesluit (vrijgeven, inhouden, verlagen) houdt de status"),
)
BACK = Rule(
    "terug",
    _before_the_proposal,
    {
        State.DECISION_PROPOSED: (State.IN_REVIEW,),
        State.SETTLEMENT_PROPOSED: (State.SETTLEMENT_REQUESTED, State.GRANTED),
        **_staying(State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED),
    },
    _("terug naar waar het besluit werd voorgesteld"),
)
OBJECTION_OUTCOME = Rule(
    "gegrond: herroepen",
    _objection_outcome,
    {
        **{state: (State.IN_REVIEW, state) for state in REOPENABLE_STATES},
        State.REVOKED: (State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED, State.REVOKED),
        **_staying(*(s for s in OBJECTION_STATES if s not in REOPENABLE_STATES and s != State.REVOKED)),
    },
    _(
        "gegrond tegen een intrekking: terug naar de status ervoor; tegen een afwijzing of verlening: opnieuw in "
        "behandeling; tegen een vaststelling: een nieuwe vaststelling; anders blijft de status"
    ),
)


def stays(*states: str) -> Rule:
    """The action keeps the state it is taken in (a proposal that waits, an objection lodged)."""
    return Rule("blijft", _stay, _staying(*states), _("de status blijft"))
