"""The second reviewer's list of proposed decisions, and the allocation screen of an opening.

Four eyes: a decision is approved by someone other than who proposed it. The
list never offers one's own proposals for approval; ``services.perform``
refuses it anyway if a request is forged.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schemes.models import Opening

from .. import services
from ..errors import ActionError
from ..models import Allocation, Decision, Role
from ..services import allocation, draws, seeds
from . import selectors as review_selectors
from .views import _int, case_worker_required

APPROVERS = (Role.SENIOR_REVIEWER, Role.ADMINISTRATOR)


def _approve_action(decision: Decision) -> str:
    return "approve_settlement" if decision.kind == Decision.Kind.SETTLEMENT else "approve_decision"


@case_worker_required
def decisions(request):
    rows = list(review_selectors.proposed_decisions(request.user)[:200])
    declared = review_selectors.declared_without_conflict(request.user, [d.application_id for d in rows])
    for decision in rows:
        decision.is_own = decision.proposed_by_id == request.user.pk
        decision.declared = decision.application_id in declared
        decision.can_approve = request.user.role in APPROVERS and not decision.is_own and decision.declared
    return render(
        request,
        "review/decisions.html",
        {"rows": rows, "is_approver": request.user.role in APPROVERS},
    )


@require_POST
@case_worker_required
def decide(request):
    """Approve or return one decision or a selection at once; each goes through ``services.perform``."""
    ids = [i for i in (_int(v) for v in request.POST.getlist("decision")) if i]
    verdict = request.POST.get("verdict")
    note = request.POST.get("note", "").strip()
    if verdict not in ("approve", "return") or not ids:
        messages.error(request, _("Kies een of meer besluiten en goedkeuren of terugsturen."))
        return redirect("review:decisions")
    if verdict == "return" and not note:
        messages.error(request, _("Schrijf bij terugsturen waarom: de behandelaar leest het."))
        return redirect("review:decisions")
    chosen = list(review_selectors.proposed_decisions(request.user).filter(pk__in=ids))
    if len(chosen) != len(set(ids)):
        raise PermissionDenied(_("Een of meer besluiten horen niet bij uw regelingen of zijn al afgehandeld."))
    done, refused = [], []
    for decision in chosen:
        app = decision.application
        action = _approve_action(decision) if verdict == "approve" else "return_decision"
        try:
            services.perform(app, action, request.user, {"note": note} if verdict == "return" else {})
        except ActionError as exc:
            refused.append(f"{app.reference}: {exc.detail}")
        else:
            done.append(app.reference)
    if done:
        label = _("goedgekeurd") if verdict == "approve" else _("teruggestuurd")
        messages.success(request, _("%(label)s: %(refs)s") % {"label": label.capitalize(), "refs": ", ".join(done)})
    for line in refused:
        messages.error(request, line)
    return redirect("review:decisions")


@case_worker_required
def allocation_screen(request, code: str):
    """The opening's distribution: the seed's commitment, a recorded preview, a proposal, and its approval by a
    second case worker; the run that counts with its seed; for first come, first served the days drawn."""
    opening = get_object_or_404(Opening.objects.select_related("scheme"), code=code)
    if not draws.allowed(opening, request.user):
        raise PermissionDenied(draws.refusal(request.user))
    preview = None
    if request.method == "POST":
        step = request.POST.get("step", "")
        proposal = opening.allocations.filter(pk=_int(request.POST.get("allocation"))).first()
        try:
            if step == "preview":
                preview = draws.preview(opening=opening, user=request.user)
            elif step == "propose":
                draws.propose(opening=opening, user=request.user, data=request.POST.dict())
                messages.success(request, _("De verdeling is voorgesteld; een tweede behandelaar keurt haar goed."))
            elif step in ("approve", "return") and proposal is not None:
                if step == "approve":
                    done = draws.approve(proposal=proposal, user=request.user)
                    messages.success(
                        request,
                        _("Verdeling uitgevoerd: %(granted)s van %(candidates)s aanvragen krijgen budget.")
                        % done.summary,
                    )
                else:
                    draws.return_proposal(proposal=proposal, user=request.user, data=request.POST.dict())
                    messages.success(request, _("Het voorstel is teruggestuurd."))
            else:
                messages.error(request, _("Kies wat u wilt doen."))
        except ActionError as exc:
            messages.error(request, exc.detail)
        if preview is None:
            return redirect(reverse("review:allocation", args=[opening.code]))
    runs = opening.allocations.select_related("run_by", "approved_by", "lottery_seed")
    return render(
        request,
        "review/allocation.html",
        {
            "opening": opening,
            "last": allocation.last_approved(opening),
            "pending": runs.filter(status=Allocation.Status.PROPOSED).first(),
            "preview": preview,
            "days": runs.filter(status=Allocation.Status.APPROVED, day__isnull=False).order_by("day"),
            "history": runs.exclude(status=Allocation.Status.APPROVED)[:20],
            "commitment": seeds.committed(opening),
            "status": opening.status,
        },
    )
