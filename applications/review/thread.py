"""Writing to the applicant from the case screen (``services.messages``); the case view shows the thread."""

from __future__ import annotations

from django.contrib import messages as flash
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..errors import ActionError
from .views import _case, _case_url, _flash_error, case_worker_required


@require_POST
@case_worker_required
def post_message(request, reference: str):
    application = _case(request, reference)
    try:
        services.messages.post_message(application=application, user=request.user, text=request.POST.get("text", ""))
    except ActionError as exc:
        _flash_error(request, exc)
        return redirect(_case_url(application, "berichten"))
    flash.success(request, _("Het bericht is verstuurd; de aanvrager krijgt er een e-mail over."))
    return redirect(_case_url(application, "berichten"))
