"""The states of an application, with their labels for staff and for applicants.

Declared once, as data, so that the portal, the reviewer screens, the API and
the reports all speak of a state in the same words.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("concept")
    SUBMITTED = "submitted", _("ingediend")
    IN_REVIEW = "in_review", _("in behandeling")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("aanvulling gevraagd")
    DECISION_PROPOSED = "decision_proposed", _("besluit voorgesteld")
    GRANTED = "granted", _("verleend")
    REJECTED = "rejected", _("afgewezen")
    NOT_CONSIDERED = "not_considered", _("buiten behandeling")
    WITHDRAWN = "withdrawn", _("ingetrokken")
    SETTLEMENT_REQUESTED = "settlement_requested", _("vaststelling aangevraagd")
    SETTLEMENT_PROPOSED = "settlement_proposed", _("vaststelling voorgesteld")
    SETTLED = "settled", _("vastgesteld")
    REVOKED = "revoked", _("verlening ingetrokken")
    CLOSED = "closed", _("afgesloten")


# What an applicant reads about each state: plain Dutch, what happens next.
PUBLIC_LABELS = {
    State.DRAFT: _("Concept: nog niet ingediend. U kunt verder gaan waar u was."),
    State.SUBMITTED: _("Ingediend: wij hebben uw aanvraag ontvangen en nemen haar in behandeling."),
    State.IN_REVIEW: _("In behandeling: een behandelaar beoordeelt uw aanvraag."),
    State.SUPPLEMENT_REQUESTED: _(
        "Aanvulling nodig: wij missen informatie. Vul uw aanvraag aan voor de termijn verloopt."
    ),
    State.DECISION_PROPOSED: _("In behandeling: het besluit wordt voorbereid."),
    State.GRANTED: _("Verleend: u krijgt subsidie. Vraag na afloop de vaststelling aan."),
    State.REJECTED: _("Afgewezen: u krijgt geen subsidie. U kunt bezwaar maken binnen de termijn."),
    State.NOT_CONSIDERED: _("Buiten behandeling: de aanvulling kwam niet op tijd."),
    State.WITHDRAWN: _("Ingetrokken: u heeft uw aanvraag ingetrokken."),
    State.SETTLEMENT_REQUESTED: _("Vaststelling aangevraagd: wij stellen het definitieve bedrag vast."),
    State.SETTLEMENT_PROPOSED: _("Vaststelling aangevraagd: het definitieve bedrag wordt gecontroleerd."),
    State.SETTLED: _("Vastgesteld: het definitieve bedrag staat vast."),
    State.REVOKED: _("Verlening ingetrokken: de subsidie is ingetrokken."),
    State.CLOSED: _("Afgesloten."),
}

# --- the sets of states, declared once: the workflow, the queues, the clocks and the reports use these ---

# Submitted and not yet decided: the application is ours to decide.
OPEN_STATES = (
    State.SUBMITTED,
    State.IN_REVIEW,
    State.SUPPLEMENT_REQUESTED,
    State.DECISION_PROPOSED,
)
# Waiting for the applicant: the decision clock is suspended (Awb 4:15), never overdue.
SUSPENDED_STATES = (State.SUPPLEMENT_REQUESTED,)
# Waiting for us: the decision clock runs.
WAITING_FOR_US = tuple(s for s in OPEN_STATES if s not in SUSPENDED_STATES)
# A settlement request waits for our decision: its term runs like the decision term (scheme's, or eight weeks).
SETTLEMENT_WAITING = (State.SETTLEMENT_REQUESTED, State.SETTLEMENT_PROPOSED)
# A term of ours runs: it can be postponed (Awb 4:14) and, once passed, the applicant may give notice of default (4:17).
TERM_RUNNING_STATES = (*WAITING_FOR_US, *SETTLEMENT_WAITING)
# Filed: every state but the draft (a penalty stays owed whatever happened to the application since).
FILED_STATES = tuple(s for s in State if s != State.DRAFT)
# The reviewers' work: open applications and settlements to determine.
WORK_STATES = (*OPEN_STATES, State.SETTLEMENT_REQUESTED, State.SETTLEMENT_PROPOSED)
# Granted, or later on the way to settlement: money is committed.
GRANTED_STATES = (
    State.GRANTED,
    State.SETTLEMENT_REQUESTED,
    State.SETTLEMENT_PROPOSED,
    State.SETTLED,
)
# Asking for or holding the scheme's money: counted against a limit per applicant (at most 6 trajecten per
# employer per opening), whichever application the units are in.
HOLDING_STATES = (*OPEN_STATES, *GRANTED_STATES)
# The outcomes of a first decision on an application.
FIRST_DECISION_STATES = (State.GRANTED, State.REJECTED, State.NOT_CONSIDERED)
DECIDED_STATES = (
    State.GRANTED,
    State.REJECTED,
    State.NOT_CONSIDERED,
    State.SETTLEMENT_REQUESTED,
    State.SETTLEMENT_PROPOSED,
    State.SETTLED,
    State.REVOKED,
    State.CLOSED,
)
# A grant whose tranches are paid out and which can still be revoked before settlement.
RELEASING_STATES = (State.GRANTED, State.SETTLEMENT_REQUESTED)
# After a decision open to objection (Awb 6:7).
OBJECTION_STATES = (State.GRANTED, State.REJECTED, State.NOT_CONSIDERED, State.SETTLED, State.REVOKED)
# Decisions that an upheld objection takes back: the application is assessed again (a revocation undone instead
# returns to the state before it; a settlement is fixed anew).
REOPENABLE_STATES = (State.REJECTED, State.NOT_CONSIDERED, State.GRANTED)
# Where a payment or a recovery can be due, recorded and confirmed: anywhere filed and not closed.
PAYMENT_STATES = tuple(s for s in FILED_STATES if s != State.CLOSED)
# Nothing more to decide: the file can be closed once paid and past the objection term.
CLOSABLE_STATES = (State.SETTLED, State.REJECTED, State.NOT_CONSIDERED, State.WITHDRAWN, State.REVOKED)
