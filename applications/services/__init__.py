"""Every write on an application, behind one package: the doors (portal, review, API, admin, commands) call these.

- ``actions``: ``perform``, the one door for a transition of ``workflow.ACTIONS``, and ``available_actions``;
- ``drafts``: a new draft and the applicant's changes;
- ``intake``: submit, withdraw, review, supplements, not considered;
- ``decisions``: proposals and four-eyes approvals, revocation, tranches, objections;
- ``money``: commitment, payments, settlement, recovery;
- ``tranches``: a programme award's tranches;
- ``terms``: where the decision term starts, suspension (4:15), postponement (4:14), default and penalty (4:17, 4:18);
- ``casework``: conflict of interest, assessment, assignment, internal notes;
- ``hearing``: the letter of intent and the applicant's reply (Awb 4:7-4:12);
- ``messages``: the thread between staff and the applicant on an application;
- ``allocation``: dividing an opening's ceiling (Awb 4:25-4:27): the order and who gets what;
- ``draws``: runs of a distribution with four eyes, on a seed fixed before (``seeds``), previews on record, and the
  first come, first served day drawn when it ends;
- ``documents``: uploads judged on their content;
- ``accounts``: users and mandates.

Importing the package registers every action's handler.
"""

from ..errors import ActionError, Conflict, Forbidden, Invalid, Missing
from . import (
    allocation,
    casework,
    decisions,
    documents,
    draws,
    hearing,
    intake,
    messages,
    money,
    seeds,
    terms,
    tranches,
)
from .accounts import (
    add_enterprise_link,
    create_user,
    grant_mandate,
    issue_api_token,
    remove_enterprise_link,
    revoke_mandate,
    save_organisation,
)
from .actions import Context, available_actions, perform
from .casework import add_internal_note, assign, declare_conflict_of_interest, record_assessment, record_consensus_score
from .drafts import create_draft, next_reference, organisation_for, update_draft
from .intake import create_and_submit
from .money import approve_iban_change, confirm_payment, record_payment, settlement_amount

__all__ = [
    "ActionError",
    "Conflict",
    "Context",
    "Forbidden",
    "Invalid",
    "Missing",
    "add_enterprise_link",
    "add_internal_note",
    "allocation",
    "approve_iban_change",
    "assign",
    "available_actions",
    "casework",
    "confirm_payment",
    "create_and_submit",
    "create_draft",
    "create_user",
    "issue_api_token",
    "decisions",
    "declare_conflict_of_interest",
    "documents",
    "draws",
    "grant_mandate",
    "hearing",
    "messages",
    "intake",
    "money",
    "next_reference",
    "organisation_for",
    "perform",
    "record_assessment",
    "record_consensus_score",
    "record_payment",
    "remove_enterprise_link",
    "revoke_mandate",
    "save_organisation",
    "seeds",
    "settlement_amount",
    "terms",
    "tranches",
    "update_draft",
]
