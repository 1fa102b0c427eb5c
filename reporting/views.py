"""Dashboards for program managers, exports and the background PDF report.

Thin: every figure comes from ``queries``; who may see what from ``access``.
"""

from __future__ import annotations

import os

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from applications import clocks

from .access import check_scope, report_for, sees_reports, team_schemes
from .charts import report_charts
from .exports import (
    CSV_DIALECTS,
    FORMATS,
    application_csv_lines,
    applications_xlsx,
    figures_csv_lines,
    figures_xlsx,
    temporary_path,
)
from .models import ReportJob
from .queries import ReportError, end_of_day, parse_as_of, resolve_scope
from .tables import LEVELS, labelled_figures, portfolio_summary, warning_on_result
from .tasks import render_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_or_error(request, scope: str, code: str):
    try:
        return report_for(request.user, scope, code, request.GET.get("as_of"))
    except ReportError as exc:
        if exc.status == 404:
            raise Http404(exc.detail) from None
        if exc.status == 403:
            raise PermissionDenied(exc.detail) from None
        return None, exc.detail


def _page(request, scope_kind: str, code: str):
    if not sees_reports(request.user):
        raise PermissionDenied(gettext("Rapportages zijn er voor programmamanagers en functioneel beheerders."))
    report, scope = _report_or_error(request, scope_kind, code)
    if report is None:  # a bad date: say so next to the field and show today's figures
        error = scope
        report, scope = report_for(request.user, scope_kind, code, None)
    else:
        error = ""
    as_of = parse_as_of(report["as_of"])
    end = end_of_day(as_of)
    context = {
        "as_of_date": as_of,
        "is_today": as_of >= clocks.local_date(),
        "report": report,
        "scope": scope,
        "charts": report_charts(report, scope, end),
        "shown": labelled_figures(report),
        "summary": portfolio_summary(report) if report.get("groups") else [],
        "as_of_error": error,
        "level_label": LEVELS.get(report["early_warning"]["level"]),
        "warning_on_result": warning_on_result(report["early_warning"]),
        "schemes": team_schemes(request.user),
        "jobs": ReportJob.objects.filter(requested_by=request.user, scope=scope.kind, code=scope.code)[:5],
    }
    return render(request, "reporting/report.html", context)


@login_required
def dashboard(request):
    return _page(request, "portfolio", "all")


@login_required
def scheme_report(request, code: str):
    return _page(request, "scheme", code)


@login_required
def opening_report(request, code: str):
    return _page(request, "opening", code)


def _suffix(fmt: str) -> str:
    return "csv" if fmt in CSV_DIALECTS else fmt


def _export_name(report: dict, what: str, fmt: str) -> str:
    return f"{what}-{report['scope']}-{report['code']}-{report['as_of']}.{_suffix(fmt)}"


@login_required
def figures_export(request, scope: str, code: str, fmt: str):
    if fmt not in FORMATS:
        raise Http404(gettext("Exporteren kan als csv (Nederlandse Excel), csv-intl of xlsx."))
    report, _scope = _report_or_error(request, scope, code)
    if report is None:
        return HttpResponse(_scope, status=400, content_type="text/plain; charset=utf-8")
    if fmt in CSV_DIALECTS:
        response = HttpResponse("".join(figures_csv_lines(report, fmt)), content_type="text/csv; charset=utf-8")
    else:
        path = temporary_path(".xlsx")
        figures_xlsx(report, path)
        response = _file_response(path, XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_export_name(report, "cijfers", fmt)}"'
    return response


@login_required
def applications_export(request, scope: str, code: str, fmt: str):
    if fmt not in FORMATS:
        raise Http404(gettext("Exporteren kan als csv (Nederlandse Excel), csv-intl of xlsx."))
    if not sees_reports(request.user):
        raise PermissionDenied(gettext("Rapportages zijn er voor programmamanagers en functioneel beheerders."))
    try:
        day = parse_as_of(request.GET.get("as_of"))
        resolved = resolve_scope(scope, code, schemes=team_schemes(request.user))
        check_scope(request.user, resolved)
    except ReportError as exc:
        if exc.status == 404:
            raise Http404(exc.detail) from None
        if exc.status == 403:
            raise PermissionDenied(exc.detail) from None
        return HttpResponse(exc.detail, status=400, content_type="text/plain; charset=utf-8")
    end = end_of_day(day)
    name = f"aanvragen-{resolved.kind}-{resolved.code}-{day.isoformat()}.{_suffix(fmt)}"
    if fmt in CSV_DIALECTS:
        response = StreamingHttpResponse(
            application_csv_lines(resolved, end, fmt), content_type="text/csv; charset=utf-8"
        )
    else:
        path = temporary_path(".xlsx")
        applications_xlsx(resolved, end, path)
        response = _file_response(path, XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _file_response(path: str, content_type: str) -> FileResponse:
    handle = open(path, "rb")  # noqa: SIM115 - closed by the response
    os.unlink(path)  # the open handle keeps the data until the response is sent
    return FileResponse(handle, content_type=content_type)


@login_required
@require_POST
def request_pdf(request, scope: str, code: str):
    if not sees_reports(request.user):
        raise PermissionDenied(gettext("Rapportages zijn er voor programmamanagers en functioneel beheerders."))
    try:
        day = parse_as_of(request.POST.get("as_of"))
        resolved = resolve_scope(scope, code, schemes=team_schemes(request.user))
        check_scope(request.user, resolved)
    except ReportError as exc:
        if exc.status == 404:
            raise Http404(exc.detail) from None
        if exc.status == 403:
            raise PermissionDenied(exc.detail) from None
        return HttpResponse(exc.detail, status=400, content_type="text/plain; charset=utf-8")
    job = ReportJob.objects.create(
        requested_by=request.user, scope=resolved.kind, code=resolved.code, as_of=day, format="pdf"
    )
    transaction.on_commit(lambda: render_report.delay(job.pk))
    return redirect(reverse("reporting:job", args=[job.pk]))


def _own_job(request, pk: int) -> ReportJob:
    job = get_object_or_404(ReportJob, pk=pk)
    if job.requested_by_id != request.user.pk or not sees_reports(request.user):
        raise Http404("Deze opdracht bestaat niet.")
    return job


@login_required
def job_status(request, pk: int):
    job = _own_job(request, pk)
    return render(request, "reporting/job.html", {"job": job, "refresh": job.status in ("queued", "running")})


@login_required
def job_file(request, pk: int):
    job = _own_job(request, pk)
    if job.status != ReportJob.Status.DONE or not job.file:
        raise Http404(gettext("Het rapport is nog niet klaar."))
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=os.path.basename(job.file.name))
