"""Who may take an action, and what a refused user reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .. import permissions as perms
from ..roles import APPROVER_ROLES, PAYMENT_ROLES


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


def _objection_four_eyes(application, user) -> str:
    if user.is_applicant_side or perms.involvement(application, user):
        return _involved(application, user)
    pending = application.objections.filter(outcome="pending").first()
    if pending is not None and pending.proposed_by_id == user.pk:
        return str(
            _(
                "Vier ogen: u heeft deze beslissing op het bezwaar zelf voorgesteld; een andere tweede behandelaar "
                "die niet bij het bestreden besluit betrokken was, keurt haar goed."
            )
        )
    return str(_("Alleen een tweede behandelaar van deze regeling mag een beslissing op bezwaar goedkeuren."))


def _payments(application, user) -> str:
    """Separation of duties: who decided on the money does not pay it; finance staff record and confirm payments."""
    if user.is_applicant_side:
        return _not_yours(application, user)
    taken = perms.decided_on(application, user) if user.pk else ""
    if taken == "proposed":
        return str(
            _(
                "Functiescheiding: u heeft een besluit over deze aanvraag voorgesteld. Wie over het geld besluit, "
                "betaalt het niet: een financieel medewerker legt de betaling vast en een tweede bevestigt haar."
            )
        )
    if taken == "approved":
        return str(
            _(
                "Functiescheiding: u heeft een besluit over deze aanvraag goedgekeurd. Wie over het geld besluit, "
                "betaalt het niet: een financieel medewerker legt de betaling vast en een tweede bevestigt haar."
            )
        )
    if taken == "objection":
        return str(
            _(
                "Functiescheiding: u heeft op een bezwaar bij deze aanvraag beslist. Wie over het geld besluit, "
                "betaalt het niet."
            )
        )
    if user.role not in PAYMENT_ROLES:
        return str(_("Betalingen legt een financieel medewerker van deze regeling vast, niet een behandelaar."))
    return _not_yours(application, user)


def _confirm(application, user) -> str:
    waiting = perms.recorded_payment_waiting(application)
    if perms.handles_payments(application, user) and waiting is not None and waiting.recorded_by_id == user.pk:
        return str(
            _(
                "Vier ogen: u heeft deze betaling zelf vastgelegd; een andere financieel medewerker bevestigt haar "
                "voordat zij als betaald telt."
            )
        )
    return _payments(application, user)


APPLICANT = Who(perms.acts_for_applicant, _not_for_you)
REVIEWER = Who(perms.reviews, _not_yours, declares=True)
APPROVER = Who(perms.approves_pending_decision, _four_eyes, declares=True)
PAYMENTS = Who(perms.handles_payments, _payments, declares=True)
CONFIRMS_PAYMENT = Who(perms.confirms_payment, _confirm, declares=True)
CLOSER = Who(perms.closes, _not_yours, declares=True)
# An objection, and the decision taken again after it is upheld, by someone not involved in the contested decision.
UNINVOLVED = Who(perms.reviews_uninvolved, _involved, declares=True)
OBJECTION_APPROVER = Who(perms.approves_objection_decision, _objection_four_eyes, declares=True)
