"""Exports: the figures of a report (CSV, XLSX) and the applications behind it (streamed).

Made for a spreadsheet set to Dutch: the CSV has semicolons, decimal commas
and a UTF-8 byte order mark (Excel reads the accents right and splits the
columns); ``csv-intl`` gives commas and decimal points instead. The XLSX keeps
numbers as numbers, amounts with two decimals and dates as dates. States,
channels, sectors, size classes and provinces appear with their Dutch label,
their code in a column of its own. Figures a demonstration made up are marked
in a column "illustratief" (see ``queries.illustrative``).

The applications export never holds more than one chunk of rows in memory:
CSV is streamed row by row from ``.iterator(chunk_size=…)``; XLSX is written
by openpyxl in write-only mode to a temporary file that is then streamed.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from applications.states import State

from .queries import Scope, export_row, is_illustrative, report_applications
from .queries.illustrative import NOTE, batch_is_illustrative
from .tables import LEVELS, code_label, figure_rows

CHUNK = 2000
BOM = "\ufeff"
# name → (delimiter, decimal mark); "csv" is for Dutch Excel
CSV_DIALECTS = {"csv": (";", ","), "csv-intl": (",", ".")}
FORMATS = (*CSV_DIALECTS, "xlsx")

_MONEY = re.compile(r"^-?\d+\.\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DATE_FORMAT = "DD-MM-YYYY"
MOMENT_FORMAT = "DD-MM-YYYY HH:MM"
MONEY_FORMAT = "#,##0.00"


class _Echo:
    def write(self, value: str) -> str:
        return value


def typed(value):
    """A figure as a spreadsheet keeps it: amounts as Decimal, dates as dates, moments as local times."""
    if isinstance(value, str):
        if _MONEY.match(value):
            return Decimal(value)
        if _DATE.match(value):
            return datetime.date.fromisoformat(value)
        if _MOMENT.match(value):
            moment = datetime.datetime.fromisoformat(value)
            return timezone.localtime(moment).replace(tzinfo=None) if timezone.is_aware(moment) else moment
    return value


def as_text(value, decimal: str) -> str:
    """A cell for the CSV: decimal comma (or point), dates as DD-MM-YYYY for the Dutch dialect."""
    value = typed(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("ja") if value else gettext("nee")
    if isinstance(value, Decimal | float):
        return str(value).replace(".", decimal)
    if isinstance(value, datetime.datetime):
        return value.strftime("%d-%m-%Y %H:%M" if decimal == "," else "%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y") if decimal == "," else value.isoformat()
    return str(value)


def _cell(sheet, value):
    """A typed cell for the write-only sheet: dates and amounts get their number format."""
    value = typed(value)
    if isinstance(value, datetime.datetime | datetime.date | Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, datetime.datetime):
            cell.number_format = MOMENT_FORMAT
        elif isinstance(value, datetime.date):
            cell.number_format = DATE_FORMAT
        else:
            cell.number_format = MONEY_FORMAT
        return cell
    return value


# --- the figures ---------------------------------------------------------------------------------

FIGURE_HEADER = ["figuur", "omschrijving", "waarde", "code", "illustratief"]


def figure_table(report: dict) -> Iterator[list]:
    """(key, label, value, code, illustrative note): a code (a warning level) shows as its Dutch label."""
    block = report.get("illustrative")
    note = gettext(NOTE)
    for key, label, value in figure_rows(report, derived=True):
        code = ""
        if key.endswith(".level") or key == "early_warning.level":
            code, value = value or "", str(LEVELS.get(value, value)) if value else None
        yield [key, label, value, code, note if is_illustrative(key, block) else ""]


def figures_csv_lines(report: dict, dialect: str = "csv") -> Iterator[str]:
    delimiter, decimal = CSV_DIALECTS[dialect]
    writer = csv.writer(_Echo(), delimiter=delimiter)
    yield BOM + writer.writerow(FIGURE_HEADER)
    for row in figure_table(report):
        yield writer.writerow([as_text(v, decimal) if i == 2 else v for i, v in enumerate(row)])


def figures_xlsx(report: dict, path: str) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("cijfers")
    sheet.append(FIGURE_HEADER)
    for row in figure_table(report):
        sheet.append([_cell(sheet, v) if i == 2 else v for i, v in enumerate(row)])
    book.save(path)


# --- the applications ----------------------------------------------------------------------------

# (heading, what the value is): "code" columns keep the code, the column after it the Dutch label
APPLICATION_HEADER = [
    "kenmerk",
    "openstelling",
    "status op peildatum (code)",
    "status op peildatum",
    "kanaal (code)",
    "kanaal",
    "sector (code)",
    "sector",
    "grootteklasse (code)",
    "grootteklasse",
    "provincie (code)",
    "provincie",
    "eenheden",
    "aangevraagd bedrag",
    "verleend bedrag",
    "ingediend",
    "besluit",
    "illustratief",
]


def _state_label(code: str) -> str:
    if code.startswith(f"{State.CLOSED} ("):
        closed_from = code[len(State.CLOSED) + 2 : -1]
        return f"{State(State.CLOSED).label} ({_state_label(closed_from)})"
    try:
        return str(State(code).label)
    except ValueError:
        return code


def application_table(scope: Scope, end: datetime.datetime) -> Iterator[list]:
    note = gettext(NOTE)
    for values in report_applications(scope, end).iterator(chunk_size=CHUNK):
        (reference, opening, state, channel, sector, size, province, units, requested, granted, sub, dec, batch) = (
            export_row(values)
        )
        yield [
            reference,
            opening,
            state,
            _state_label(state),
            channel,
            code_label("channel", channel),
            sector,
            code_label("sector", sector),
            size,
            code_label("size_class", size),
            province,
            code_label("province", province) if province else "",
            units,
            requested,
            granted,
            sub,
            dec,
            note if batch_is_illustrative(batch) else "",
        ]


def application_csv_lines(scope: Scope, end: datetime.datetime, dialect: str = "csv") -> Iterator[str]:
    delimiter, decimal = CSV_DIALECTS[dialect]
    writer = csv.writer(_Echo(), delimiter=delimiter)
    yield BOM + writer.writerow(APPLICATION_HEADER)
    for row in application_table(scope, end):
        yield writer.writerow([as_text(v, decimal) for v in row])


def applications_xlsx(scope: Scope, end: datetime.datetime, path: str) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("aanvragen")
    sheet.append(APPLICATION_HEADER)
    for row in application_table(scope, end):
        sheet.append([_cell(sheet, v) for v in row])
    book.save(path)


def temporary_path(suffix: str) -> str:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    handle.close()
    return handle.name
