"""The application form, step by step: start, each step of the scheme's shape, the summary, submit and receipt.

Every step saves the draft through ``services.update_draft``; the amount shown
while filling in is the published rules' own computation; every page works
without JavaScript and a form that succeeds redirects (PRG).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from schemes.rules import Computation

from .. import checks, permissions, services
from ..models import Application, CoFinancing, Role
from ..services import documents
from ..states import State
from .answers import summary_context
from .base import error_list, portal_user, visible_application
from .forms import CostsForm, DeclarationsForm, ProfileForm, ProgrammeForm, UploadForm
from .rows import CostLineRowForm, DeMinimisRowForm, PartnerRowForm, RowSet, UnitRowForm
from .step_order import STEP_TITLES, steps_for


class StepPage:
    """What every step shares: the application, its steps, the amount so far."""

    def __init__(self, request, application: Application, step: str):
        self.request = request
        self.application = application
        self.rules = application.opening.published_rules
        self.steps = steps_for(self.rules)
        self.step = step
        self.index = self.steps.index(step)
        # the limits per applicant over the organisation's other applications here: shown from the first step
        self.remaining = checks.remaining_for(
            application.organisation, application.opening, exclude_application_id=application.pk
        )

    @property
    def next_step(self) -> str | None:
        return self.steps[self.index + 1] if self.index + 1 < len(self.steps) else None

    @property
    def previous_step(self) -> str | None:
        return self.steps[self.index - 1] if self.index > 0 else None

    def url(self, step: str) -> str:
        return reverse("portal:step", args=[self.application.reference, step])

    def after_save(self):
        action = self.request.POST.get("action")
        if action == "next" and self.request.GET.get("terug") == "overzicht":
            # a change from "check your answers" goes back there, to the answers of this step
            return redirect(self.url("overzicht") + f"#antwoorden-{self.step}")
        if action == "next" and self.next_step:
            return redirect(self.url(self.next_step))
        if action == "back" and self.previous_step:
            return redirect(self.url(self.previous_step))
        messages.success(self.request, _("Uw concept is opgeslagen. U kunt later verder gaan waar u was."))
        return redirect(self.url(self.step))

    def render(self, template: str, context: dict, computation=None, status: int = 200):
        computation = computation if computation is not None else checks.compute_amount(self.application)
        indicator = [
            {
                "key": key,
                "title": STEP_TITLES[key],
                "number": i + 1,
                "url": self.url(key),
                "done": i < self.index,
                "current": key == self.step,
            }
            for i, key in enumerate(self.steps)
        ]
        return render(
            self.request,
            template,
            {
                "application": self.application,
                "opening": self.application.opening,
                "scheme": self.application.opening.scheme,
                "step": self.step,
                "step_title": STEP_TITLES[self.step],
                "step_number": self.index + 1,
                "step_count": len(self.steps),
                "indicator": indicator,
                "previous_step": self.previous_step,
                "next_step": self.next_step,
                "computation": computation,
                "rule_lines": self.rules.explain(),
                "returning": self.request.GET.get("terug") == "overzicht",
                "remaining": self.remaining,
                "rules": self.rules,
                **context,
            },
            status=status,
        )


def draft_for(request, reference: str) -> Application:
    application = visible_application(request, reference)
    if not permissions.acts_for_applicant(application, request.user):
        raise PermissionDenied(_("U mag deze aanvraag niet wijzigen."))
    return application


@portal_user
def step(request, reference, step):
    application = draft_for(request, reference)
    if application.state != State.DRAFT:
        messages.info(request, _("Deze aanvraag is al ingediend en kan niet meer worden gewijzigd."))
        return redirect("portal:detail", reference=application.reference)
    page_steps = steps_for(application.opening.published_rules)
    if step not in page_steps:
        raise Http404(_("Deze stap bestaat niet."))
    page = StepPage(request, application, step)
    return STEP_VIEWS[step](page)


def _save(page: StepPage, data: dict):
    """update_draft; the service's refusals come back as a dict of field errors."""
    try:
        page.application = services.update_draft(application=page.application, user=page.request.user, data=data)
    except services.ActionError as exc:
        return exc.errors or {"__all__": [exc.detail]}
    return None


def step_applicant(page: StepPage):
    organisation = page.application.organisation
    if page.request.user.role == Role.INTERMEDIARY:
        # The employer keeps its own profile: an intermediary never changes, say, the IBAN paid to.
        if page.request.method == "POST":
            return page.after_save()
        return page.render(
            "portal/step_applicant.html", {"form": None, "organisation": organisation, "errors": [], "read_only": True}
        )
    form = ProfileForm(page.request.POST or None, instance=organisation)
    if page.request.method == "POST" and form.is_valid():
        form.save()
        return page.after_save()
    return page.render(
        "portal/step_applicant.html", {"form": form, "organisation": organisation, "errors": error_list(form)}
    )


def _judge_rows(rules, rows: RowSet, *, place: bool) -> Computation:
    """The rules on every traject whose cost can be read, even when another field of it is wrong.

    So a step shows every error at once: an empty name and a cost below the minimum in the
    same traject are two errors, each in its place. A cost that cannot be read counts as the
    minimum (its own error is already there), so the count of trajecten stays right.
    """
    stand_in = rules.min_unit_cost if rules.min_unit_cost is not None else Decimal("0.00")
    filled = rows.filled()
    costs = []
    for form in filled:
        form.is_valid()
        cost = form.cleaned_data.get("cost") if "cost" not in form.errors else None
        costs.append(cost if cost is not None else stand_in)
    computation = rules.compute(unit_costs=costs)
    if place:
        for refusal in computation.refusals:
            parts = refusal.field.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
                form = filled[int(parts[1])]
                if "cost" not in form.errors:
                    form.add_error("cost", refusal.message)
            elif refusal.message not in rows.errors_outside:
                rows.errors_outside.append(refusal.message)
    return computation


def _units_left_message(page: StepPage) -> str:
    left = page.remaining
    if left.max_units is None:
        return ""
    if left.units_held:
        return _(
            "Uw organisatie heeft in deze openstelling al %(held)s %(unit)sen aangevraagd; "
            "u kunt er nog %(left)s aanvragen."
        ) % {"held": left.units_held, "unit": left.unit_label, "left": left.units_left}
    return _("U kunt nog %(left)s %(unit)sen aanvragen.") % {"left": left.units_left, "unit": left.unit_label}


def step_units(page: StepPage):
    app = page.application
    rules = page.rules
    maximum = page.remaining.units_left if page.remaining.max_units is not None else None
    if maximum is not None:
        maximum = max(maximum, 1)
    request = page.request
    if request.method != "POST":
        initial = [
            {
                "participant": u.participant,
                "occupation": u.occupation,
                "occupation_sector": u.occupation_sector,
                "provider": u.provider,
                "cost": u.cost,
                "start_date": u.start_date,
                "end_date": u.end_date,
                "contract_end_date": u.contract_end_date,
            }
            for u in app.units.all()
        ]
        rows = RowSet(UnitRowForm, "units", initial=initial, max_rows=maximum)
        return page.render(
            "portal/step_units.html", {"rows": rows, "errors": [], "rows_left_message": _units_left_message(page)}
        )
    rows = RowSet(UnitRowForm, "units", data=request.POST, max_rows=maximum)
    if "add_row" in request.POST:
        if not rows.add():
            rows.errors_outside.append(
                _("U kunt ten hoogste %(max)s %(unit)sen opgeven.") % {"max": maximum, "unit": rules.unit_label}
            )
        return _units_page(page, rows, show_errors=False)
    if "remove_row" in request.POST:
        try:
            rows.remove(int(request.POST["remove_row"]))
        except ValueError:
            pass
        return _units_page(page, rows, show_errors=False)
    if request.POST.get("action") == "recalc" or not rows.is_valid():
        return _units_page(page, rows, show_errors=request.POST.get("action") != "recalc")
    errors = _save(page, {"units": rows.service_rows()})
    if errors:
        rows.attach_errors(errors, "units")
        return _units_page(page, rows)
    computation = checks.check_limits(page.application)  # with the applicant's other applications here
    unit_errors = {k: v for k, v in computation.errors_by_field().items() if k.split(".")[0] == "units"}
    if request.POST.get("action") == "next" and unit_errors:
        rows.attach_errors(unit_errors, "units")
        messages.warning(request, _("Uw concept is opgeslagen, maar zo kan het nog niet worden ingediend."))
        return page.render(
            "portal/step_units.html",
            {
                "rows": rows,
                "errors": error_list(rowsets=[(rows, _("Traject"))]),
                "input_invalid": True,
                "rows_left_message": _units_left_message(page),
            },
            computation,
        )
    return page.after_save()


def _units_page(page: StepPage, rows: RowSet, *, show_errors: bool = True):
    computation = _judge_rows(page.rules, rows, place=show_errors)
    invalid = not rows.is_valid() or not computation.ok
    if show_errors:
        errors = error_list(rowsets=[(rows, _("Traject"))])
    else:
        rows.quiet()  # a row added or removed is not yet an error
        errors = [{"href": f"#{rows.prefix}-table", "text": e} for e in rows.errors_outside]
    return page.render(
        "portal/step_units.html",
        {
            "rows": rows,
            "errors": errors,
            "quiet": not show_errors,
            "input_invalid": invalid,
            "rows_left_message": _units_left_message(page),
        },
        computation,
    )


def step_costs(page: StepPage):
    app = page.application
    request = page.request
    rules = page.rules
    partnership_allowed = bool(rules.max_amount_partnership)
    if request.method != "POST":
        form = CostsForm(initial={"project_end_date": app.project_end_date})
        lines = RowSet(
            CostLineRowForm,
            "cost_lines",
            initial=[{"description": c.description, "amount": c.amount} for c in app.cost_lines.all()],
        )
        return page.render(
            "portal/step_costs.html",
            {
                "form": form,
                "rows": lines,
                "errors": [],
                "partnership_allowed": partnership_allowed,
                "is_partnership": app.is_partnership,
                "total": app.eligible_costs,
            },
        )
    form = CostsForm(request.POST)
    lines = RowSet(CostLineRowForm, "cost_lines", data=request.POST)
    is_partnership = partnership_allowed and request.POST.get("is_partnership") == "on"
    quiet = "add_row" in request.POST or "remove_row" in request.POST or request.POST.get("action") == "recalc"
    if "add_row" in request.POST:
        lines.add()
    elif "remove_row" in request.POST:
        try:
            lines.remove(int(request.POST["remove_row"]))
        except ValueError:
            pass
    preview_rows = lines.rows_for_preview()
    total = sum((row["amount"] for row in preview_rows), Decimal("0.00")) if preview_rows else None
    computation = rules.compute(eligible_costs=total, partnership=is_partnership)
    context = {
        "form": form,
        "rows": lines,
        "partnership_allowed": partnership_allowed,
        "is_partnership": is_partnership,
        "total": total,
    }
    if quiet:
        context["input_invalid"] = not lines.is_valid()
        lines.quiet()
        context["errors"] = []
        context["quiet"] = True
        return page.render("portal/step_costs.html", context, computation)
    valid = form.is_valid() & lines.is_valid()
    if not valid:
        if lines.is_valid():  # every error at once: the rules on the costs too, when the costs can be read
            lines.errors_outside.extend(r.message for r in computation.refusals)
        context["errors"] = error_list(form, rowsets=[(lines, _("Kostenpost"))])
        context["input_invalid"] = True
        return page.render("portal/step_costs.html", context, computation)
    data = {
        "cost_lines": lines.service_rows(),
        "eligible_costs": str(total) if total is not None else None,
        "project_end_date": form.cleaned_data["project_end_date"].isoformat(),
        "is_partnership": is_partnership,
    }
    errors = _save(page, data)
    if errors:
        lines.attach_errors(errors, "cost_lines")
        for key, messages_ in errors.items():
            if key in form.fields:
                for message in messages_:
                    form.add_error(key, message)
        context["errors"] = error_list(form, rowsets=[(lines, _("Kostenpost"))])
        return page.render("portal/step_costs.html", context, computation)
    computation = checks.compute_amount(page.application)
    if request.POST.get("action") == "next" and not computation.ok:
        lines.errors_outside.extend(r.message for r in computation.refusals)
        messages.warning(request, _("Uw concept is opgeslagen, maar zo kan het nog niet worden ingediend."))
        context["errors"] = error_list(form, rowsets=[(lines, _("Kostenpost"))])
        context["input_invalid"] = True
        return page.render("portal/step_costs.html", context, computation)
    return page.after_save()


def _cofinancing_totals(rows: list[dict]) -> list[dict]:
    totals: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        source = row.get("source")
        if not source:
            continue
        for key, kind in (("cash", CoFinancing.Kind.CASH), ("in_kind", CoFinancing.Kind.IN_KIND)):
            if row.get(key):
                totals[(source, kind)] = totals.get((source, kind), Decimal("0.00")) + row[key]
    sources = dict(CoFinancing.Source.choices)
    kinds = dict(CoFinancing.Kind.choices)
    return [{"source": sources[s], "kind": kinds[k], "amount": amount} for (s, k), amount in sorted(totals.items())]


def step_programme(page: StepPage):
    app = page.application
    request = page.request
    rules = page.rules
    if request.method != "POST":
        initial = []
        for partner in app.partners.prefetch_related("cofinancing"):
            row = {"name": partner.name, "kvk": partner.kvk, "role": partner.role, "is_sme": partner.is_sme}
            for co in partner.cofinancing.all():
                row["source"] = co.source
                row["cash" if co.kind == CoFinancing.Kind.CASH else "in_kind"] = co.amount
            initial.append(row)
        form = ProgrammeForm(
            initial={"requested_amount": app.requested_amount, "project_end_date": app.project_end_date}
        )
        partners = RowSet(PartnerRowForm, "partners", initial=initial)
        return page.render(
            "portal/step_programme.html",
            {"form": form, "rows": partners, "errors": [], "totals": _cofinancing_totals(initial)},
        )
    form = ProgrammeForm(request.POST)
    partners = RowSet(PartnerRowForm, "partners", data=request.POST)
    quiet = "add_row" in request.POST or "remove_row" in request.POST or request.POST.get("action") == "recalc"
    if "add_row" in request.POST:
        partners.add()
    elif "remove_row" in request.POST:
        try:
            partners.remove(int(request.POST["remove_row"]))
        except ValueError:
            pass
    preview = partners.rows_for_preview()
    requested = form.cleaned_data.get("requested_amount") if form.is_valid() else None
    computation = rules.compute(requested_amount=requested, partnership=len(preview) > 1)
    context = {"form": form, "rows": partners, "totals": _cofinancing_totals(preview), "errors": []}
    if quiet:
        context["input_invalid"] = not (form.is_valid() and partners.is_valid())
        partners.quiet()
        context["quiet"] = True
        return page.render("portal/step_programme.html", context, computation)
    if not (form.is_valid() & partners.is_valid()):
        context["errors"] = error_list(form, rowsets=[(partners, _("Partner"))])
        context["input_invalid"] = True
        return page.render("portal/step_programme.html", context, computation)
    data = {
        "requested_amount": str(form.cleaned_data["requested_amount"]),
        "project_end_date": form.cleaned_data["project_end_date"].isoformat(),
        "partners": partners.service_rows(),
    }
    errors = _save(page, data)
    if errors:
        partners.attach_errors(errors, "partners")
        for key, messages_ in errors.items():
            if key in form.fields:
                for message in messages_:
                    form.add_error(key, message)
        context["errors"] = error_list(form, rowsets=[(partners, _("Partner"))])
        return page.render("portal/step_programme.html", context, computation)
    computation = checks.compute_amount(page.application)
    if request.POST.get("action") == "next" and not computation.ok:
        for key, messages_ in computation.errors_by_field().items():
            for message in messages_:
                form.add_error(key if key in form.fields else None, message)
        messages.warning(request, _("Uw concept is opgeslagen, maar zo kan het nog niet worden ingediend."))
        context["errors"] = error_list(form, rowsets=[(partners, _("Partner"))])
        return page.render("portal/step_programme.html", context, computation)
    return page.after_save()


def step_uploads(page: StepPage):
    app = page.application
    request = page.request
    kinds = page.rules.document_types
    needs = checks.document_needs(app)
    first_missing = next((need.kind.code for need in needs if need.missing), "")
    form = UploadForm(document_types=kinds, initial={"document_type": first_missing})

    def render(form, errors):
        context = {
            "form": form,
            "documents": documents.with_type_labels(app, app.documents.all()),
            "needs": needs,
            "unit_label": page.rules.unit_label or "eenheid",
            "errors": errors,
        }
        return page.render("portal/step_uploads.html", context)

    if request.method == "POST":
        if "delete" in request.POST:
            document = app.documents.filter(pk=request.POST.get("delete")).first()
            if document is None:
                raise Http404(_("Dit document bestaat niet."))
            try:
                documents.remove(document=document, user=request.user)
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from None
            messages.success(request, _("Het document '%(name)s' is verwijderd.") % {"name": document.original_name})
            return redirect(page.url(page.step))
        if request.FILES.get("file") or request.POST.get("action") == "upload":
            form = UploadForm(request.POST, request.FILES, document_types=kinds)
            if form.is_valid():
                try:
                    document = documents.store(
                        application=app,
                        user=request.user,
                        upload=form.cleaned_data["file"],
                        document_type=form.cleaned_data.get("document_type") or "",
                    )
                except PermissionError as exc:
                    raise PermissionDenied(str(exc)) from None
                messages.success(
                    request, _("Het document '%(name)s' is toegevoegd.") % {"name": document.original_name}
                )
                if request.POST.get("action") in ("next", "back"):
                    return page.after_save()
                return redirect(page.url(page.step))
            return render(form, error_list(form))
        return page.after_save()
    return render(form, [])


def step_declarations(page: StepPage):
    app = page.application
    request = page.request
    rules = page.rules
    context = {"errors": []}
    if request.method != "POST":
        initial = {
            "truthfulness_declared": app.truthfulness_declared,
            "de_minimis_none": app.de_minimis_declared == 0 and not app.de_minimis_declarations,
        }
        context["form"] = DeclarationsForm(initial=initial, de_minimis=rules.de_minimis, dated=True)
        if rules.de_minimis:
            context["rows"] = RowSet(DeMinimisRowForm, "de_minimis", initial=_declared_rows(app))
        return page.render("portal/step_declarations.html", context)
    form = DeclarationsForm(request.POST, de_minimis=rules.de_minimis, dated=True)
    rows = RowSet(DeMinimisRowForm, "de_minimis", data=request.POST) if rules.de_minimis else None
    context.update(form=form, rows=rows)
    if rows is not None and ("add_row" in request.POST or "remove_row" in request.POST):
        if "add_row" in request.POST:
            rows.add()
        else:
            try:
                rows.remove(int(request.POST["remove_row"]))
            except ValueError:
                pass
        rows.quiet()
        context["quiet"] = True
        return page.render("portal/step_declarations.html", context)
    valid = form.is_valid() & (rows is None or rows.is_valid())
    if valid:
        action = request.POST.get("action")
        if rows is not None:
            none = form.cleaned_data.get("de_minimis_none")
            if none and rows.filled():
                form.add_error("de_minimis_none", DeclarationsForm.de_minimis_both_message)
            elif action == "next" and not none and not rows.filled():
                form.add_error("de_minimis_none", DeclarationsForm.de_minimis_dated_message)
        if action == "next" and not form.cleaned_data.get("truthfulness_declared"):
            form.add_error("truthfulness_declared", DeclarationsForm.truthfulness_message)
    if valid and form.is_valid():
        data = {"truthfulness_declared": form.cleaned_data.get("truthfulness_declared", False)}
        if rows is not None:
            declared = rows.service_rows()
            none = form.cleaned_data.get("de_minimis_none")
            data["de_minimis_declarations"] = declared if declared or none else None
        errors = _save(page, data)
        if not errors:
            return page.after_save()
        if rows is not None:
            rows.attach_errors(errors, "de_minimis_declarations")
        for key, messages_ in errors.items():
            if key.startswith("de_minimis_declarations"):
                continue
            for message in messages_:
                form.add_error(key if key in form.fields else None, message)
    context["errors"] = error_list(form, rowsets=[(rows, _("Steun"))] if rows is not None else [])
    return page.render("portal/step_declarations.html", context)


def _declared_rows(app) -> list[dict]:
    """The aid the application declared, as the rows show it."""
    return [
        {
            "amount": Decimal(row["amount"]),
            "granted_on": datetime.date.fromisoformat(row["granted_on"]),
            "provider": row["provider"],
        }
        for row in app.de_minimis_declarations or []
    ]


def step_summary(page: StepPage, status: int = 200, extra: dict | None = None):
    context = summary_context(page.application, page.request.user)
    context.update(extra or {})
    return page.render("portal/step_summary.html", context, context["check"], status=status)


STEP_VIEWS = {
    "aanvrager": step_applicant,
    "trajecten": step_units,
    "kosten": step_costs,
    "programma": step_programme,
    "bijlagen": step_uploads,
    "verklaringen": step_declarations,
    "overzicht": step_summary,
}
