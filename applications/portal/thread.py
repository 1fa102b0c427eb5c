"""The thread with the reviewer on "Mijn aanvragen → aanvraag": reading it and answering (``services.messages``)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..errors import ActionError
from ..models import Application, User
from .base import portal_user, visible_application


def context(application: Application, user: User) -> dict:
    """What the application's page shows of the thread, and whether this user may write in it now."""
    return {
        "thread": list(services.messages.thread(application, user)),
        "may_write": services.messages.may_write(application, user),
        "write_refusal": "",
        "post_url": reverse("portal:messages", args=[application.reference]),
        "side": "applicant",
    }


@require_POST
@portal_user
def post_message(request, reference: str):
    application = visible_application(request, reference)
    back = reverse("portal:detail", args=[application.reference]) + "#berichten"
    try:
        services.messages.post_message(application=application, user=request.user, text=request.POST.get("text", ""))
    except ActionError as exc:
        flash.error(request, exc.detail)
        return redirect(back)
    flash.success(request, _("Uw bericht is verstuurd naar de behandelaar."))
    return redirect(back)
