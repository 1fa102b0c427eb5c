"""The reviewer workspace (/behandeling/): the queue, the case screen and its actions.

Thin views: reads through ``review_selectors``, every write through
``services`` (``perform`` for a transition), ``hearing``, ``notes``,
``letters`` or ``messages`` (its view in ``thread``). Only case workers (reviewers, senior reviewers, functional
administrators) get in; applicants, intermediaries and program managers are
refused with 403, and a case worker only sees the schemes of the team.
"""

from __future__ import annotations

import datetime
import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from stdnum import iban as iban_check

from schemes.formatting import euro

from .. import checks, clocks, letters, selectors, services, workflow
from ..criteria import checklist_for, criteria_for
from ..errors import ActionError
from ..models import Application, Document, Letter, Role, User
from ..reasons import REASON_CODES, SETTLEMENT_GROUNDS, revocation_grounds
from ..services import documents, hearing, tranches
from ..states import OPEN_STATES, State
from . import selectors as review_selectors
from .forms import (
    AssessmentForm,
    ConflictForm,
    ConsensusScoreForm,
    IntentForm,
    NoteForm,
    ReplyForm,
    action_data,
)
from .selectors import EXPIRED, SAMPLE_CHECK, TRANCHE_DUE, QueueFilters

REVIEW_ACTIONS = workflow.STAFF_ACTIONS


def case_worker_required(view):
    """Case workers only: anyone else logged in gets 403, an anonymous visitor the login page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_active or not user.is_case_worker:
            raise PermissionDenied(_("Deze pagina is alleen voor behandelaars."))
        return view(request, *args, **kwargs)

    return wrapper


def _case(request, reference: str) -> Application:
    application = review_selectors.reviewable(request.user).filter(reference=reference).first()
    if application is None:
        raise Http404(_("Er is geen aanvraag met dit kenmerk in uw regelingen."))
    return application


def _case_url(application: Application, anchor: str = "") -> str:
    url = reverse("review:case", args=[application.reference])
    return f"{url}#{anchor}" if anchor else url


def _flash_error(request, exc: ActionError) -> None:
    details = [exc.detail]
    for name, errors in (exc.errors or {}).items():
        details.append(f"{name}: {' '.join(str(e) for e in errors)}")
    messages.error(request, " ".join(details))


# --- the queue -----------------------------------------------------------------------------------


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def filters_from(params) -> QueueFilters:
    due = _int(params.get("due_within"))
    return QueueFilters(
        scheme=_int(params.get("scheme")),
        opening=_int(params.get("opening")),
        state=params.get("state", "")
        if params.get("state", "") in (*State.values, EXPIRED, TRANCHE_DUE, SAMPLE_CHECK)
        else "",
        assigned=params.get("assigned", "") if params.get("assigned") in ("me", "none") else "",
        overdue=params.get("overdue") == "1",
        due_within=due if due is not None and 0 <= due <= 366 else None,
        sort=params.get("sort", "decision_due") if params.get("sort") in review_selectors.SORTS else "decision_due",
        after=params.get("after", "")[:80],
    )


def due_label(app: Application) -> tuple[str, str]:
    """'nog 3 dagen' or '2 dagen te laat' while the decision clock runs; nothing once decided."""
    if app.state not in OPEN_STATES or app.days_left is None:
        return "", ""
    n = app.days_left
    if n < 0:
        return ngettext("%(n)s dag te laat", "%(n)s dagen te laat", -n) % {"n": -n}, "red"
    return ngettext("nog %(n)s dag", "nog %(n)s dagen", n) % {"n": n}, "amber" if n <= 7 else "green"


def count_label(count: int | None) -> str | None:
    """12, 1.234 or 10.000+ (counts are capped so the page stays fast at a million)."""
    if count is None:
        return None
    if count > review_selectors.COUNT_CAP:
        return f"{review_selectors.COUNT_CAP:,}+".replace(",", ".")
    return f"{count:,}".replace(",", ".")


STATE_TABS = [
    ("", gettext_lazy("Werkvoorraad")),
    (State.SUBMITTED, State.SUBMITTED.label),
    (State.IN_REVIEW, State.IN_REVIEW.label),
    (State.SUPPLEMENT_REQUESTED, State.SUPPLEMENT_REQUESTED.label),
    (EXPIRED, gettext_lazy("termijn verlopen")),
    (State.DECISION_PROPOSED, State.DECISION_PROPOSED.label),
    (State.SETTLEMENT_REQUESTED, State.SETTLEMENT_REQUESTED.label),
    (State.SETTLEMENT_PROPOSED, State.SETTLEMENT_PROPOSED.label),
    (TRANCHE_DUE, gettext_lazy("tranche te beoordelen")),
    (SAMPLE_CHECK, gettext_lazy("steekproef: te controleren")),
    (State.GRANTED, State.GRANTED.label),
    (State.REJECTED, State.REJECTED.label),
    (State.NOT_CONSIDERED, State.NOT_CONSIDERED.label),
    (State.WITHDRAWN, State.WITHDRAWN.label),
    (State.SETTLED, State.SETTLED.label),
    (State.REVOKED, State.REVOKED.label),
    (State.CLOSED, State.CLOSED.label),
]


@case_worker_required
def queue(request):
    """The queue of the reviewer's team, with filters, counts per state, and taking or assigning cases."""
    if request.method == "POST":
        return _assign(request)
    filters = filters_from(request.GET)
    page = review_selectors.queue(request.user, filters)
    params = {k: v for k, v in request.GET.items() if k != "after"}
    tabs = []
    for value, label in STATE_TABS:
        count = page.counts.get("work" if value == "" else value)
        tabs.append(
            {
                "value": value,
                "label": label,
                "count": count_label(count),
                "url": "?" + urlencode({**params, "state": value}),
                "current": filters.state == value,
            }
        )
    for app in page.rows:
        app.due_label, app.due_level = due_label(app)
    schemes = {}
    for opening in page.openings:
        schemes[opening.scheme_id] = opening.scheme
    context = {
        "page": page,
        "filters": filters,
        "tabs": tabs,
        "schemes": sorted(schemes.values(), key=lambda s: s.name),
        "openings": page.openings,
        "reviewers": review_selectors.reviewers_for(page.openings),
        "next_url": "?" + urlencode({**params, "after": page.next_cursor}) if page.next_cursor else "",
        "first_url": "?" + urlencode(params) if filters.after else "",
        "today": clocks.local_date(),
        "sorts": [("decision_due", _("uiterste beslisdatum")), ("queue", _("volgorde van binnenkomst"))],
    }
    return render(request, "review/queue.html", context)


def _assign(request):
    ids = [i for i in (_int(v) for v in request.POST.getlist("application")) if i]
    back = request.POST.get("next") or ""
    # only a page of this site: "//elders.example" or "https://elders.example" would leave it
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("review:queue")
    if not ids:
        messages.error(request, _("Kies eerst een of meer aanvragen."))
        return redirect(back)
    if request.POST.get("take"):
        reviewer = request.user
    else:
        reviewer = User.objects.filter(pk=_int(request.POST.get("reviewer")), is_active=True).first()
        if reviewer is None or not reviewer.is_case_worker:
            messages.error(request, _("Kies een behandelaar om aan toe te wijzen."))
            return redirect(back)
    applications = list(review_selectors.reviewable(request.user).filter(pk__in=ids))
    if len(applications) != len(set(ids)):
        raise PermissionDenied(_("Een of meer aanvragen horen niet bij uw regelingen."))
    try:
        count = services.assign(applications=applications, reviewer=reviewer, by=request.user)
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(back)
    messages.success(
        request,
        _("%(count)s aanvraag/aanvragen toegewezen aan %(name)s.")
        % {"count": count, "name": reviewer.get_full_name() or reviewer.username},
    )
    return redirect(back)


# --- the case screen ----------------------------------------------------------------------------


def _criteria_checks(app: Application, computation) -> list[dict]:
    """The scheme's limits on this application, each as passed or not, with the reason."""
    rules = app.opening.published_rules
    today = clocks.local_date()
    rows = []
    limits = checks.check_limits(app, on=today)
    refusals = [r.message for r in limits.refusals]
    rows.append(
        {
            "label": _("Bedrag en grenzen van de regeling"),
            "ok": computation.ok
            and not [r for r in limits.refusals if r.field not in ("opening", "de_minimis_declared")],
            "detail": " ".join(refusals) or "; ".join(computation.steps),
        }
    )
    if rules.one_per_window:
        others = list(checks.other_applications_in_window(app).values_list("reference", flat=True)[:5])
        rows.append(
            {
                "label": _("Eén aanvraag per openstelling"),
                "ok": not others,
                "detail": (_("Ook ingediend: %(refs)s") % {"refs": ", ".join(others)}) if others else _("Geen andere."),
            }
        )
    if rules.de_minimis:
        aid = checks.de_minimis(app, computation.amount, on=today)
        rows.append(
            {
                "label": _("De-minimis (€ 300.000 in drie jaar)"),
                "ok": aid.within_limit,
                "detail": _(
                    "hier verleend %(here)s + elders opgegeven %(declared)s + deze aanvraag %(this)s = %(total)s"
                )
                % {
                    "here": euro(aid.received_here),
                    "declared": euro(aid.declared),
                    "this": euro(computation.amount),
                    "total": euro(aid.total),
                }
                + (
                    " "
                    + _("(%(outside)s elders opgegeven is langer dan drie jaar geleden verleend en telt niet mee)")
                    % {"outside": euro(aid.declared_outside)}
                    if aid.declared_outside
                    else ""
                ),
            }
        )
    kvk = app.organisation.kvk or ""
    rows.append(
        {
            "label": _("KVK-nummer"),
            "ok": kvk.isdigit() and len(kvk) == 8,
            "detail": kvk or _("niet opgegeven"),
        }
    )
    account = app.organisation.iban or ""
    rows.append(
        {
            "label": _("IBAN"),
            "ok": bool(account) and iban_check.is_valid(account),
            "detail": iban_check.format(account)
            if account and iban_check.is_valid(account)
            else (account or _("niet opgegeven")),
        }
    )
    if rules.intermediaries_allowed is False and app.channel == "intermediary":
        rows.append({"label": _("Wie mag aanvragen"), "ok": False, "detail": _("Ingediend door een intermediair.")})
    return rows


def _state_label(value: str) -> str:
    return str(State(value).label) if value in State.values else value


def _event_row(event, *, declared: bool = True) -> dict:
    """One line of the file history; a colleague's assessment note only after one's own declaration."""
    reason = event.reason
    if event.action == "assess" and not declared:
        reason = _("(zichtbaar na uw verklaring over belangenverstrengeling)")
    return {
        "at": event.at,
        "actor": event.actor_name,
        "label": workflow.log_label(event.action),
        "change": ""
        if event.from_state == event.to_state
        else f"{_state_label(event.from_state) or '—'} → {_state_label(event.to_state)}",
        "reason": reason,
    }


@case_worker_required
def case(request, reference: str):
    application = _case(request, reference)
    app = review_selectors.case_file(application.pk)
    user = request.user
    rules = app.opening.published_rules
    computation = checks.compute_amount(app)
    available = [a for a in services.available_actions(app, user) if a in REVIEW_ACTIONS]
    pending = next((d for d in app.decisions.all() if d.status == "proposed"), None)
    own_proposal = pending is not None and pending.proposed_by_id == user.pk
    mine = next((a for a in app.assessments.all() if a.reviewer_id == user.pk), None)
    declared = mine is not None and mine.no_conflict_declared_at is not None and not mine.conflict_declared
    tender = app.opening.distribution == "tender"
    action_forms = [
        {"name": name, "label": workflow.action(name).button, "fields": workflow.action(name).fields}
        for name in available
    ]
    context = {
        "unavailable": _not_for_you(app, user, available) if declared else [],
        "waiting": _waiting_for_the_distribution(app, user, available) if declared else [],
        "app": app,
        # the KPIs a gate decision names (``tranches.kpi_values``), shown with the form
        "programme_kpis": tranches.defined_kpis(app) if "propose_tranche" in available else [],
        "rules": rules,
        "computation": computation,
        "criteria": _criteria_checks(app, computation),
        "deadlines": selectors.deadlines(app),
        "events": [_event_row(event, declared=declared) for event in app.events.order_by("at", "id")],
        "actions": action_forms,
        "pending": pending,
        "own_proposal": own_proposal,
        "assessment": mine,
        "declared": declared,
        "conflict_form": ConflictForm(),
        "assessment_form": AssessmentForm(shape=rules.shape, tender=tender, assessment=mine) if declared else None,
        "tender": tender,
        # the de-minimis aid declared elsewhere, each with the date it was granted
        "de_minimis_declarations": [
            {**row, "granted_on": datetime.date.fromisoformat(row["granted_on"])}
            for row in app.de_minimis_declarations or []
        ],
        # a tender ranked by the committee's consensus: its score, recorded by a case worker
        "consensus": tender and rules.tender_score == "consensus",
        "consensus_form": ConsensusScoreForm(initial={"score": app.consensus_score, "note": app.consensus_note})
        if declared and tender and rules.tender_score == "consensus"
        else None,
        "note_form": NoteForm(),
        "intent_form": IntentForm(),
        "reply_form": ReplyForm(),
        "last_intent": hearing.last_intent(app),
        "reason_codes": REASON_CODES,
        "revocation_grounds": {
            code: f"{article}: {text}" for code, (article, text) in revocation_grounds(app.state == "settled").items()
        },
        "settlement_grounds": {code: f"{article}: {text}" for code, (article, text) in SETTLEMENT_GROUNDS.items()},
        "letters": sorted(app.letters.all(), key=lambda letter: (letter.created_at, letter.pk)),
        # a colleague's checks and scores only after one's own declaration of no conflict
        "other_assessments": _colleagues(app, user, rules.shape) if declared else [],
        "colleagues_hidden": not declared and any(a.reviewer_id != user.pk for a in app.assessments.all()),
        "state_label": State(app.state).label,
        # the thread with the applicant: read by every case worker of the scheme, written after the declaration
        "thread": list(services.messages.thread(app, user)),
        "may_write": services.messages.may_write(app, user),
        "write_refusal": "" if declared else workflow.REVIEWER.refuse(app, user),
        "post_url": reverse("review:message", args=[app.reference]),
        "side": "staff",
    }
    return render(request, "review/case.html", context)


def _not_for_you(app: Application, user: User, available: list[str]) -> list[dict]:
    """The actions the case is ready for that someone else must take, each with why (four eyes, Awb 7:5)."""
    rows = []
    for name in REVIEW_ACTIONS:
        declared = workflow.action(name)
        if name in available or app.state not in declared.sources or declared.who(app, user):
            continue
        if declared.failed_condition(app) is None:
            rows.append({"label": declared.button, "reason": declared.refusal(app, user)})
    return rows


def _waiting_for_the_distribution(app: Application, user: User, available: list[str]) -> list[dict]:
    """The steps that are the user's but wait for the distribution (the run after the close, the day's draw),
    each with why: without it a reviewer would not know why "Verlening voorstellen" is missing."""
    rows = []
    for name in REVIEW_ACTIONS:
        declared = workflow.action(name)
        if name in available or app.state not in declared.sources or not declared.who(app, user):
            continue
        failed = declared.failed_condition(app)
        if failed in workflow.WAITING_FOR_THE_DISTRIBUTION:
            rows.append({"label": declared.button, "reason": str(failed.message)})
    return rows


def _colleagues(app: Application, user: User, shape: str) -> list[dict]:
    """The other reviewers' declarations, checks (with their labels) and justified scores."""
    checks_named, criteria_named = dict(checklist_for(shape)), dict(criteria_for(shape))
    return [
        {
            "reviewer": a.reviewer.get_username(),
            "conflict": a.conflict_declared,
            "declared_at": a.no_conflict_declared_at,
            "checks": [(checks_named.get(key, key), done) for key, done in a.checklist.items()],
            "scores": [
                (criteria_named.get(key, key), entry.get("score"), entry.get("justification", ""))
                for key, entry in a.scores.items()
            ],
            "score": a.score,
            "note": a.note,
        }
        for a in app.assessments.all()
        if a.reviewer_id != user.pk
    ]


@require_POST
@case_worker_required
def act(request, reference: str):
    """One door for every action on the case screen: ``services.perform`` decides, we show its answer."""
    application = _case(request, reference)
    action = request.POST.get("action", "")
    if action not in REVIEW_ACTIONS:
        messages.error(request, _("Onbekende actie."))
        return redirect(_case_url(application))
    version = _int(request.POST.get("version"))
    try:
        services.perform(application, action, request.user, action_data(action, request.POST), expected_version=version)
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(_case_url(application, "acties"))
    messages.success(request, _("Gedaan: %(action)s.") % {"action": workflow.action(action).button})
    return redirect(_case_url(application))


@require_POST
@case_worker_required
def conflict(request, reference: str):
    application = _case(request, reference)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Geef aan of u een belang heeft bij deze aanvrager."))
        return redirect(_case_url(application, "beoordeling"))
    try:
        services.declare_conflict_of_interest(
            application=application,
            user=request.user,
            conflict=form.cleaned_data["conflict"],
            note=form.cleaned_data["note"],
        )
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(_case_url(application, "beoordeling"))
    if form.cleaned_data["conflict"]:
        messages.info(request, _("U heeft belangenverstrengeling gemeld: een collega beoordeelt deze aanvraag."))
    else:
        messages.success(request, _("Verklaring vastgelegd: u kunt beoordelen."))
    return redirect(_case_url(application, "beoordeling"))


def _form_errors(form) -> str:
    """A form's field errors in one line for a flash message: "label: message; label: message"."""
    return "; ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items() if k in form.fields)


@require_POST
@case_worker_required
def assess(request, reference: str):
    application = _case(request, reference)
    rules = application.opening.published_rules
    tender = application.opening.distribution == "tender"
    form = AssessmentForm(request.POST, shape=rules.shape, tender=tender)
    if not form.is_valid():
        errors = _form_errors(form)
        messages.error(request, _("De beoordeling is niet compleet: %(errors)s") % {"errors": errors})
        return redirect(_case_url(application, "beoordeling"))
    try:
        services.record_assessment(
            application=application,
            user=request.user,
            checklist=form.checklist(),
            scores=form.scores(),
            note=form.cleaned_data["note"],
        )
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(_case_url(application, "beoordeling"))
    messages.success(request, _("Beoordeling opgeslagen."))
    return redirect(_case_url(application, "beoordeling"))


@require_POST
@case_worker_required
def consensus_score(request, reference: str):
    """The committee's consensus score of a tender application, recorded by one case worker of the scheme."""
    application = _case(request, reference)
    form = ConsensusScoreForm(request.POST)
    if not form.is_valid():
        errors = _form_errors(form)
        messages.error(request, _("De consensusscore is niet compleet: %(errors)s") % {"errors": errors})
        return redirect(_case_url(application, "beoordeling"))
    try:
        services.record_consensus_score(
            application=application,
            user=request.user,
            score=form.cleaned_data["score"],
            note=form.cleaned_data["note"],
        )
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(_case_url(application, "beoordeling"))
    messages.success(request, _("De consensusscore van de commissie is vastgelegd."))
    return redirect(_case_url(application, "beoordeling"))


@require_POST
@case_worker_required
def add_note(request, reference: str):
    application = _case(request, reference)
    try:
        services.add_internal_note(application=application, user=request.user, text=request.POST.get("text", ""))
    except ActionError as exc:
        _flash_error(request, exc)
    return redirect(_case_url(application, "notities"))


@require_POST
@case_worker_required
def intent(request, reference: str):
    application = _case(request, reference)
    form = IntentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vul de motivering en de termijn in."))
        return redirect(_case_url(application, "voornemen"))
    try:
        hearing.send_intent(
            application,
            request.user,
            form.cleaned_data["reason"],
            proposed=form.cleaned_data["proposed"],
            reason_code=form.cleaned_data["reason_code"],
            reply_days=form.cleaned_data["reply_days"],
        )
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(_case_url(application, "voornemen"))
    messages.success(request, _("Het voornemen is verstuurd; de brief wordt gemaakt."))
    return redirect(_case_url(application, "voornemen"))


@require_POST
@case_worker_required
def intent_reply(request, reference: str):
    application = _case(request, reference)
    try:
        hearing.record_intent_reply(application, request.user, request.POST.get("reply", ""))
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(_case_url(application, "voornemen"))
    messages.success(request, _("De zienswijze is vastgelegd in het dossier."))
    return redirect(_case_url(application, "voornemen"))


@require_POST
@case_worker_required
def letter_retry(request, reference: str, pk: int):
    application = _case(request, reference)
    letter = get_object_or_404(Letter, pk=pk, application=application)
    try:
        letters.retry(letter)
    except Exception as exc:  # the error is stored on the letter and shown on the case screen
        messages.error(request, _("De brief kon weer niet worden gemaakt: %(error)s") % {"error": exc})
    else:
        messages.success(request, _("De brief is gemaakt."))
    return redirect(_case_url(application, "brieven"))


@case_worker_required
def letter_download(request, reference: str, pk: int):
    application = _case(request, reference)
    letter = get_object_or_404(Letter, pk=pk, application=application, status=Letter.Status.RENDERED)
    return FileResponse(
        letter.file.open("rb"), content_type="application/pdf", filename=f"{letter.kind}-{reference}.pdf"
    )


@case_worker_required
def document_download(request, reference: str, pk: int):
    application = _case(request, reference)
    document = get_object_or_404(Document, pk=pk, application=application)
    return documents.download(document)


__all__ = ["Role", "datetime"]
