"""What an applicant can do after submitting: withdraw, supplement, report completion, object.

Each page offers only what ``services.available_actions`` allows now, and
does it through ``services.perform``; a refusal is shown in plain Dutch and
changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import services
from ..models import Document
from ..services import documents
from ..states import PUBLIC_LABELS
from .forms import ObjectionForm, SettlementForm, SupplementForm, UnitCompletionForm, WithdrawForm
from .views import ACTION_LABELS, error_list, next_deadline, portal_user, visible_application

DONE = {
    "withdraw": gettext_lazy("Uw aanvraag is ingetrokken."),
    "supplement": gettext_lazy("Uw aanvulling is ontvangen; de behandeling gaat verder."),
    "request_settlement": gettext_lazy("Uw melding van afronding is ontvangen; wij stellen de subsidie vast."),
    "lodge_objection": gettext_lazy("Uw bezwaar is ontvangen."),
}


class _Refused(Exception):
    pass


@portal_user
def action(request, reference, action):
    application = visible_application(request, reference)
    if action not in ACTION_LABELS or action == "submit":
        raise Http404(_("Deze actie bestaat niet."))
    if action not in services.available_actions(application, request.user):
        messages.error(request, _("Dit kan nu niet bij deze aanvraag."))
        return redirect("portal:detail", reference=application.reference)
    handler = {
        "withdraw": _withdraw,
        "supplement": _supplement,
        "request_settlement": _settlement,
        "lodge_objection": _objection,
    }[action]
    return handler(request, application, action)


def _perform(request, application, action, data, form, after=None):
    """Run the action (and what must happen with it) in one transaction; refusals go to the form."""
    try:
        with transaction.atomic():
            if after is not None:
                after()
            services.perform(application, action, request.user, data, expected_version=_version(request))
    except services.ActionError as exc:
        for key, messages_ in (exc.errors or {}).items():
            for message in messages_:
                form.add_error(key if key in form.fields else None, message)
        if not exc.errors:
            form.add_error(None, exc.detail)
        return False
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, DONE[action])
    return True


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version"))
    except (TypeError, ValueError):
        return None


def _page(request, application, action, form, extra=None, template="portal/action.html"):
    return render(
        request,
        template,
        {
            "application": application,
            "action": action,
            "title": ACTION_LABELS[action],
            "form": form,
            "label": PUBLIC_LABELS[application.state],
            "deadline": next_deadline(application),
            "errors": error_list(form),
            **(extra or {}),
        },
    )


def _withdraw(request, application, action):
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _perform(request, application, action, {"reason": form.cleaned_data["reason"]}, form):
            return redirect("portal:detail", reference=application.reference)
    return _page(request, application, action, form)


def _supplement(request, application, action):
    open_request = application.supplement_requests.filter(answered_on__isnull=True).order_by("-id").first()
    form = SupplementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")

        def store():
            if upload:
                documents.store(
                    application=application, user=request.user, upload=upload, kind=Document.Kind.SUPPLEMENT
                )

        if _perform(request, application, action, {"note": form.cleaned_data["note"]}, form, after=store):
            return redirect("portal:detail", reference=application.reference)
    return _page(request, application, action, form, {"supplement_request": open_request, "multipart": True})


def _objection(request, application, action):
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _perform(request, application, action, {"reason": form.cleaned_data["reason"]}, form):
            return redirect("portal:detail", reference=application.reference)
    return _page(request, application, action, form)


def _settlement(request, application, action):
    rules = application.opening.published_rules
    per_unit = rules.shape == "per_unit"
    units = list(application.units.all())
    posted = request.method == "POST"
    form = SettlementForm(request.POST or None, per_unit=per_unit)
    rows = [
        (
            unit,
            UnitCompletionForm(
                request.POST if posted else None,
                request.FILES if posted else None,
                prefix=f"unit-{unit.pk}",
                initial={"completed": True, "contract_extended": True},
            ),
        )
        for unit in units
    ]
    if posted:
        valid = form.is_valid() & all([row_form.is_valid() for _unit, row_form in rows])
        if valid:
            data = {"report": form.cleaned_data.get("report", "")}
            if per_unit:
                data["units_completed"] = [
                    {"id": unit.pk, "contract_extended": row_form.cleaned_data["contract_extended"]}
                    for unit, row_form in rows
                    if row_form.cleaned_data["completed"]
                ]
            else:
                data["actual_costs"] = str(form.cleaned_data["actual_costs"])

            def store():
                for unit, row_form in rows:
                    upload = row_form.cleaned_data.get("certificate")
                    if upload:
                        documents.store(
                            application=application,
                            user=request.user,
                            upload=upload,
                            kind=Document.Kind.CERTIFICATE,
                            unit=unit,
                        )

            if _perform(request, application, action, data, form, after=store):
                return redirect("portal:detail", reference=application.reference)
    errors = error_list(form)
    for index, (_unit, row_form) in enumerate(rows, start=1):
        if row_form.is_bound:
            for name, messages_ in row_form.errors.items():
                target = row_form[name].auto_id if name != "__all__" else row_form["completed"].auto_id
                errors.extend(
                    {"href": f"#{target}", "text": _("Traject %(n)s: %(m)s") % {"n": index, "m": m}} for m in messages_
                )
    return _page(
        request,
        application,
        action,
        form,
        {"rows": rows, "per_unit": per_unit, "errors": errors, "multipart": True},
        template="portal/settlement.html",
    )
