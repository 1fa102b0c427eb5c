"""Many applications at once from a CSV or XLSX file: every row or none.

An intermediary uploads one row per application (share of costs, programme)
or one row per traject (per unit: the rows of one employer make one
application). Each row is read by the same forms as the portal, each draft is
made by ``services.create_draft`` and judged by ``checks.check_limits``, the
same code as submission. One error anywhere rolls everything back; the errors
name the row and the column. A ``BulkUpload`` records the attempt either way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from schemes.models import Opening

from .. import checks, services
from ..models import Application, BulkUpload, User
from ..services.documents import clean_name
from ..states import State
from . import sheets
from .forms import CostsForm, DeclarationsForm, ProgrammeForm, money_field
from .rows import DeMinimisRowForm, UnitRowForm

MAX_BYTES = sheets.MAX_BYTES
MAX_ROWS = sheets.MAX_ROWS

# Column name in the file → field of the application or traject.
UNIT_COLUMNS = {
    "kvk": "kvk",
    "deelnemer": "participant",
    "beroep": "occupation",
    "sector": "occupation_sector",
    "opleider": "provider",
    "kosten": "cost",
    "startdatum": "start_date",
    "einddatum": "end_date",
    "einde_contract": "contract_end_date",
}
COSTS_COLUMNS = {
    "kvk": "kvk",
    "subsidiabele_kosten": "eligible_costs",
    "einddatum_project": "project_end_date",
    "de_minimis": "de_minimis_declared",
    # optional: one aid received elsewhere, dated, so that only what falls in the three years counts (else the
    # total counts in full)
    "de_minimis_datum": "granted_on",
    "de_minimis_verstrekker": "provider",
}
PROGRAMME_COLUMNS = {
    "kvk": "kvk",
    "gevraagd_bedrag": "requested_amount",
    "einddatum_project": "project_end_date",
    "de_minimis": "de_minimis_declared",
    # optional: one aid received elsewhere, dated, so that only what falls in the three years counts (else the
    # total counts in full)
    "de_minimis_datum": "granted_on",
    "de_minimis_verstrekker": "provider",
}
REQUIRED = {
    "per_unit": ["kvk", "deelnemer", "beroep", "sector", "opleider", "kosten"],
    "share_of_costs": ["kvk", "subsidiabele_kosten"],
    "programme": ["kvk", "gevraagd_bedrag"],
}


def example_row(shape: str, today) -> list[str]:
    """One filled-in row under the column names of the template: what a good row looks like."""
    start = today + relativedelta(months=1)
    if shape == "per_unit":
        return [
            "12345678",
            "J. Jansen",
            "DevOps-engineer",
            "ict",
            "Hogeschool Utrecht",
            "8000,00",
            start.isoformat(),
            (start + relativedelta(months=6)).isoformat(),
            (start + relativedelta(years=2)).isoformat(),
        ]
    if shape == "share_of_costs":
        return ["12345678", "20000,00", (start + relativedelta(years=1)).isoformat(), "0", "", ""]
    return ["12345678", "1000000,00", (start + relativedelta(years=4)).isoformat(), "0", "", ""]


def columns_for(shape: str) -> dict[str, str]:
    return {"per_unit": UNIT_COLUMNS, "share_of_costs": COSTS_COLUMNS, "programme": PROGRAMME_COLUMNS}[shape]


def column_for_field(shape: str, field_name: str) -> str:
    for column, name in columns_for(shape).items():
        if name == field_name:
            return column
    return "kvk"


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


@dataclass
class Outcome:
    upload: BulkUpload
    errors: list[dict] = field(default_factory=list)
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.upload.status != BulkUpload.Status.REJECTED


class _Rollback(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors


# --- reading the file -------------------------------------------------------------------


def read_rows(name: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number as the spreadsheet shows it, {column: text}) for every non-empty row.

    ``sheets`` streams the file and refuses it (``sheets.Refused``, a ValueError) at the first limit it passes.
    """
    rows = sheets.table(name, content)
    first = next(rows, None)
    if first is None:
        raise sheets.Refused(_("Het bestand is leeg."))
    header = [str(h or "").strip().lower().replace(" ", "_").replace("-", "_") for h in first[1]]
    found = []
    for number, values in rows:
        texts = [sheets.cell_text(v) for v in values]
        if not any(texts):
            continue
        found.append((number, {header[i]: texts[i] for i in range(min(len(header), len(texts))) if header[i]}))
    return found


# --- validating and creating ---------------------------------------------------------------


def import_file(*, user: User, opening: Opening, upload) -> Outcome:
    """Create every draft in the file (an ``UploadedFile``), or none; record the upload either way.

    The file is refused on its declared size before it is read, and read at most to the limit.
    """
    name = clean_name(upload.name)
    try:
        content = sheets.read_upload(upload)
    except sheets.Refused as exc:
        return _refused(user=user, opening=opening, name=name, message=str(exc))
    digest = hashlib.sha256(content).hexdigest()
    earlier = (
        BulkUpload.objects.filter(uploaded_by=user, opening=opening, sha256=digest)
        .exclude(status=BulkUpload.Status.REJECTED)
        .first()
    )
    if earlier is not None:
        return Outcome(upload=earlier, duplicate=True)
    errors: list[RowError] = []
    rows: list[tuple[int, dict]] = []
    try:
        rows = read_rows(name, content)
    except sheets.Refused as exc:
        errors.append(RowError(0, "", str(exc)))
    if not errors and not rows:
        errors.append(RowError(0, "", _("Het bestand bevat geen rijen onder de kolomnamen.")))
    rules = opening.published_rules
    if not errors:
        missing = [c for c in REQUIRED[rules.shape] if c not in rows[0][1]]
        if missing:
            errors.append(
                RowError(1, ", ".join(missing), _("Deze kolommen ontbreken: %(cols)s.") % {"cols": ", ".join(missing)})
            )
    created: list[Application] = []
    if not errors:
        try:
            with transaction.atomic():
                created = _create_all(user=user, opening=opening, rows=rows, digest=digest)
        except _Rollback as exc:
            errors = exc.errors
            created = []
    upload = BulkUpload.objects.create(
        uploaded_by=user,
        opening=opening,
        file_name=name,
        sha256=digest,
        status=BulkUpload.Status.REJECTED if errors else BulkUpload.Status.CREATED,
        row_count=len(rows),
        errors=[e.as_dict() for e in sorted(errors, key=lambda e: (e.row, e.column))],
    )
    if created:
        upload.applications.set(created)
    return Outcome(upload=upload, errors=upload.errors)


def _refused(*, user: User, opening: Opening, name: str, message: str) -> Outcome:
    """A file refused before it was read: recorded, without a digest of what was never read."""
    upload = BulkUpload.objects.create(
        uploaded_by=user,
        opening=opening,
        file_name=name,
        sha256="",
        status=BulkUpload.Status.REJECTED,
        errors=[RowError(0, "", message).as_dict()],
    )
    return Outcome(upload=upload, errors=upload.errors)


def kvk_of(row: dict) -> str:
    """A spreadsheet keeps 01234567 as the number 1234567: give the KVK number its leading zeros back."""
    kvk = (row.get("kvk") or "").strip()
    return kvk.zfill(8) if kvk.isdigit() and len(kvk) < 8 else kvk


def _group(rows, shape: str) -> dict[str, list[tuple[int, dict]]]:
    groups: dict[str, list[tuple[int, dict]]] = {}
    for number, row in rows:
        groups.setdefault(kvk_of(row), []).append((number, row))
    return groups


def _create_all(*, user: User, opening: Opening, rows, digest: str) -> list[Application]:
    rules = opening.published_rules
    shape = rules.shape
    errors: list[RowError] = []
    created: list[Application] = []
    if shape == "per_unit":
        groups = _group(rows, shape)
    else:
        groups = {}
        seen: dict[str, int] = {}
        for number, row in rows:
            kvk = kvk_of(row)
            if kvk in seen and rules.one_per_window:
                errors.append(
                    RowError(
                        number,
                        "kvk",
                        _("KVK %(kvk)s staat al in rij %(row)s; per openstelling mag een werkgever één aanvraag doen.")
                        % {"kvk": kvk, "row": seen[kvk]},
                    )
                )
                continue
            seen.setdefault(kvk, number)
            groups[f"{kvk}#{number}"] = [(number, row)]
    for key, group in groups.items():
        kvk = key.split("#")[0]
        if not kvk:
            errors.extend(RowError(n, "kvk", _("Vul het KVK-nummer van de werkgever in.")) for n, _r in group)
            continue
        data, row_errors = _draft_data(rules, group)
        if row_errors:
            # every error of a row, not the first: the rules judge what could be read as well
            errors.extend(row_errors)
            errors.extend(_rule_errors(rules, group, row_errors))
            continue
        if rules.max_units_per_applicant and shape == "per_unit" and len(group) > rules.max_units_per_applicant:
            errors.append(
                RowError(
                    group[rules.max_units_per_applicant][0],
                    "kvk",
                    _("Voor KVK %(kvk)s staan %(n)s trajecten in het bestand; ten hoogste %(max)s per werkgever.")
                    % {"kvk": kvk, "n": len(group), "max": rules.max_units_per_applicant},
                )
            )
            continue
        try:
            with transaction.atomic():
                application = services.create_draft(
                    user=user,
                    opening=opening,
                    organisation_kvk=kvk,
                    data=data,
                    idempotency_key=f"bulk:{digest[:40]}:{key}"[:64],
                )
        except services.ActionError as exc:
            errors.extend(_service_errors(shape, group, exc))
            continue
        result = checks.check_limits(application)
        if not result.ok:
            for field_key, messages in result.errors_by_field().items():
                number, column = _locate(shape, group, field_key)
                errors.extend(RowError(number, column, m) for m in messages)
            continue
        created.append(application)
    if errors:
        raise _Rollback(errors)
    return created


def _amount(text: str) -> Decimal | None:
    try:
        return money_field("x", required=False).clean(text or "")
    except ValidationError:
        return None


def _rule_errors(rules, group, found: list[RowError]) -> list[RowError]:
    """The published rules on the amounts of rows that have other errors, at the cells not already refused."""
    shape = rules.shape
    if shape == "per_unit":
        stand_in = rules.min_unit_cost if rules.min_unit_cost is not None else Decimal("0.00")
        costs = [_amount(row.get("kosten", "")) for _number, row in group]
        result = rules.compute(unit_costs=[cost if cost is not None else stand_in for cost in costs])
    else:
        row = group[0][1]
        column = "subsidiabele_kosten" if shape == "share_of_costs" else "gevraagd_bedrag"
        value = _amount(row.get(column, ""))
        if value is None:
            return []
        if shape == "share_of_costs":
            result = rules.compute(eligible_costs=value)
        else:
            result = rules.compute(requested_amount=value)
    taken = {(e.row, e.column) for e in found}
    out = []
    for field_key, messages in result.errors_by_field().items():
        number, column = _locate(shape, group, field_key)
        if (number, column) not in taken:
            out.extend(RowError(number, column, m) for m in messages)
    return out


def _draft_data(rules, group) -> tuple[dict, list[RowError]]:
    """What a row says, read by the portal's own forms with the same checks as the steps."""
    shape = rules.shape
    errors: list[RowError] = []
    if shape == "per_unit":
        units = []
        for number, row in group:
            row_data = {name: row.get(column, "") for column, name in UNIT_COLUMNS.items() if name != "kvk"}
            row_data["occupation_sector"] = row_data["occupation_sector"].strip().lower()
            form = UnitRowForm(row_data)
            if form.is_valid():
                units.append(form.as_service_row())
            else:
                for name, messages in form.errors.items():
                    errors.extend(RowError(number, column_for_field(shape, name), m) for m in messages)
        return {"units": units}, errors
    number, row = group[0]
    data: dict = {}
    if shape == "share_of_costs":
        form = CostsForm({"project_end_date": row.get("einddatum_project", "")})
    else:
        form = ProgrammeForm(
            {"requested_amount": row.get("gevraagd_bedrag", ""), "project_end_date": row.get("einddatum_project", "")}
        )
    declarations = DeclarationsForm({"de_minimis_declared": row.get("de_minimis", "")}, de_minimis=rules.de_minimis)
    if rules.de_minimis and not (row.get("de_minimis") or "").strip():
        errors.append(RowError(number, "de_minimis", DeclarationsForm.de_minimis_message))
    errors.extend(_dated_aid(rules, number, row, data))
    for each in (form, declarations):
        if each.is_valid():
            for key, value in each.cleaned_data.items():
                if key == "truthfulness_declared":
                    continue
                if value is not None:
                    data[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        else:
            for name, messages in each.errors.items():
                errors.extend(RowError(number, column_for_field(shape, name), m) for m in messages)
    if shape == "share_of_costs":
        try:
            data["eligible_costs"] = str(money_field("x").clean(row.get("subsidiabele_kosten", "")))
        except Exception as exc:
            errors.append(RowError(number, "subsidiabele_kosten", " ".join(getattr(exc, "messages", [str(exc)]))))
    return data, errors


def _dated_aid(rules, number: int, row: dict, data: dict) -> list[RowError]:
    """The row's de-minimis aid as one dated declaration, where it gives the date or the provider: the portal's
    own row form reads it, and only aid granted in the three years before the decision counts."""
    if not rules.de_minimis or all(row.get(c) in (None, "") for c in ("de_minimis_datum", "de_minimis_verstrekker")):
        return []
    aid = DeMinimisRowForm(
        {
            "amount": row.get("de_minimis", ""),
            "granted_on": row.get("de_minimis_datum", ""),
            "provider": row.get("de_minimis_verstrekker", ""),
        }
    )
    if aid.is_valid():
        data["de_minimis_declarations"] = [aid.as_service_row()]
        return []
    columns = {"amount": "de_minimis", "granted_on": "de_minimis_datum", "provider": "de_minimis_verstrekker"}
    return [RowError(number, columns[name], m) for name, messages in aid.errors.items() for m in messages]


def _locate(shape: str, group, field_key: str) -> tuple[int, str]:
    parts = field_key.split(".")
    if parts[0] == "de_minimis_declarations" and len(parts) >= 3:
        return group[0][0], "de_minimis" if parts[2] == "amount" else column_for_field(shape, parts[2])
    if parts[0] == "units" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(group):
        return group[int(parts[1])][0], column_for_field(shape, parts[2])
    if parts[0] in ("opening", "units", "organisation"):
        return group[0][0], "kvk"
    return group[0][0], column_for_field(shape, parts[0])


def _service_errors(shape: str, group, exc: services.ActionError) -> list[RowError]:
    if not exc.errors:
        return [RowError(group[0][0], "kvk", exc.detail)]
    out = []
    for field_key, messages in exc.errors.items():
        number, column = _locate(shape, group, field_key)
        if field_key == "organisation":
            messages = [exc.detail]
        out.extend(RowError(number, column, m) for m in messages)
    return out


# --- submitting the drafts together ----------------------------------------------------------


def submit_all(*, upload: BulkUpload, user: User) -> list[tuple[Application, str]]:
    """Submit every draft of an upload, each on its own; what could not be submitted says why."""
    refusals = []
    for application in upload.applications.select_related("opening__scheme").order_by("id"):
        if application.state != State.DRAFT:
            continue
        try:
            services.perform(application, "submit", user, {"truthfulness_declared": True})
        except services.ActionError as exc:
            refusals.append((application, exc.detail))
    if not upload.applications.filter(state=State.DRAFT).exists():
        upload.status = BulkUpload.Status.SUBMITTED
        upload.save(update_fields=["status"])
    return refusals
