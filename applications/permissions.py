"""Who may take a transition (permissions) and when it may be taken (conditions).

Permissions take ``(application, user)``; conditions take the application and
carry a ``message`` that explains a refusal in plain Dutch. This module sits
below the models (the models' state machine is built from these rules through
``workflow``): it reads other models through the app registry, never by import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schemes import assurance

from . import clocks
from .roles import APPROVER_ROLES, PAYMENT_ROLES, REVIEWING_ROLES, Role
from .states import SETTLEMENT_WAITING

if TYPE_CHECKING:
    from .models import Application, User


# --- who ------------------------------------------------------------------


def can_act_for_organisation(user: User, organisation_id: int, scheme_id: int, *, rules=None) -> bool:
    """An employer for its own organisation; an intermediary with an active mandate."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.APPLICANT:
        return user.organisation_id is not None and user.organisation_id == organisation_id
    if user.role == Role.INTERMEDIARY and user.organisation_id:
        if rules is not None and not rules.intermediaries_allowed:
            return False
        if represents(user) == organisation_id:
            return True  # an eHerkenning login under a machtiging of this organisation: no local mandate needed
        mandates = apps.get_model("applications", "Mandate").objects.active()
        return mandates.filter(
            principal_id=organisation_id, agent_id=user.organisation_id, schemes__id=scheme_id
        ).exists()
    return False


def represents(user: User) -> int | None:
    """The organisation this login acts for under an eHerkenning machtiging (ketenmachtiging), for the session
    only: ``identity.sessions.SignInMiddleware`` puts it on the user of the request."""
    return getattr(user, "represented_organisation_id", None)


def meets_assurance(user: User, scheme) -> bool:
    """The login's level of assurance is at least the scheme's. A user of a request without a session (an API
    token, issued by the agency) carries no level and is not judged here."""
    level = getattr(user, "assurance_level", None)
    return level is None or assurance.meets(level, scheme.assurance_level)


def assurance_refusal(user: User, scheme) -> str:
    return _(
        "Voor %(scheme)s moet u inloggen met eHerkenning op niveau %(required)s of hoger. U bent nu ingelogd "
        "%(current)s. Log uit en log opnieuw in met eHerkenning op niveau %(required)s."
    ) % {
        "scheme": scheme.name,
        "required": assurance.label(scheme.assurance_level),
        "current": _("op niveau %(level)s") % {"level": assurance.label(user.assurance_level)}
        if getattr(user, "assurance_level", "")
        else _("zonder eHerkenning"),
    }


def acts_for_applicant(application: Application, user: User) -> bool:
    opening = application.opening
    return can_act_for_organisation(user, application.organisation_id, opening.scheme_id, rules=opening.published_rules)


def can_view(application: Application, user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_applicant_side:
        return acts_for_applicant(application, user)
    if user.is_case_worker:
        return user.handles_scheme(application.opening.scheme_id)
    return False


def works_on(application: Application, user: User) -> bool:
    """Staff of the scheme: a reviewer, a senior reviewer, an administrator or the finance staff."""
    return (
        user.is_authenticated
        and user.is_active
        and user.is_case_worker
        and user.handles_scheme(application.opening.scheme_id)
    )


def reviews(application: Application, user: User) -> bool:
    """Who assesses and proposes: staff of the scheme, not the finance staff (separation of duties)."""
    return works_on(application, user) and user.role in REVIEWING_ROLES


def declaration(application: Application, user: User) -> bool | None:
    """This user's declaration on this case: False for no conflict, True for a conflict, None for none yet.

    Read from the case's prefetched assessments when a screen fetched them (no query per action), else asked.
    """
    prefetched = getattr(application, "_prefetched_objects_cache", {}).get("assessments")
    if prefetched is not None:
        mine = next((a for a in prefetched if a.reviewer_id == user.pk), None)
    else:
        mine = (
            application.assessments.filter(reviewer_id=user.pk)
            .only("conflict_declared", "no_conflict_declared_at")
            .first()
        )
    if mine is None:
        return None
    if mine.conflict_declared:
        return True
    return False if mine.no_conflict_declared_at is not None else None


def declared_no_conflict(application: Application, user: User) -> bool:
    """Every act of staff on a case waits for that user's declaration of no conflict of interest on it."""
    return declaration(application, user) is False


def approves_pending_decision(application: Application, user: User) -> bool:
    """Four eyes: a senior reviewer of the scheme who did not propose the decision."""
    if not reviews(application, user) or user.role not in APPROVER_ROLES:
        return False
    pending = application.pending_decision()
    # no pending decision is a matter of state (the condition answers 409), not of who
    if pending is not None and pending.proposed_by_id == user.pk:
        return False
    return pending is None or pending.kind not in ("grant", "rejection") or not involvement(application, user)


# --- Awb 7:5 and 10:3 lid 3: an objection is handled by someone not involved in the contested decision ---------


def contested_decision(application: Application):
    """The decision an objection contests while it is handled: the pending objection's; or, after an upheld
    objection reopened the case, the one decided again, until the new decision is taken (7:11)."""
    objections = application.objections.select_related("decision")
    pending = objections.filter(outcome="pending").first()
    if pending is not None:
        return pending.decision
    if application.state not in ("in_review", "supplement_requested", "decision_proposed"):
        return None
    last = objections.filter(decided_at__isnull=False).order_by("-decided_at", "-id").first()
    if last is None or last.outcome not in ("upheld", "partly_upheld") or last.decision is None:
        return None
    if application.decisions.filter(status="approved", approved_at__gt=last.decided_at).exists():
        return None  # decided again: the objection's handling is over
    return last.decision


def involvement(application: Application, user: User) -> str:
    """How this user took part in the contested decision: "proposed", "approved", or "" for not at all."""
    contested = contested_decision(application)
    if contested is None or user.pk is None:
        return ""
    if contested.proposed_by_id == user.pk:
        return "proposed"
    if contested.approved_by_id == user.pk:
        return "approved"
    return ""


def reviews_uninvolved(application: Application, user: User) -> bool:
    """A reviewer of the scheme who neither proposed nor approved the contested decision."""
    return reviews(application, user) and not involvement(application, user)


# --- separation of duties: whoever decided on the money does not pay it; a payment counts after a second person ---


def decided_on(application: Application, user: User) -> str:
    """How this user took part in a decision on this application: "proposed", "approved", or "" for not at all.

    Any decision counts (the grant, a settlement, a tranche, a revocation, and the decision on an objection): the
    money of a case is paid by someone who took none of its decisions.
    """
    if user.pk is None:
        return ""
    decisions = apps.get_model("applications", "Decision").objects.filter(application=application)
    if decisions.filter(proposed_by_id=user.pk).exists():
        return "proposed"
    if decisions.filter(approved_by_id=user.pk).exists():
        return "approved"
    objections = application.objections.all()
    if objections.filter(decided_by_id=user.pk).exists() or objections.filter(proposed_by_id=user.pk).exists():
        return "objection"
    return ""


def approves_objection_decision(application: Application, user: User) -> bool:
    """Four eyes on a decision on an objection: a senior reviewer of the scheme, not involved in the contested
    decision (7:5), who did not propose this decision on the objection."""
    if not reviews_uninvolved(application, user) or user.role not in APPROVER_ROLES:
        return False
    pending = application.objections.filter(outcome="pending").first()
    return pending is None or pending.proposed_by_id != user.pk


def handles_payments(application: Application, user: User) -> bool:
    """The finance staff of the scheme (or an administrator) who took no decision on this application."""
    return works_on(application, user) and user.role in PAYMENT_ROLES and not decided_on(application, user)


def recorded_payment_waiting(application: Application):
    """The oldest payment recorded and not yet confirmed, or None."""
    return application.payments.filter(status="recorded").order_by("recorded_at", "id").first()


def confirms_payment(application: Application, user: User) -> bool:
    """Four eyes on a payment: finance staff who took no decision here and did not record the waiting payment."""
    if not handles_payments(application, user):
        return False
    waiting = recorded_payment_waiting(application)
    return waiting is None or waiting.recorded_by_id != user.pk


def closes(application: Application, user: User) -> bool:
    """Closing a case whose money is settled: its reviewers, or the finance staff of the scheme."""
    return reviews(application, user) or (works_on(application, user) and user.role in PAYMENT_ROLES)


# --- when -----------------------------------------------------------------


def _now(application) -> timezone.datetime:
    """The moment of the action being judged: now, or the moment a replay acts at."""
    return getattr(application, "_action_now", None) or timezone.now()


def _today(application):
    return clocks.local_date(_now(application))


def condition(message):
    def wrap(fn):
        fn.message = message
        return fn

    return wrap


@condition(_("De openstelling is niet open: indienen kan alleen tijdens de openstelling."))
def opening_is_open(application: Application) -> bool:
    return application.opening.status_at(_now(application)) == "open"


@condition(
    _(
        "De termijn voor de aanvulling is nog niet verstreken, of de periode om buiten behandeling te stellen is voorbij."
    )
)
def supplement_term_passed(application: Application) -> bool:
    request = application.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    if request is None:
        return False
    today = _today(application)
    return request.due_date < today <= clocks.not_considered_deadline(request.due_date)


@condition(_("De termijn voor de aanvulling loopt nog: wacht op de aanvrager."))
def supplement_term_over(application: Application) -> bool:
    """The supplement's term passed unused: the reviewer may decide on the application as it is (also after 4:5's
    four weeks to declare it not considered)."""
    request = application.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    return request is not None and request.due_date < _today(application)


@condition(_("Er ligt geen voorgesteld besluit klaar."))
def has_pending_decision(application: Application) -> bool:
    return application.pending_decision() is not None


@condition(_("Er ligt al een voorgesteld besluit klaar."))
def no_pending_decision(application: Application) -> bool:
    return application.pending_decision() is None


@condition(
    _(
        "Bij een loting, tender of evenredige verdeling stelt u een verlening pas voor als de verdeling na het sluiten "
        "is uitgevoerd (voorgesteld en door een tweede behandelaar goedgekeurd) en deze aanvraag daarin budget kreeg."
    )
)
def allocated_if_drawn(application: Application) -> bool:
    """A window divided after its close (lottery, tender, pro rata): no grant before the run, nor beyond it."""
    opening = application.opening
    if opening.distribution == "fcfs":
        return True
    allocation = apps.get_model("applications", "Allocation")
    ran = allocation.objects.filter(opening_id=opening.pk, status="approved", day__isnull=True).exists()
    return ran and not application.over_ceiling


@condition(
    _(
        "Bij 'wie het eerst komt, het eerst maalt' stelt u een verlening pas voor als de dag waarop de aanvraag "
        "volledig werd, voorbij is en, als op die dag het plafond werd bereikt, de loting over die dag is gehouden: "
        "tot dan staat de plaats van de aanvraag niet vast."
    )
)
def day_drawn_if_fcfs(application: Application) -> bool:
    """First come, first served: the applications complete on the day the ceiling is crossed are ranked by lottery
    when that day ends, so none of them is granted before — not even one complete before the crossing, since
    until the day ends nobody knows whether it is that day. The completion day must have ended and, if it was the
    crossing day, been drawn."""
    opening = application.opening
    if opening.distribution != "fcfs" or application.complete_at is None:
        return True
    day = clocks.local_date(application.complete_at)
    if day >= _today(application):
        return False
    seed = apps.get_model("applications", "LotterySeed")
    return not seed.objects.filter(opening_id=opening.pk, day=day, revealed_at__isnull=True).exists()


@condition(_("Er staat geen voorschot open: het is al betaald, of deze regeling kent geen voorschot."))
def advance_due(application: Application) -> bool:
    return application.payments.filter(kind="advance", status="due").exists()


@condition(_("Deze regeling subsidieert geen trajecten: er is geen start van trajecten te melden."))
def per_unit_scheme(application: Application) -> bool:
    return application.opening.scheme.shape == "per_unit"


@condition(_("Er is geen vastgelegde betaling die op bevestiging wacht."))
def has_recorded_payment(application: Application) -> bool:
    return recorded_payment_waiting(application) is not None


@condition(_("Er staat geen betaling of terugvordering open om vast te leggen."))
def has_payment_due(application: Application) -> bool:
    return application.payments.filter(status="due").exists()


@condition(_("Intrekken of terugvorderen kan niet meer dan vijf jaar na de vaststelling."))
def within_recovery_horizon(application: Application) -> bool:
    if application.settled_at is None:
        return True
    return _today(application) <= clocks.recovery_horizon(clocks.local_date(application.settled_at))


@condition(_("Er is geen voorwaardelijke tranche die nu beoordeeld kan worden."))
def has_gated_tranche_due(application: Application) -> bool:
    today = _today(application)
    return application.tranches.filter(gated=True, status__in=["planned", "due"], review_date__lte=today).exists()


@condition(
    _("De aanvraag kan pas worden afgesloten als alles betaald of teruggevorderd is en de bezwaartermijn voorbij is.")
)
def can_close(application: Application) -> bool:
    if application.payments.exclude(status="paid").exists():  # due, or recorded and not yet confirmed
        return False
    if application.objections.filter(outcome="pending").exists():
        return False
    if application.objection_due and _today(application) <= application.objection_due:
        return False
    return True


@condition(_("De bezwaartermijn van zes weken is verstreken, of er loopt al een bezwaar."))
def objection_term_open(application: Application) -> bool:
    if application.objection_due is None or _today(application) > application.objection_due:
        return False
    return not application.objections.filter(outcome="pending").exists()


@condition(_("Er loopt geen bezwaar."))
def has_open_objection(application: Application) -> bool:
    return application.objections.filter(outcome="pending").exists()


@condition(_("Er ligt al een voorgestelde beslissing op het bezwaar klaar; een tweede behandelaar keurt haar goed."))
def no_objection_proposal(application: Application) -> bool:
    return not application.objections.filter(outcome="pending").exclude(proposed_outcome="").exists()


@condition(_("Er is nog geen beslissing op het bezwaar voorgesteld: eerst stelt een behandelaar haar voor."))
def has_objection_proposal(application: Application) -> bool:
    return application.objections.filter(outcome="pending").exclude(proposed_outcome="").exists()


# --- the terms of the law: postponement, default, penalty ------------------------------------


def running_term_due(application: Application):
    """The due date of the term that runs now: the settlement request's, else the application's."""
    if application.state in SETTLEMENT_WAITING:
        return application.settlement_decision_due
    return application.decision_due


@condition(_("Verdagen kan alleen binnen de beslistermijn (Awb 4:14): de uiterste beslisdatum is voorbij."))
def within_running_term(application: Application) -> bool:
    due = running_term_due(application)
    return due is not None and _today(application) <= due


@condition(
    _("Een ingebrekestelling vastleggen kan pas na de uiterste beslisdatum, en niet als er al een loopt (Awb 4:17).")
)
def term_passed_without_notice(application: Application) -> bool:
    due = running_term_due(application)
    if due is None or _today(application) <= due:
        return False
    return not application.default_notices.filter(ended_on__isnull=True).exists()


def penalty_to_fix(application: Application, today):
    """A notice whose penalty stopped (the decision was sent, or 42 days ran) and awaits its 4:18 decision."""
    for notice in application.default_notices.filter(fixed_on__isnull=True).order_by("id"):
        if notice.ended_on is not None:
            if notice.amount_owed:
                return notice
            continue  # decided within the two weeks: nothing owed
        if today > clocks.penalty_last_day(notice.received_on, notice.term_due, None):
            return notice
    return None


@condition(_("Er is geen verbeurde dwangsom om vast te stellen (Awb 4:18)."))
def has_penalty_to_fix(application: Application) -> bool:
    return penalty_to_fix(application, _today(application)) is not None


@condition(_("Er loopt al een bezwaar, of er is geen besluit waartegen bezwaar kan worden gemaakt."))
def objection_can_be_registered(application: Application) -> bool:
    if application.objection_due is None:
        return False
    return not application.objections.filter(outcome="pending").exists()


@condition(_("De beslissing op dit bezwaar is al verdaagd of naar een adviescommissie (Awb 7:10)."))
def objection_term_can_be_extended(application: Application) -> bool:
    return application.objections.filter(outcome="pending", postponed=False).exists()
