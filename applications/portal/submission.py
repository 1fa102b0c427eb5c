"""Starting an application (for one's own organisation, or a mandating one) and submitting it, with its receipt."""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schemes.models import Opening

from .. import checks, selectors, services
from .. import permissions as perms
from ..models import Application, Letter, Organisation, Role
from ..states import State
from .base import error_list, portal_user, visible_application
from .forms import (
    StartForm,
)
from .steps import StepPage, draft_for, step_summary

# --- starting ---------------------------------------------------------------------------------------


def _mandating_employers(user, opening: Opening):
    """The employers with a mandate for this scheme, and the one an eHerkenning machtiging represents."""
    employers = {
        m.principal.kvk: m.principal
        for m in selectors.active_mandates(user.organisation_id)
        if any(s.pk == opening.scheme_id for s in m.schemes.all())
    }
    represented = Organisation.objects.filter(pk=perms.represents(user)).first() if perms.represents(user) else None
    if represented is not None:
        employers[represented.kvk] = represented
    return sorted(employers.values(), key=lambda o: o.name)


@portal_user
def start(request, code):
    opening = get_object_or_404(Opening.objects.select_related("scheme"), code=code)
    user = request.user
    rules = opening.published_rules
    refusal = None
    if opening.status != Opening.Status.OPEN:
        refusal = _("Deze openstelling is niet open; u kunt nu niet aanvragen.")
    elif user.role == Role.INTERMEDIARY and not rules.intermediaries_allowed:
        refusal = _("Bij deze regeling kunnen intermediairs niet namens werkgevers aanvragen.")
    elif not perms.meets_assurance(user, opening.scheme):
        refusal = perms.assurance_refusal(user, opening.scheme)
    employers = _mandating_employers(user, opening) if user.role == Role.INTERMEDIARY else None
    if employers == [] and refusal is None:
        refusal = _("Geen enkele werkgever heeft u voor deze regeling gemachtigd.")
    # The limits per applicant bite here, before the first step: the same count as submission.
    remaining = None
    room = []
    if employers is None:
        remaining = checks.remaining_for(user.organisation, opening)
        if refusal is None and not remaining.may_apply:
            refusal = remaining.refusal
    elif refusal is None:
        room = [(employer, checks.remaining_for(employer, opening)) for employer in employers]
    drafts = (
        selectors.visible_applications(user)
        .filter(opening=opening, state=State.DRAFT)
        .select_related("organisation")
        .order_by("id")
    )
    if request.method == "POST" and refusal is None:
        form = StartForm(request.POST, employers=employers)
        if form.is_valid():
            try:
                application = services.create_draft(
                    user=user,
                    opening=opening,
                    organisation_kvk=form.cleaned_data.get("organisation") or None,
                    idempotency_key=form.cleaned_data["token"],
                )
            except services.ActionError as exc:
                form.add_error("organisation" if "organisation" in form.fields else None, exc.detail)
            else:
                return redirect("portal:step", reference=application.reference, step="aanvrager")
    else:
        form = StartForm(initial={"token": uuid.uuid4().hex}, employers=employers)
    return render(
        request,
        "portal/start.html",
        {
            "opening": opening,
            "scheme": opening.scheme,
            "rules": rules.explain(),
            "form": form,
            "refusal": refusal,
            "remaining": remaining,
            "room": room,
            "drafts": drafts,
            "errors": error_list(form),
        },
    )


# --- submitting and the receipt ---------------------------------------------------------------------


@portal_user
@require_POST
def submit(request, reference):
    application = draft_for(request, reference)
    if application.state != State.DRAFT:
        return redirect("portal:receipt", reference=application.reference)  # a second click: the receipt again
    try:
        services.perform(application, "submit", request.user)
    except services.ActionError as exc:
        application.refresh_from_db()
        if application.state != State.DRAFT:
            return redirect("portal:receipt", reference=application.reference)
        page = StepPage(request, application, "overzicht")
        return step_summary(page, status=exc.status, extra={"submit_error": exc.detail})
    return redirect("portal:receipt", reference=application.reference)


def receipt_letter(application: Application) -> Letter | None:
    return (
        application.letters.filter(kind="receipt", status=Letter.Status.RENDERED)
        .exclude(file="")
        .order_by("id")
        .first()
    )


@portal_user
def receipt(request, reference):
    application = visible_application(request, reference)
    if application.state == State.DRAFT:
        return redirect("portal:step", reference=application.reference, step="overzicht")
    return render(
        request,
        "portal/receipt.html",
        {
            "application": application,
            "letter": receipt_letter(application),
            "deadline": selectors.next_deadline(application),
        },
    )
