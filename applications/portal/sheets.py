"""Reading an uploaded CSV or XLSX without letting the file decide how much work that is.

A spreadsheet is small on the wire and can be enormous inside: a 256 KB XLSX can
hold a million rows, or declare a sheet of 16.384 columns by a million rows that
the reader would fill with empty cells. So every limit is checked before the work
it guards: the size the upload declares before a byte is read, the sizes the
zip's directory declares before anything is unpacked (Python's zipfile never
unpacks a member past the size its directory declares), and the rows one by one
while the sheet streams, stopping at the first row past the limit. A file past a
limit is refused whole, with a message that says which limit.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import load_workbook

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
# Empty rows are skipped, not counted, but each costs a little: an Excel sheet with formatted
# empty rows below the data is normal, a million of them is not.
MAX_SCANNED_ROWS = 10 * MAX_ROWS
MAX_COLUMNS = 50
MAX_LINE = 10_000  # characters in one CSV line; a row of 9 columns of 255 characters is under 2.500
MAX_CELL = 5_000  # characters in one cell; no field of a row holds more than 255
# What an XLSX of 2.000 rows unpacks to is a few MB; these leave room and no more.
MAX_MEMBERS = 200
MAX_MEMBER_BYTES = 4 * 1024 * 1024
MAX_UNPACKED_BYTES = 12 * 1024 * 1024
MAX_RATIO = 100  # uncompressed : compressed, for members of more than RATIO_FROM bytes
RATIO_FROM = 1024 * 1024


class Refused(ValueError):
    """The file is refused whole; the message says why, in plain Dutch."""


def _mb(value: int) -> str:
    return str(value // (1024 * 1024))


def too_large_message() -> str:
    return _("Het bestand is groter dan %(mb)s MB.") % {"mb": _mb(MAX_BYTES)}


def too_many_rows_message() -> str:
    return _("Ten hoogste %(max)s rijen per bestand.") % {"max": f"{MAX_ROWS:,}".replace(",", ".")}


def read_upload(upload) -> bytes:
    """The upload's bytes, refused on its declared size before reading and never read past the limit."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise Refused(too_large_message())
    upload.seek(0)
    chunks, total = [], 0
    for chunk in upload.chunks():
        total += len(chunk)
        if total > MAX_BYTES:
            raise Refused(too_large_message())
        chunks.append(chunk)
    return b"".join(chunks)


def table(name: str, content: bytes) -> Iterator[tuple[int, list]]:
    """(row number as the spreadsheet shows it, cell values) for the header and every row, within the limits."""
    lowered = (name or "").lower()
    if lowered.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        rows = _xlsx(content)
    elif lowered.endswith(".csv") or lowered.endswith(".txt"):
        rows = _csv(content)
    else:
        raise Refused(_("Upload een CSV- of XLSX-bestand."))
    yield from _bounded(rows)


def _bounded(rows: Iterator[list]) -> Iterator[tuple[int, list]]:
    filled = 0
    for number, values in enumerate(rows, start=1):
        if number > MAX_SCANNED_ROWS + 1:
            raise Refused(too_many_rows_message())
        values = list(values)[:MAX_COLUMNS]
        if number > 1 and any(v not in (None, "") for v in values):
            filled += 1
            if filled > MAX_ROWS:
                raise Refused(too_many_rows_message())
        for value in values:
            if isinstance(value, str) and (len(value) > MAX_CELL or "\x00" in value):
                raise Refused(
                    _("Rij %(row)s bevat een cel die te lang is of een ongeldig teken bevat.") % {"row": number}
                )
        yield number, values


# --- CSV ---------------------------------------------------------------------------------


def _csv(content: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refused(_("Dit CSV-bestand kan niet worden gelezen: sla het op als UTF-8."))
    lines = _lines(text)
    first = next(lines, "")
    delimiter = ";" if first.count(";") > first.count(",") else ","

    def all_lines():
        yield first
        yield from lines

    try:
        yield from csv.reader(all_lines(), delimiter=delimiter)
    except csv.Error:
        raise Refused(_("Dit CSV-bestand kan niet worden gelezen.")) from None


def _lines(text: str) -> Iterator[str]:
    stream = io.StringIO(text, newline="")
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line.rstrip("\r\n")) > MAX_LINE:
            raise Refused(
                _("Een regel in dit bestand is langer dan %(max)s tekens; dat is geen rij van aanvragen.")
                % {"max": f"{MAX_LINE:,}".replace(",", ".")}
            )
        yield line


# --- XLSX --------------------------------------------------------------------------------


def check_archive(content: bytes) -> None:
    """Refuse an XLSX on what its zip directory declares, before anything is unpacked."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise Refused(_("Dit XLSX-bestand kan niet worden gelezen.")) from None
    unpacked_too_large = _(
        "Dit XLSX-bestand pakt uit tot meer dan %(mb)s MB; zoveel heeft een bestand van %(rows)s rijen niet nodig."
    )
    if len(members) > MAX_MEMBERS:
        raise Refused(_("Dit XLSX-bestand bestaat uit te veel onderdelen om een gewone spreadsheet te zijn."))
    total = 0
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise Refused(unpacked_too_large % {"mb": _mb(MAX_MEMBER_BYTES), "rows": f"{MAX_ROWS:,}".replace(",", ".")})
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise Refused(_("Dit XLSX-bestand is verdacht sterk gecomprimeerd; het wordt niet uitgepakt."))
        total += member.file_size
    if total > MAX_UNPACKED_BYTES:
        raise Refused(unpacked_too_large % {"mb": _mb(MAX_UNPACKED_BYTES), "rows": f"{MAX_ROWS:,}".replace(",", ".")})


def _xlsx(content: bytes) -> Iterator[list]:
    check_archive(content)
    unreadable = _("Dit XLSX-bestand kan niet worden gelezen.")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise Refused(unreadable) from None
    try:
        if not workbook.worksheets:
            raise Refused(unreadable)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the sheet's own <dimension> can say one row (and hide the rest) or a million
        # At most MAX_COLUMNS wide: the sheet's own <dimension> (A1:XFD1048576) would have every row padded to
        # 16.384 cells. Rows are taken one at a time and ``_bounded`` stops at the first one past the limits.
        rows = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Refused:
                raise
            except Exception:  # a broken sheet: bad XML, a date past the calendar, a string that is not there
                raise Refused(unreadable) from None
            yield values
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A cell as the forms read it: dates as ISO dates, numbers without float noise, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, int):
        return str(value)
    return str(value).strip()
