"""What an applicant can do after submitting: withdraw, supplement, report completion, object.

One page for each of ``workflow.PORTAL_ACTIONS``, built from the action's
declaration: its title, its fields, the document kind it accepts and the
confirmation. Each page offers only what ``services.available_actions`` allows
now, and does it through ``services.perform``; a refusal is shown in plain
Dutch and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from schemes.rules import ACCOUNTANT_ABOVE, ACCOUNTANT_STATEMENT

from .. import selectors, services, workflow
from ..models import Document, Unit
from ..services import documents
from ..states import PUBLIC_LABELS
from .base import error_list, portal_user, visible_application
from .forms import ActionForm, UnitCompletionForm, UnitStartForm


@portal_user
def action(request, reference, action):
    application = visible_application(request, reference)
    if action not in workflow.PORTAL_ACTIONS:
        raise Http404(_("Deze actie bestaat niet."))
    if action not in services.available_actions(application, request.user):
        messages.error(request, _("Dit kan nu niet bij deze aanvraag."))
        return redirect("portal:detail", reference=application.reference)
    declared = workflow.action(action)
    shape = application.opening.published_rules.shape
    posted = request.method == "POST"
    form = ActionForm(
        request.POST or None,
        request.FILES or None,
        action=declared,
        shape=shape,
        accountant_limit=_accountant_limit(application, declared),
    )
    rows = _unit_rows(request, application, declared, shape)
    if posted:
        valid = form.is_valid() & all([row_form.is_valid() for _unit, row_form in rows])
        if valid and _perform(request, application, declared, form, rows):
            return redirect("portal:detail", reference=application.reference)
    return render(
        request,
        "portal/action.html",
        {
            "application": application,
            "action": action,
            "title": declared.button,
            "form": form,
            "rows": rows,
            "per_unit": shape == "per_unit",
            "multipart": bool(declared.upload_kind) or ActionForm.ACCOUNTANT in form.fields,
            "label": PUBLIC_LABELS[application.state],
            "deadline": selectors.next_deadline(application),
            "supplement_request": _open_request(application) if action == "supplement" else None,
            "errors": error_list(form) + _row_errors(rows),
        },
    )


def _accountant_limit(application, declared):
    """The threshold above which this settlement request asks an accountant's statement, when it does."""
    rules = application.opening.published_rules
    if declared.name != "request_settlement" or rules.shape == "per_unit":
        return None
    if rules.accounting_tier(application.amount_granted) != ACCOUNTANT_STATEMENT:
        return None
    return rules.accountant_above if rules.accountant_above is not None else ACCOUNTANT_ABOVE


def _unit_rows(request, application, declared, shape) -> list[tuple]:
    """Per traject a completion form, where the action asks which trajecten were completed."""
    if not any(f.kind == "units" and (not f.shapes or shape in f.shapes) for f in declared.fields):
        return []
    posted = request.method == "POST"
    if declared.name == "report_start":  # only whether each traject began; one reported stays reported
        return [
            (
                unit,
                UnitStartForm(
                    request.POST if posted else None,
                    prefix=f"unit-{unit.pk}",
                    initial={"started": unit.status == Unit.Status.STARTED},
                ),
            )
            for unit in application.units.all()
        ]
    return [
        (
            unit,
            UnitCompletionForm(
                request.POST if posted else None,
                request.FILES if posted else None,
                prefix=f"unit-{unit.pk}",
                initial={"started": True, "completed": True, "contract_extended": True},
            ),
        )
        for unit in application.units.all()
    ]


def _open_request(application):
    return application.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()


def _perform(request, application, declared, form, rows) -> bool:
    """The action and its documents in one transaction; refusals go to the form."""
    data = form.service_data()
    if rows and declared.name == "report_start":
        data["units_started"] = [unit.pk for unit, row_form in rows if row_form.cleaned_data["started"]]
    elif rows:
        data["units_completed"] = [
            {"id": unit.pk, "contract_extended": row_form.cleaned_data["contract_extended"]}
            for unit, row_form in rows
            if row_form.cleaned_data["completed"]
        ]
        data["units_started"] = [unit.pk for unit, row_form in rows if row_form.cleaned_data["started"]]
    try:
        with transaction.atomic():
            for upload in form.uploads():
                documents.store(application=application, user=request.user, upload=upload, kind=declared.upload_kind)
            if form.accountant_upload():
                documents.store(
                    application=application,
                    user=request.user,
                    upload=form.accountant_upload(),
                    kind=Document.Kind.ACCOUNTANT,
                )
            for unit, row_form in rows:
                if row_form.cleaned_data.get("certificate"):
                    documents.store(
                        application=application,
                        user=request.user,
                        upload=row_form.cleaned_data["certificate"],
                        kind=declared.upload_kind,
                        unit=unit,
                    )
            services.perform(application, declared.name, request.user, data, expected_version=_version(request))
    except services.ActionError as exc:
        for key, messages_ in (exc.errors or {}).items():
            for message in messages_:
                form.add_error(key if key in form.fields else None, message)
        if not exc.errors:
            form.add_error(None, exc.detail)
        return False
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, declared.done)
    return True


def _row_errors(rows) -> list[dict]:
    errors = []
    for index, (_unit, row_form) in enumerate(rows, start=1):
        if row_form.is_bound:
            for name, messages_ in row_form.errors.items():
                target = row_form[name].auto_id if name != "__all__" else row_form["completed"].auto_id
                errors.extend(
                    {"href": f"#{target}", "text": _("Traject %(n)s: %(m)s") % {"n": index, "m": m}} for m in messages_
                )
    return errors


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version"))
    except (TypeError, ValueError):
        return None
