"""Bulk upload for intermediaries: a file of many applications, checked whole, then submitted together."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schemes.models import Opening

from .. import checks, clocks
from ..models import BulkUpload, Role
from ..states import PUBLIC_LABELS, State
from . import bulk
from .base import error_list, portal_user
from .forms import BulkUploadForm


def _intermediary(request):
    if request.user.role != Role.INTERMEDIARY:
        raise PermissionDenied(_("Alleen een intermediair kan een bestand met aanvragen uploaden."))


def _openings():
    return [
        o
        for o in Opening.objects.select_related("scheme").order_by("closes_at")
        if o.status == Opening.Status.OPEN and o.published_rules.intermediaries_allowed
    ]


@portal_user
def upload(request):
    _intermediary(request)
    openings = _openings()
    form = BulkUploadForm(request.POST or None, request.FILES or None, openings=openings)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        outcome = bulk.import_file(user=request.user, opening=form.cleaned_data["opening"], upload=file)
        if outcome.duplicate:
            messages.info(request, _("Dit bestand heeft u al eerder geüpload; hier zijn de concepten ervan."))
        elif outcome.ok:
            messages.success(
                request,
                _("Alle rijen zijn goed: %(n)s concepten aangemaakt. Controleer ze en dien ze samen in.")
                % {"n": outcome.upload.applications.count()},
            )
        else:
            messages.error(
                request, _("Het bestand is afgekeurd; er is niets aangemaakt. Herstel de fouten en upload opnieuw.")
            )
        return redirect("portal:bulk-detail", pk=outcome.upload.pk)
    uploads = BulkUpload.objects.filter(uploaded_by__organisation_id=request.user.organisation_id).select_related(
        "opening"
    )[:20]
    return render(
        request,
        "portal/bulk_upload.html",
        {
            "form": form,
            "errors": error_list(form),
            "uploads": uploads,
            "openings": openings,
            "columns": {
                "per_unit": list(bulk.UNIT_COLUMNS),
                "share_of_costs": list(bulk.COSTS_COLUMNS),
                "programme": list(bulk.PROGRAMME_COLUMNS),
            },
        },
    )


def _own_upload(request, pk) -> BulkUpload:
    _intermediary(request)
    return get_object_or_404(
        BulkUpload.objects.select_related("opening__scheme"),
        pk=pk,
        uploaded_by__organisation_id=request.user.organisation_id,
    )


@portal_user
def detail(request, pk):
    return _detail_page(request, _own_upload(request, pk))


def _detail_page(request, upload_: BulkUpload, *, declaration_error: str = "", status: int = 200):
    applications = upload_.applications.select_related("organisation", "opening__scheme").order_by("id")
    rows = [
        {"application": app, "label": PUBLIC_LABELS[app.state], "amount": checks.compute_amount(app)}
        for app in applications
    ]
    return render(
        request,
        "portal/bulk_detail.html",
        {
            "upload": upload_,
            "rows": rows,
            "drafts": sum(1 for r in rows if r["application"].state == State.DRAFT),
            "refusals": request.session.pop(f"bulk-refusals-{upload_.pk}", []),
            "declaration_error": declaration_error,
            "errors": [{"href": "#id_truthfulness_declared", "text": declaration_error}] if declaration_error else [],
        },
        status=status,
    )


@portal_user
@require_POST
def submit(request, pk):
    upload_ = _own_upload(request, pk)
    if request.POST.get("truthfulness_declared") != "on":
        # the app's own error, in place and in the summary (the checkbox has no "required": no browser bubble)
        message = _("Verklaar dat de aanvragen naar waarheid zijn ingevuld; anders kunt u niet indienen.")
        return _detail_page(request, upload_, declaration_error=message, status=400)
    refusals = bulk.submit_all(upload=upload_, user=request.user)
    if refusals:
        request.session[f"bulk-refusals-{upload_.pk}"] = [
            {"reference": app.reference, "message": message} for app, message in refusals
        ]
        messages.warning(request, _("Niet alle aanvragen konden worden ingediend; zie hieronder waarom."))
    else:
        messages.success(request, _("Alle aanvragen zijn ingediend."))
    return redirect("portal:bulk-detail", pk=upload_.pk)


@portal_user
def template(request, shape):
    _intermediary(request)
    if shape not in ("per_unit", "share_of_costs", "programme"):
        raise PermissionDenied
    lines = [bulk.columns_for(shape), bulk.example_row(shape, clocks.local_date())]
    response = HttpResponse("".join(";".join(line) + "\r\n" for line in lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sjabloon-{shape}.csv"'
    return response
