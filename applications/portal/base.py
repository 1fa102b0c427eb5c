"""What every portal page uses: who may enter, the application a user may see, the error summary of a form."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .. import selectors
from ..models import Application, Role

# --- access -----------------------------------------------------------------------------------


def portal_user(view):
    """Signed in, as an employer or an intermediary of an organisation."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.role not in (Role.APPLICANT, Role.INTERMEDIARY) or not user.organisation_id:
            raise PermissionDenied(_("Het portaal is voor werkgevers en intermediairs."))
        return view(request, *args, **kwargs)

    return wrapped


def visible_application(request, reference: str) -> Application:
    """The application, if this user may see it; otherwise a plain 404 that reveals nothing."""
    application = (
        selectors.visible_applications(request.user)
        .select_related("opening__scheme", "organisation")
        .filter(reference=reference)
        .first()
    )
    if application is None:
        raise Http404(_("Deze aanvraag bestaat niet of u mag haar niet zien."))
    return application


# --- errors, for the summary at the top of a form ------------------------------------------------------


def error_list(*forms, rowsets=(), extra=()) -> list[dict]:
    """Every error with a link to its field: the error summary at the top of the page."""
    out = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        for name, errors in form.errors.items():
            if name == "__all__":
                out.extend({"href": "#main", "text": e} for e in errors)
                continue
            bound = form[name]
            widget_id = bound.auto_id
            if bound.field.widget.__class__.__name__ in ("CheckboxSelectMultiple", "RadioSelect"):
                widget_id = f"{widget_id}_0"
            out.extend({"href": f"#{widget_id}", "text": f"{bound.label}: {e}"} for e in errors)
    for rowset, noun in rowsets:
        for index, form in enumerate(rowset.forms, start=1):
            if not form.is_bound:
                continue
            for name, errors in form.errors.items():
                if name == "__all__":
                    href, label = f"#{form[next(iter(form.fields))].auto_id}", f"{noun} {index}"
                else:
                    href, label = f"#{form[name].auto_id}", f"{noun} {index}, {form[name].label.lower()}"
                out.extend({"href": href, "text": f"{label}: {e}"} for e in errors)
        out.extend({"href": f"#{rowset.prefix}-table", "text": e} for e in rowset.errors_outside)
    out.extend(extra)
    return out
