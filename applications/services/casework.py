"""The reviewers' casework that is not a transition: conflict of interest, assessment, assignment, notes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, workflow
from .. import permissions as perms
from ..criteria import checklist_for, criteria_for
from ..errors import Forbidden, Invalid
from ..models import Application, Assessment, InternalNote, User
from ..roles import Role
from . import inputs


@transaction.atomic
def declare_conflict_of_interest(
    *, application: Application, user: User, conflict: bool, note: str = "", now: datetime.datetime | None = None
) -> Assessment:
    """A reviewer declares (no) conflict of interest with the applicant before assessing (``now``: a historical moment)."""
    moment = now or timezone.now()
    if not perms.works_on(application, user):
        raise Forbidden(_("Alleen een behandelaar van deze regeling kan beoordelen."))
    if not isinstance(conflict, bool):
        raise Invalid(
            _("Geef aan of u een belang heeft (conflict: true of false)."), {"conflict": [_("true of false.")]}
        )
    note = inputs.text({"note": note}, "note", max_length=5000)
    assessment, created = Assessment.objects.select_for_update().get_or_create(application=application, reviewer=user)
    before = None if created else _declared_as(assessment)
    assessment.conflict_declared = conflict
    assessment.no_conflict_declared_at = None if conflict else moment
    assessment.note = note or assessment.note
    assessment.updated_at = moment
    assessment.save()
    audit.record(
        application,
        user,
        "declare_conflict" if conflict else "declare_no_conflict",
        reason=note,
        data={"replaces": before} if before else {},
        changes={"declaration": [before, _declared_as(assessment)]},
        at=moment,
    )
    assessment.replaced = not created
    return assessment


def _declared_as(assessment: Assessment) -> str | None:
    if assessment.conflict_declared:
        return "conflict"
    return "no_conflict" if assessment.no_conflict_declared_at is not None else None


@transaction.atomic
def record_assessment(
    *,
    application: Application,
    user: User,
    checklist: dict | None = None,
    scores: dict | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Assessment:
    moment = now or timezone.now()
    if not perms.reviews(application, user):
        raise Forbidden(_("Alleen een behandelaar van deze regeling kan beoordelen."))
    if not workflow.REVIEWER(application, user):
        raise Forbidden(workflow.REVIEWER.refuse(application, user))
    assessment = Assessment.objects.select_for_update().get(application=application, reviewer=user)
    if checklist is not None:
        assessment.checklist = _checklist(application, checklist)
    if scores is not None:
        clean = _scores(application, scores)
        assessment.scores = clean
        if clean:
            assessment.score = (sum(Decimal(v["score"]) for v in clean.values()) / len(clean)).quantize(Decimal("0.01"))
    assessment.note = inputs.text({"note": note}, "note", max_length=5000) or assessment.note
    assessment.updated_at = moment
    assessment.save()
    audit.record(
        application,
        user,
        "assess",
        reason=note,
        data={"checklist": assessment.checklist, "score": assessment.score},
        at=moment,
    )
    return assessment


@transaction.atomic
def record_consensus_score(
    *, application: Application, user: User, score, note: str = "", now: datetime.datetime | None = None
) -> Application:
    """The score the tender's committee agreed on, recorded by one case worker of the scheme (no four eyes: it
    records the committee's verdict, it decides nothing). Only where the scheme ranks by consensus."""
    moment = now or timezone.now()
    if not perms.reviews(application, user):
        raise Forbidden(_("Alleen een behandelaar van deze regeling legt de score van de commissie vast."))
    if not workflow.REVIEWER(application, user):
        raise Forbidden(workflow.REVIEWER.refuse(application, user))
    if application.opening.distribution != "tender" or application.opening.published_rules.tender_score != "consensus":
        message = _("Deze openstelling rangschikt niet op een consensusscore van de commissie.")
        raise Invalid(message, {"score": [message]})
    try:
        value = Decimal(str(score).strip().replace(",", "."))
    except (ArithmeticError, ValueError):
        raise Invalid(_("Een score is een getal."), {"score": [_("Een getal.")]}) from None
    if not value.is_finite() or not Decimal("0") <= value <= Decimal("10"):
        raise Invalid(_("Een score ligt tussen 0 en 10."), {"score": [_("0 tot 10.")]})
    note = inputs.text({"note": note}, "note", max_length=5000)
    if not note:
        message = _("Onderbouw de consensusscore: wat de commissie besprak en waarom zij tot deze score kwam.")
        raise Invalid(message, {"note": [message]})
    locked = Application.objects.select_for_update().get(pk=application.pk)
    before = locked.consensus_score
    locked.consensus_score = value.quantize(Decimal("0.01"))
    locked.consensus_note = note
    locked.consensus_by = user
    locked.consensus_at = moment
    locked.save(update_fields=["consensus_score", "consensus_note", "consensus_by", "consensus_at", "version"])
    audit.record(
        locked,
        user,
        "record_consensus_score",
        reason=note,
        data={"score": locked.consensus_score},
        changes={"consensus_score": [before, locked.consensus_score]},
        at=moment,
    )
    return locked


def _checklist(application: Application, checklist) -> dict:
    """The checks of the scheme's shape, each done or not; an unknown check is refused."""
    known = dict(checklist_for(application.opening.published_rules.shape))
    if not isinstance(checklist, dict):
        raise Invalid(_("De checklist is een object: per controle true of false."), {"checklist": [_("Een object.")]})
    unknown = sorted(set(checklist) - set(known))
    if unknown:
        message = _("Deze controles kent de regeling niet: %(keys)s.") % {"keys": ", ".join(map(str, unknown))}
        raise Invalid(message, {"checklist": [_("Een van: %(keys)s.") % {"keys": ", ".join(known)}]})
    if not all(isinstance(value, bool) for value in checklist.values()):
        raise Invalid(_("Elke controle is true of false."), {"checklist": [_("true of false.")]})
    return {key: bool(checklist.get(key, False)) for key in known}


def _scores(application: Application, scores) -> dict:
    """A tender's score per criterion, 0 to 10, each with its justification; every criterion, no other."""
    if application.opening.distribution != "tender":
        raise Invalid(_("Alleen een tender wordt gescoord."), {"scores": [_("Deze openstelling kent geen scores.")]})
    criteria = dict(criteria_for(application.opening.published_rules.shape))
    if not isinstance(scores, dict) or set(scores) != set(criteria):
        raise Invalid(
            _("Geef een score voor elk criterium: %(keys)s.") % {"keys": ", ".join(criteria)},
            {"scores": [_("Een object met een score per criterium.")]},
        )
    clean = {}
    for criterion, entry in scores.items():
        value = entry.get("score") if isinstance(entry, dict) else entry
        try:
            value = Decimal(str(value))
        except (ArithmeticError, ValueError):
            raise Invalid(_("Een score is een getal."), {f"scores.{criterion}": [_("Een getal.")]}) from None
        if not value.is_finite() or not Decimal("0") <= value <= Decimal("10"):
            raise Invalid(_("Een score ligt tussen 0 en 10."), {f"scores.{criterion}": [_("0 tot 10.")]})
        justification = entry.get("justification", "") if isinstance(entry, dict) else ""
        justification = inputs.text({"j": justification}, "j", max_length=5000)
        if not justification:
            raise Invalid(
                _("Onderbouw elke score."), {f"scores.{criterion}.justification": [_("Dit veld is verplicht.")]}
            )
        clean[criterion] = {"score": str(value), "justification": justification}
    return clean


@transaction.atomic
def assign(*, applications, reviewer: User, by: User) -> int:
    """Give applications to a case worker of their scheme. Finance staff pay what others decided: they are not
    assigned cases, nor assign them (separation of duties); the screen and the admin ask this too."""
    if reviewer.role == Role.FINANCE:
        raise Forbidden(
            _(
                "Een financieel medewerker behandelt geen aanvragen (functiescheiding): wijs de aanvraag toe aan een "
                "behandelaar van de regeling."
            )
        )
    if by.role == Role.FINANCE:
        raise Forbidden(_("Een financieel medewerker wijst geen aanvragen toe (functiescheiding)."))
    count = 0
    for app in Application.objects.select_for_update().filter(pk__in=[a.pk for a in applications]):
        if not perms.reviews(app, by) or not perms.reviews(app, reviewer):
            raise Forbidden(_("U kunt alleen aanvragen van uw eigen regelingen toewijzen aan een behandelaar ervan."))
        app.assigned_to = reviewer
        app.save(update_fields=["assigned_to", "version"])
        audit.record(app, by, "assign", data={"assigned_to": reviewer.get_username()})
        count += 1
    return count


@transaction.atomic
def add_internal_note(*, application: Application, user: User, text: str) -> InternalNote:
    if not perms.reviews(application, user):
        raise Forbidden(_("Alleen behandelaars van deze regeling kunnen notities maken."))
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Schrijf een notitie."), {"text": [_("Dit veld is verplicht.")]})
    return InternalNote.objects.create(
        application=application, author=user, text=text[:5000], created_at=timezone.now()
    )
