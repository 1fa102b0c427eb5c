"""The employer portal: "Mijn aanvragen", the organisation profile, one application and its documents and letters.

Thin views: what a user may see comes from ``selectors.visible_applications``,
every write goes through ``services`` (or ``documents`` for uploads), and the
amount shown while filling in is the published rules' own computation.
Every page works without JavaScript; a form that succeeds redirects (PRG).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schemes.models import Opening, Scheme

from .. import checks, clocks, eligibility, selectors, services, workflow
from ..models import Application, Document, EnterpriseLink, Letter, Role
from ..services import documents
from ..states import PUBLIC_LABELS, State
from . import thread
from .base import error_list, portal_user, visible_application
from .forms import (
    DashboardFilterForm,
    EnterpriseLinkForm,
    ProfileForm,
)

# --- what to show about an application -----------------------------------------------------------


def applicant_actions(application: Application, user) -> list[dict]:
    out = []
    for action in services.available_actions(application, user):
        if action not in workflow.APPLICANT_ACTIONS:
            continue
        if action == "submit":
            url = reverse("portal:step", args=[application.reference, "aanvrager"])
        else:
            url = reverse("portal:action", args=[application.reference, action])
        out.append({"name": action, "label": workflow.action(action).button, "url": url})
    return out


def rendered_letters(application: Application):
    return [letter for letter in application.letters.all() if letter.status == Letter.Status.RENDERED and letter.file]


# --- "Mijn aanvragen" ------------------------------------------------------------------------------


@portal_user
def home(request):
    user = request.user
    applications = (
        selectors.visible_applications(user)
        .select_related("opening__scheme", "organisation")
        .prefetch_related(Prefetch("letters", queryset=Letter.objects.order_by("created_at")))
        .order_by("-created_at")
    )
    mandates = []
    organisations = []
    if user.role == Role.INTERMEDIARY:
        mandates = list(selectors.active_mandates(user.organisation_id))
        seen = {}
        for mandate in mandates:
            seen.setdefault(mandate.principal.kvk, mandate.principal)
        organisations = sorted(seen.values(), key=lambda o: o.name)
    schemes = Scheme.objects.filter(openings__applications__in=applications).distinct().order_by("name")
    filters = DashboardFilterForm(
        request.GET or None, organisations=organisations, schemes=schemes, states=State.choices
    )
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        if data.get("organisation"):
            applications = applications.filter(organisation__kvk=data["organisation"])
        if data.get("scheme"):
            applications = applications.filter(opening__scheme__code=data["scheme"])
        if data.get("state"):
            applications = applications.filter(state=data["state"])
    page = Paginator(applications, 50).get_page(request.GET.get("pagina"))
    today = clocks.local_date()
    rows = [
        {
            "application": app,
            "label": PUBLIC_LABELS[app.state],
            "label_parts": str(PUBLIC_LABELS[app.state]).partition(": "),
            "deadline": selectors.next_deadline(app, today),
            "letters": rendered_letters(app),
            "actions": applicant_actions(app, user),
        }
        for app in page
    ]
    open_openings = [
        o
        for o in Opening.objects.select_related("scheme").order_by("closes_at")
        if o.status == Opening.Status.OPEN
        and (user.role != Role.INTERMEDIARY or o.published_rules.intermediaries_allowed)
    ]
    return render(
        request,
        "portal/home.html",
        {
            "rows": rows,
            "page": page,
            "filters": filters,
            "mandates": mandates,
            "open_openings": open_openings,
            "is_intermediary": user.role == Role.INTERMEDIARY,
            "profile_incomplete": not (user.organisation.iban and user.organisation.contact_email),
        },
    )


@portal_user
def profile(request):
    organisation = request.user.organisation
    form = ProfileForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        services.save_organisation(form.save(commit=False), user=request.user, source="portaal")
        messages.success(request, _("Het profiel van uw organisatie is opgeslagen."))
        return redirect(request.GET.get("next") if _safe_next(request) else "portal:profile")
    return _profile_page(request, organisation, form, EnterpriseLinkForm(prefix="link"))


def _profile_page(request, organisation, form, link_form):
    return render(
        request,
        "portal/profile.html",
        {
            "form": form,
            "link_form": link_form,
            "organisation": organisation,
            "links": organisation.links.all(),
            "sme": eligibility.sme_test(organisation),
            "errors": error_list(form) + error_list(link_form),
        },
    )


@portal_user
@require_POST
def profile_link(request):
    """Add a partner or linked enterprise, or remove one (``remove``: its id)."""
    organisation = request.user.organisation
    if organisation is None:
        raise Http404
    remove = request.POST.get("remove")
    if remove:
        link = organisation.links.filter(pk=remove if str(remove).isdigit() else None).first()
        if link is None:
            raise Http404
        services.remove_enterprise_link(link, user=request.user, source="portaal")
        messages.success(request, _("%(name)s is verwijderd.") % {"name": link.name})
        return redirect("portal:profile")
    link_form = EnterpriseLinkForm(request.POST, prefix="link", instance=EnterpriseLink(organisation=organisation))
    if not link_form.is_valid():
        return _profile_page(request, organisation, ProfileForm(instance=organisation), link_form)
    link = services.add_enterprise_link(link_form.save(commit=False), user=request.user, source="portaal")
    messages.success(request, _("%(name)s is toegevoegd.") % {"name": link.name})
    return redirect("portal:profile")


def _safe_next(request) -> bool:
    target = request.GET.get("next")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})


# --- one application ---------------------------------------------------------------------------------


@portal_user
def detail(request, reference):
    application = visible_application(request, reference)
    rules = application.opening.published_rules
    return render(
        request,
        "portal/detail.html",
        {
            "application": application,
            "rules": rules,
            "label": PUBLIC_LABELS[application.state],
            "deadline": selectors.next_deadline(application),
            "letters": rendered_letters(application),
            "actions": applicant_actions(application, request.user),
            "units": application.units.all(),
            "documents": application.documents.all(),
            "supplement_requests": application.supplement_requests.all(),
            "objections": application.objections.all(),
            "computation": checks.compute_amount(application),
            "label_parts": str(PUBLIC_LABELS[application.state]).partition(": "),
            "events": [
                {
                    "at": event.at,
                    "label": workflow.BY_NAME[event.action].public_log,
                    "state": State(event.to_state).label,
                }
                for event in application.events.filter(action__in=workflow.public_events())
                if event.to_state in State.values
            ],
            **thread.context(application, request.user),
        },
    )


@portal_user
def document_download(request, reference, pk):
    application = visible_application(request, reference)
    document = get_object_or_404(Document, pk=pk, application=application)
    return documents.download(document)


@portal_user
def letter_download(request, reference, pk):
    application = visible_application(request, reference)
    letter = get_object_or_404(Letter, pk=pk, application=application, status=Letter.Status.RENDERED)
    if not letter.file:
        raise Http404(_("Deze brief is nog niet klaar."))
    response = FileResponse(
        letter.file.open("rb"),
        as_attachment=True,
        filename=f"{letter.kind}-{application.reference}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
