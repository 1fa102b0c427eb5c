"""Mandates: an employer authorises an intermediary for chosen schemes and dates, and can revoke it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schemes.models import Scheme

from .. import clocks, services
from ..models import Mandate, Role
from .base import error_list, portal_user
from .forms import MandateForm


def mandate_status(mandate: Mandate, today) -> str:
    if mandate.revoked_at is not None:
        return _("ingetrokken")
    if today < mandate.valid_from:
        return _("nog niet geldig")
    if mandate.valid_until is not None and today > mandate.valid_until:
        return _("verlopen")
    return _("actief")


def _schemes_allowing_intermediaries():
    return Scheme.objects.filter(intermediaries_allowed=True).order_by("name")


@portal_user
def mandates(request):
    user = request.user
    organisation = user.organisation
    today = clocks.local_date()
    form = None
    if user.role == Role.APPLICANT:
        form = MandateForm(
            request.POST or None,
            schemes=_schemes_allowing_intermediaries(),
            initial={"valid_from": today},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.grant_mandate(
                    principal=organisation,
                    agent=form.agent,
                    schemes=form.cleaned_data["schemes"],
                    valid_from=form.cleaned_data["valid_from"],
                    valid_until=form.cleaned_data["valid_until"],
                    by=user,
                )
            except services.ActionError as exc:
                for key, messages_ in (exc.errors or {}).items():
                    for message in messages_:
                        form.add_error(key if key in form.fields else None, message)
                if not exc.errors:
                    form.add_error(None, exc.detail)
            else:
                messages.success(
                    request, _("%(name)s is gemachtigd om namens u aan te vragen.") % {"name": form.agent.name}
                )
                return redirect("portal:mandates")
    given = (
        Mandate.objects.filter(principal=organisation).select_related("agent").prefetch_related("schemes")
        if user.role == Role.APPLICANT
        else Mandate.objects.none()
    )
    received = (
        Mandate.objects.filter(agent=organisation).select_related("principal").prefetch_related("schemes")
        if user.role == Role.INTERMEDIARY
        else Mandate.objects.none()
    )
    return render(
        request,
        "portal/mandates.html",
        {
            "form": form,
            "errors": error_list(form) if form is not None else [],
            "given": [(m, mandate_status(m, today)) for m in given],
            "received": [(m, mandate_status(m, today)) for m in received],
            "is_intermediary": user.role == Role.INTERMEDIARY,
        },
    )


@portal_user
@require_POST
def revoke(request, pk):
    user = request.user
    if user.role != Role.APPLICANT:
        raise PermissionDenied(_("Alleen de werkgever die de machtiging gaf, kan haar intrekken."))
    mandate = get_object_or_404(Mandate.objects.filter(Q(principal_id=user.organisation_id)), pk=pk)
    services.revoke_mandate(mandate=mandate, by=user)
    messages.success(request, _("De machtiging van %(name)s is ingetrokken.") % {"name": mandate.agent.name})
    return redirect("portal:mandates")
