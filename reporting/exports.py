"""Exports: the figures of a report (CSV, XLSX) and the applications behind it (streamed).

The applications export never holds more than one chunk of rows in memory:
CSV is streamed row by row from ``.iterator(chunk_size=…)``; XLSX is written
by openpyxl in write-only mode to a temporary file that is then streamed.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Iterator

from openpyxl import Workbook

from .queries import EXPORT_COLUMNS, Scope, export_row, report_applications
from .tables import figure_rows

CHUNK = 2000


class _Echo:
    def write(self, value: str) -> str:
        return value


def figures_csv_lines(report: dict) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(["figuur", "omschrijving", "waarde"])
    for key, label, value in figure_rows(report):
        yield writer.writerow([key, label, "" if value is None else value])


def figures_xlsx(report: dict, path: str) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("cijfers")
    sheet.append(["figuur", "omschrijving", "waarde"])
    for key, label, value in figure_rows(report):
        sheet.append([key, label, value])
    book.save(path)


def application_csv_lines(scope: Scope, end: datetime.datetime) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([label for _key, label in EXPORT_COLUMNS])
    for values in report_applications(scope, end).iterator(chunk_size=CHUNK):
        yield writer.writerow(export_row(values))


def applications_xlsx(scope: Scope, end: datetime.datetime, path: str) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("aanvragen")
    sheet.append([label for _key, label in EXPORT_COLUMNS])
    for values in report_applications(scope, end).iterator(chunk_size=CHUNK):
        sheet.append(export_row(values))
    book.save(path)


def temporary_path(suffix: str) -> str:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    handle.close()
    return handle.name
