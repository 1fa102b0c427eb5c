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

Adding an action: one ``Action`` here, one handler in ``services`` registered
with ``@handles(name)``, tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, transition

from . import permissions as perms
from .roles import APPROVER_ROLES
from .states import (
    CLOSABLE_STATES,
    FILED_STATES,
    OBJECTION_STATES,
    OPEN_STATES,
    REOPENABLE_STATES,
    TERM_RUNNING_STATES,
    State,
)


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


# --- who may act, and what a refused user reads -------------------------------------------


@dataclass(frozen=True)
class Who:
    """A permission ``(application, user) -> bool`` and the refusal that explains it.

    ``declares``: the act is staff's, on one case, and waits for that user's declaration of no conflict
    of interest on that case (Awb 2:4); a declared conflict blocks every such act. This is the one
    place the rule lives: ``perform``, ``available_actions``, the buttons and the API all ask ``Who``.
    """

    test: Callable
    refusal: Callable  # (application, user) -> str
    declares: bool = False

    def __call__(self, application, user) -> bool:
        if not self.test(application, user):
            return False
        return not self.declares or perms.declared_no_conflict(application, user)

    def refuse(self, application, user) -> str:
        """What a refused user reads: who may act, else what their declaration lacks."""
        if self.declares and self.test(application, user):
            return _declaration_missing(application, user)
        return self.refusal(application, user)


def _not_yours(application, user) -> str:
    if user.is_applicant_side:
        return str(_("Deze actie is voorbehouden aan de behandelaar."))
    return str(_("U mag deze actie niet uitvoeren."))


def _not_for_you(application, user) -> str:
    if user.is_applicant_side:
        return str(_("U mag niet namens deze organisatie handelen."))
    return str(_("U mag deze actie niet uitvoeren."))


def _declaration_missing(application, user) -> str:
    if perms.declaration(application, user) is True:
        return str(
            _(
                "U heeft belangenverstrengeling gemeld bij deze aanvraag: u handelt er niet op. "
                "Een collega neemt het over."
            )
        )
    return str(_("Verklaar eerst dat u geen belangenverstrengeling heeft met deze aanvrager."))


def _involved(application, user) -> str:
    """Awb 7:5 (hearing) and 10:3 lid 3 (deciding): not by whoever prepared or took the contested decision."""
    involvement = perms.involvement(application, user) if not user.is_applicant_side else ""
    if involvement == "proposed":
        return str(
            _(
                "U heeft het besluit voorgesteld waartegen bezwaar is gemaakt. Een behandelaar die niet bij dat "
                "besluit betrokken was, hoort de bezwaarmaker en beslist op het bezwaar (artikel 7:5 en 10:3, "
                "derde lid, Awb)."
            )
        )
    if involvement == "approved":
        return str(
            _(
                "U heeft het besluit goedgekeurd waartegen bezwaar is gemaakt. Een behandelaar die niet bij dat "
                "besluit betrokken was, hoort de bezwaarmaker en beslist op het bezwaar (artikel 7:5 en 10:3, "
                "derde lid, Awb)."
            )
        )
    return _not_yours(application, user)


def _four_eyes(application, user) -> str:
    if user.is_applicant_side:
        return _not_yours(application, user)
    pending = application.pending_decision()
    redecision = pending is not None and pending.kind in ("grant", "rejection") and pending.proposed_by_id != user.pk
    if redecision and user.role in APPROVER_ROLES and perms.involvement(application, user):
        return _involved(application, user)  # the decision taken again after an objection: not theirs (7:5)
    if pending is not None and pending.proposed_by_id == user.pk:
        return str(_("Vier ogen: u heeft dit besluit zelf voorgesteld; een andere behandelaar moet het goedkeuren."))
    return str(_("Alleen een tweede behandelaar van deze regeling mag een besluit goedkeuren."))


APPLICANT = Who(perms.acts_for_applicant, _not_for_you)
REVIEWER = Who(perms.reviews, _not_yours, declares=True)
APPROVER = Who(perms.approves_pending_decision, _four_eyes, declares=True)
PAYMENTS = Who(perms.handles_payments, _not_yours, declares=True)
# An objection, and the decision taken again after it is upheld, by someone not involved in the contested decision.
UNINVOLVED = Who(perms.reviews_uninvolved, _involved, declares=True)


# --- targets picked by a rule ---------------------------------------------------------------


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
    settled with a new amount; unfounded and inadmissible keep the state."""
    if objection_outcome(data) not in (UPHELD, PARTLY_UPHELD):
        return application.state
    pending = application.objections.filter(outcome="pending").select_related("decision").first()
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


# --- the actions ---------------------------------------------------------------------------------

_NOTE = Field("note", _("Toelichting"), "textarea")

ACTIONS: tuple[Action, ...] = (
    Action(
        "submit",
        log=_("ingediend"),
        public_log=_("Ingediend"),
        letter=letter(LetterKind.RECEIPT, "receipt:application:{application}"),
        email=_("Wij hebben uw aanvraag {reference} ontvangen."),
        sources=(State.DRAFT,),
        target=State.SUBMITTED,
        who=APPLICANT,
        when=(perms.opening_is_open,),
        button=_("Verder invullen en indienen"),
        by_applicant=True,
    ),
    Action(
        "withdraw",
        log=_("ingetrokken door de aanvrager"),
        public_log=_("Ingetrokken"),
        sources=OPEN_STATES,
        target=State.WITHDRAWN,
        who=APPLICANT,
        button=_("Aanvraag intrekken"),
        by_applicant=True,
        fields=(Field("reason", _("Waarom trekt u de aanvraag in?"), "textarea", max_length=2000),),
        done=_("Uw aanvraag is ingetrokken."),
    ),
    Action(
        "start_review",
        log=_("In behandeling nemen"),
        public_log=_("In behandeling genomen"),
        sources=(State.SUBMITTED,),
        target=State.IN_REVIEW,
        who=REVIEWER,
        button=_("In behandeling nemen"),
    ),
    Action(
        "request_supplement",
        log=_("Om aanvulling vragen"),
        public_log=_("Aanvulling gevraagd"),
        letter=letter(LetterKind.SUPPLEMENT_REQUEST, "supplement_request:supplement:{supplement_request}"),
        email=_("Wij missen informatie bij uw aanvraag {reference}."),
        sources=(State.IN_REVIEW,),
        target=State.SUPPLEMENT_REQUESTED,
        who=REVIEWER,
        button=_("Om aanvulling vragen"),
        fields=(
            Field("reason", _("Wat ontbreekt er?"), "textarea", required=True),
            Field("due_days", _("Termijn (dagen)"), "number"),
        ),
    ),
    Action(
        "supplement",
        log=_("aangevuld"),
        public_log=_("Aanvulling ontvangen"),
        sources=(State.SUPPLEMENT_REQUESTED,),
        target=State.IN_REVIEW,
        who=APPLICANT,
        button=_("Aanvulling sturen"),
        by_applicant=True,
        fields=(
            Field("note", _("Toelichting bij uw aanvulling"), "textarea", required=True, max_length=5000),
            Field("file", _("Document (niet verplicht)"), "file", help=_("PDF, PNG of JPEG, ten hoogste 10 MB.")),
        ),
        upload_kind="supplement",
        done=_("Uw aanvulling is ontvangen; de behandeling gaat verder."),
    ),
    Action(
        "declare_not_considered",
        log=_("Buiten behandeling stellen"),
        public_log=_("Buiten behandeling gesteld"),
        letter=letter(LetterKind.NOT_CONSIDERED, "not_considered:event:{event}"),
        email=_("Uw aanvraag {reference} is buiten behandeling gesteld."),
        sources=(State.SUPPLEMENT_REQUESTED,),
        target=State.NOT_CONSIDERED,
        who=REVIEWER,
        when=(perms.supplement_term_passed,),
        button=_("Buiten behandeling stellen"),
    ),
    Action(
        "resume_review",
        log=_("Verder beoordelen zonder de aanvulling"),
        public_log=_("Verder in behandeling zonder de aanvulling"),
        sources=(State.SUPPLEMENT_REQUESTED,),
        target=State.IN_REVIEW,
        who=REVIEWER,
        when=(perms.supplement_term_over,),
        button=_("Verder beoordelen zonder de aanvulling"),
        fields=(
            Field(
                "note",
                _("Toelichting"),
                "textarea",
                help=_("De aanvulling kwam niet op tijd; u beslist op de aanvraag zoals zij is."),
            ),
        ),
    ),
    Action(
        "propose_grant",
        log=_("Verlening voorstellen"),
        sources=(State.IN_REVIEW,),
        target=State.DECISION_PROPOSED,
        who=UNINVOLVED,
        button=_("Verlening voorstellen"),
        fields=(
            Field("amount", _("Bedrag (leeg: het berekende bedrag)"), "money"),
            _NOTE,
            Field(
                "hardship",
                _("Hardheidsclausule: waarom wijkt u in dit geval af van een regel?"),
                "textarea",
                max_length=5000,
                help=_(
                    "Alleen als de aanvraag een regel van de regeling niet haalt en toepassing ervan in dit geval "
                    "onbillijk is; een tweede behandelaar keurt het goed, de brief noemt de afwijking."
                ),
            ),
        ),
    ),
    Action(
        "propose_rejection",
        log=_("Afwijzing voorstellen"),
        sources=(State.IN_REVIEW,),
        target=State.DECISION_PROPOSED,
        who=UNINVOLVED,
        button=_("Afwijzing voorstellen"),
        fields=(Field("reason_code", _("Reden van afwijzing"), "reason", required=True), _NOTE),
    ),
    Action(
        "approve_decision",
        log=_("Besluit goedkeuren (tweede behandelaar)"),
        public_log=_("Besluit genomen"),
        letter=decision_letter,
        email=_("Er is een besluit over uw aanvraag {reference}."),
        sources=(State.DECISION_PROPOSED, State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED),
        target=BY_DECISION,
        who=APPROVER,
        when=(perms.has_pending_decision,),
        button=_("Besluit goedkeuren (tweede behandelaar)"),
    ),
    Action(
        "return_decision",
        log=_("Besluit terugsturen"),
        sources=(
            State.DECISION_PROPOSED,
            State.GRANTED,
            State.SETTLEMENT_REQUESTED,
            State.SETTLED,
            State.SETTLEMENT_PROPOSED,
        ),
        target=BACK,
        who=APPROVER,
        when=(perms.has_pending_decision,),
        button=_("Besluit terugsturen"),
        fields=(Field("note", _("Waarom terug?"), "textarea", required=True),),
    ),
    Action(
        "pay_advance",
        log=_("Voorschot betaald"),
        public_log=_("Voorschot betaald"),
        sources=(State.GRANTED,),
        target=State.GRANTED,
        who=PAYMENTS,
        when=(perms.advance_due,),
        button=_("Voorschot betaald"),
    ),
    Action(
        "request_settlement",
        log=_("vaststelling aangevraagd"),
        public_log=_("Afronding gemeld, vaststelling aangevraagd"),
        sources=(State.GRANTED,),
        target=State.SETTLEMENT_REQUESTED,
        who=APPLICANT,
        button=_("Afronding melden (vaststelling aanvragen)"),
        by_applicant=True,
        fields=(
            Field("units_completed", _("Afgeronde trajecten"), "units", shapes=("per_unit",)),
            Field(
                "actual_costs",
                _("Werkelijke subsidiabele kosten"),
                "money",
                required=True,
                shapes=("share_of_costs", "programme"),
            ),
            Field(
                "report",
                _("Verslag"),
                "textarea",
                help=_("Kort: wat is er gedaan en wat heeft het opgeleverd."),
            ),
        ),
        upload_kind="certificate",
        done=_("Uw melding van afronding is ontvangen; wij stellen de subsidie vast."),
    ),
    Action(
        "propose_settlement",
        log=_("Vaststelling voorstellen"),
        sources=(State.SETTLEMENT_REQUESTED, State.GRANTED),
        target=State.SETTLEMENT_PROPOSED,
        who=REVIEWER,
        button=_("Vaststelling voorstellen"),
        fields=(
            Field("amount", _("Bedrag (leeg: het berekende bedrag)"), "money"),
            Field(
                "ground",
                _("Grond bij een lagere vaststelling"),
                "settlement_ground",
                help=_("Artikel 4:46, tweede lid, Awb; leeg bij een lager berekend bedrag: onder a."),
            ),
            _NOTE,
        ),
        system=True,
    ),
    Action(
        "approve_settlement",
        log=_("Vaststelling goedkeuren (tweede behandelaar)"),
        public_log=_("Subsidie vastgesteld"),
        letter=decision_letter,
        email=_("De subsidie voor {reference} is vastgesteld."),
        sources=(State.SETTLEMENT_PROPOSED,),
        target=State.SETTLED,
        who=APPROVER,
        when=(perms.has_pending_decision,),
        button=_("Vaststelling goedkeuren (tweede behandelaar)"),
    ),
    Action(
        "revoke",
        log=_("Intrekking voorstellen"),
        sources=(State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED),
        target=stays(State.GRANTED, State.SETTLEMENT_REQUESTED, State.SETTLED),
        who=REVIEWER,
        when=(perms.no_pending_decision, perms.within_recovery_horizon),
        button=_("Intrekking voorstellen"),
        fields=(
            Field(
                "ground",
                _("Grond"),
                "ground",
                required=True,
                help=_("Vóór de vaststelling artikel 4:48, erna artikel 4:49 Awb."),
            ),
            Field(
                "amount",
                _("Nieuw bedrag (leeg: geheel intrekken)"),
                "money",
                help=_("Een wijziging: het bedrag waarop de verlening of vaststelling komt."),
            ),
            Field("reason", _("Toelichting"), "textarea", required=True),
        ),
    ),
    Action(
        "propose_tranche",
        log=_("Besluit over tranche voorstellen"),
        sources=(State.GRANTED,),
        target=State.GRANTED,
        who=REVIEWER,
        when=(perms.no_pending_decision, perms.has_gated_tranche_due),
        button=_("Besluit over tranche voorstellen"),
        fields=(
            Field("tranche", _("Tranche (nummer)"), "number", required=True),
            Field("release", _("Besluit"), "release", required=True),
            Field(
                "amount",
                _("Lager bedrag vrijgeven (verlaging; leeg: de hele tranche)"),
                "money",
                help=_(
                    "Alleen bij vrijgeven: meer dan € 0 en minder dan de tranche. Het verschil houdt u in; "
                    "dat is een besluit met een brief en een bezwaartermijn. Geef de redenen in de toelichting."
                ),
            ),
            Field("kpi_values", _("KPI-waarden (één per regel: code=waarde)"), "kpis", required=True),
            Field("note", _("Toelichting (bij inhouden of verlagen: de redenen voor de brief)"), "textarea"),
        ),
    ),
    Action(
        "close",
        log=_("Afsluiten"),
        public_log=_("Afgesloten"),
        sources=CLOSABLE_STATES,
        target=State.CLOSED,
        who=PAYMENTS,
        when=(perms.can_close,),
        button=_("Afsluiten"),
    ),
    Action(
        "lodge_objection",
        log=_("bezwaar gemaakt"),
        public_log=_("Bezwaar ingediend"),
        sources=OBJECTION_STATES,
        target=stays(*OBJECTION_STATES),
        who=APPLICANT,
        when=(perms.objection_term_open,),
        button=_("Bezwaar maken"),
        by_applicant=True,
        fields=(
            Field(
                "reason",
                _("Waarom bent u het niet eens met het besluit?"),
                "textarea",
                required=True,
                help=_("Schrijf de gronden van uw bezwaar op: wat is volgens u onjuist, en waarom."),
            ),
        ),
        done=_("Uw bezwaar is ontvangen."),
    ),
    Action(
        "decide_objection",
        log=_("Beslissen op bezwaar"),
        public_log=_("Beslissing op bezwaar genomen"),
        letter=letter(LetterKind.OBJECTION_DECISION, "objection_decision:objection:{objection}"),
        email=_("Er is een beslissing op uw bezwaar over {reference}."),
        sources=OBJECTION_STATES,
        target=OBJECTION_OUTCOME,
        who=UNINVOLVED,
        when=(perms.has_open_objection,),
        button=_("Beslissen op bezwaar"),
        fields=(
            Field("outcome", _("Beslissing op het bezwaar"), "outcome", required=True),
            Field(
                "amount",
                _("Nieuw vastgesteld bedrag"),
                "money",
                help=_("Bij een gegrond of deels gegrond bezwaar tegen een vaststelling."),
            ),
            Field("note", _("Motivering"), "textarea", required=True),
        ),
    ),
    Action(
        "postpone_decision",
        log=_("Beslistermijn verdagen"),
        public_log=_("Beslistermijn verdaagd"),
        letter=letter(LetterKind.POSTPONEMENT, "postponement:event:{event}"),
        email=_("Wij hebben meer tijd nodig om te beslissen over {reference}."),
        sources=TERM_RUNNING_STATES,
        target=stays(*TERM_RUNNING_STATES),
        who=REVIEWER,
        when=(perms.within_running_term,),
        button=_("Beslistermijn verdagen"),
        fields=(
            Field("new_due", _("Nieuwe uiterste beslisdatum"), "date", required=True, help=_("JJJJ-MM-DD")),
            Field(
                "reason",
                _("Waarom is meer tijd nodig?"),
                "textarea",
                required=True,
                help=_("Deze reden staat in de brief aan de aanvrager (Awb 4:14, derde lid)."),
            ),
        ),
    ),
    Action(
        "register_default_notice",
        log=_("Ingebrekestelling vastleggen"),
        public_log=_("Ingebrekestelling ontvangen"),
        sources=TERM_RUNNING_STATES,
        target=stays(*TERM_RUNNING_STATES),
        who=REVIEWER,
        when=(perms.term_passed_without_notice,),
        button=_("Ingebrekestelling vastleggen"),
        fields=(
            Field("received_on", _("Ontvangen op"), "date", required=True, help=_("JJJJ-MM-DD")),
            Field("note", _("Toelichting"), "textarea"),
        ),
    ),
    Action(
        "fix_penalty",
        log=_("Dwangsom vaststellen (Awb 4:18)"),
        public_log=_("Besluit over de dwangsom"),
        letter=letter(LetterKind.PENALTY, "penalty:notice:{notice}"),
        email=_("Er is een besluit over de dwangsom bij {reference}."),
        sources=FILED_STATES,
        target=stays(*FILED_STATES),
        who=REVIEWER,
        when=(perms.has_penalty_to_fix,),
        button=_("Dwangsom vaststellen (Awb 4:18)"),
        fields=(_NOTE,),
    ),
    Action(
        "register_objection",
        log=_("Bezwaar op papier vastleggen"),
        public_log=_("Bezwaar ontvangen"),
        sources=OBJECTION_STATES,
        target=stays(*OBJECTION_STATES),
        who=REVIEWER,
        when=(perms.objection_can_be_registered,),
        button=_("Bezwaar op papier vastleggen"),
        fields=(
            Field("received_on", _("Ontvangen op"), "date", required=True, help=_("JJJJ-MM-DD")),
            Field("postmarked_on", _("Datum poststempel"), "date", help=_("Awb 6:9: op tijd gepost telt")),
            Field("reason", _("Gronden van het bezwaar"), "textarea", required=True),
        ),
    ),
    Action(
        "record_objection_hearing",
        log=_("Horen vastleggen (Awb 7:2)"),
        public_log=_("Hoorzitting vastgelegd"),
        sources=OBJECTION_STATES,
        target=stays(*OBJECTION_STATES),
        who=UNINVOLVED,
        when=(perms.has_open_objection,),
        button=_("Horen vastleggen (Awb 7:2)"),
        fields=(
            Field("held_on", _("Hoorzitting gehouden op"), "date", help=_("JJJJ-MM-DD")),
            Field("waived", _("Of: afgezien van horen, omdat"), "textarea", help=_("Awb 7:3")),
        ),
    ),
    Action(
        "extend_objection_term",
        log=_("Beslistermijn bezwaar verlengen (Awb 7:10)"),
        public_log=_("Beslistermijn bezwaar verlengd"),
        email=_("De beslissing op uw bezwaar over {reference} komt later."),
        sources=OBJECTION_STATES,
        target=stays(*OBJECTION_STATES),
        who=REVIEWER,
        when=(perms.objection_term_can_be_extended,),
        button=_("Beslistermijn bezwaar verlengen"),
        fields=(
            Field("extension", _("Verlenging"), "extension", required=True),
            Field("reason", _("Reden"), "textarea", required=True),
        ),
    ),
)

# Acts recorded in the file that do not change the state.
EVENTS: tuple[Event, ...] = (
    Event("create", _("concept aangemaakt"), _("Concept aangemaakt")),
    Event("assign", _("toegewezen")),
    Event("declare_no_conflict", _("geen belangenverstrengeling verklaard")),
    Event("declare_conflict", _("belangenverstrengeling gemeld")),
    Event("assess", _("beoordeling vastgelegd")),
    Event("allocate", _("verdeling")),
    Event("reserved_in_turn", _("aan de beurt: budget gereserveerd"), _("Aan de beurt: er is budget voor uw aanvraag")),
    Event("record_payment", _("betaling vastgelegd"), _("Betaling verwerkt")),
    Event("send_intent", _("voornemen verstuurd"), letter=letter(LetterKind.INTENT, "intent:event:{event}")),
    Event("intent_reply", _("zienswijze vastgelegd")),
    Event("supplement_term_expired", _("aanvullingstermijn verstreken")),
    Event("settlement_reminder", _("herinnering vaststelling verstuurd")),
    Event("tranche_due", _("tranche te beoordelen")),
    Event("release_tranche", _("tranche vrijgegeven")),
    Event("message_to_applicant", _("bericht aan de aanvrager"), message="applicant"),
    Event("message_from_applicant", _("bericht van de aanvrager"), message="staff"),
)

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
