"""The finance staff's screen: payments to record, payments waiting for a second pair of eyes, and payments held
by a changed bank account with the change to approve.

Separation of duties: who records a payment does not confirm it, who changed an account does not approve the
change, and who decided on an application pays none of its money; ``services`` refuses each whatever the door.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..errors import ActionError
from ..models import IbanChange, Payment
from ..roles import PAYMENT_ROLES
from ..services import money
from .views import case_worker_required


def _payments_staff(request) -> None:
    if request.user.role not in PAYMENT_ROLES:
        raise PermissionDenied(_("Deze pagina is alleen voor de financieel medewerkers."))


def _in_my_schemes(request, payments):
    if request.user.role in PAYMENT_ROLES and request.user.role != "administrator":
        payments = payments.filter(application__opening__scheme__in=request.user.schemes.all())
    return payments


@case_worker_required
def payments(request):
    _payments_staff(request)
    open_payments = _in_my_schemes(
        request,
        Payment.objects.exclude(status=Payment.Status.PAID).select_related(
            "application", "application__organisation", "recorded_by"
        ),
    ).order_by("due_date", "id")[:500]
    held = {p.pk for p in _in_my_schemes(request, money.held_payments())}
    rows = []
    for payment in open_payments:
        payment.held = payment.pk in held
        payment.own = payment.recorded_by_id == request.user.pk
        rows.append(payment)
    changes = money.iban_changes_for(request.user)[:200]
    return render(request, "review/payments.html", {"rows": rows, "changes": list(changes)})


@require_POST
@case_worker_required
def approve_iban_change(request, pk: int):
    _payments_staff(request)
    change = get_object_or_404(IbanChange, pk=pk)
    try:
        released = services.approve_iban_change(change=change, user=request.user)
    except ActionError as exc:
        messages.error(request, exc.detail)
        return redirect("review:payments")
    messages.success(
        request,
        _("Het rekeningnummer van %(organisation)s is goedgekeurd; %(count)d betaling(en) vrijgegeven.")
        % {"organisation": change.organisation.name, "count": len(released)},
    )
    return redirect("review:payments")
