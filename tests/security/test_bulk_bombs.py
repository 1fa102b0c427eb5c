"""Bulk upload bombs: a small file that is enormous inside is refused before it is unpacked or read to the end.

Each test replays an attack on an intermediary's bulk upload for a SLIM opening and checks that the file is
refused whole with a plain Dutch message, that no draft was made, and what the ``BulkUpload`` record says.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from applications.models import Application, BulkUpload
from applications.portal import bulk, sheets
from tests import factories as f

pytestmark = pytest.mark.django_db

HEADER = ["kvk", "subsidiabele_kosten", "einddatum_project", "de_minimis"]
SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture
def world(db):
    slim = f.slim_scheme(code="slim-bommen")
    fund = f.intermediary(username="fonds-bommen")
    employer = f.OrganisationFactory(name="Werkgever Bommen B.V.")
    f.mandate(employer, fund.organisation, [slim])
    return {"fund": fund, "employer": employer, "opening": f.open_opening(slim)}


def upload(client, world, name: str, content: bytes):
    return client.post(
        reverse("portal:bulk"), {"opening": world["opening"].code, "file": SimpleUploadedFile(name, content)}
    )


def refusal(world) -> str:
    """The one message of the one rejected upload; nothing else was made."""
    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.REJECTED and record.applications.count() == 0
    assert not Application.objects.exists()
    assert [(e["row"], e["column"]) for e in record.errors] == [(0, "")]
    return record.errors[0]["message"]


def plain_xlsx() -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_with(members: dict[str, bytes]) -> bytes:
    """A real workbook with some of its parts replaced or added, each deflated as Excel does."""
    source = zipfile.ZipFile(io.BytesIO(plain_xlsx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in source.infolist():
            if info.filename not in members:
                out.writestr(info.filename, source.read(info.filename))
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


def sheet_xml(rows: str, dimension: str = "A1:D1") -> bytes:
    header = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>' for col, name in zip("ABCD", HEADER, strict=True)
    )
    return (
        f'<worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData><row r="1">{header}</row>'
        f"{rows}</sheetData></worksheet>"
    ).encode()


def data_rows(first: int, last: int, kvk: str) -> str:
    return "".join(
        f'<row r="{n}"><c r="A{n}"><v>{kvk}</v></c><c r="B{n}"><v>20000</v></c></row>' for n in range(first, last)
    )


# --- the declared size ---------------------------------------------------------------------------------------


class DeclaresSixMegabytes(SimpleUploadedFile):
    """An upload that says it is 6 MB and fails the test if anyone reads it."""

    def __init__(self):
        super().__init__("aanvragen.csv", b"kvk;subsidiabele_kosten\n")
        self.size = 6 * 1024 * 1024

    def read(self, *args, **kwargs):
        raise AssertionError("the file was read before its declared size was checked")

    def chunks(self, *args, **kwargs):
        raise AssertionError("the file was read before its declared size was checked")


def test_a_file_that_declares_more_than_5_mb_is_refused_without_reading_a_byte(world):
    outcome = bulk.import_file(user=world["fund"], opening=world["opening"], upload=DeclaresSixMegabytes())
    assert not outcome.ok
    assert refusal(world) == "Het bestand is groter dan 5 MB."
    assert BulkUpload.objects.get().sha256 == ""  # no digest of what was never read


def test_the_upload_form_refuses_a_file_over_5_mb_with_the_message_beside_the_field(world, client_for):
    content = b"kvk;subsidiabele_kosten\n" + b"12345678;1000\n" * (5 * 1024 * 1024 // 14)
    response = upload(client_for(world["fund"]), world, "aanvragen.csv", content)
    assert response.status_code == 200
    assert "Het bestand is groter dan 5 MB." in response.content.decode()
    assert not BulkUpload.objects.exists() and not Application.objects.exists()


# --- rows: streamed, stopped at the first row past the limit ----------------------------------------------------


def test_an_xlsx_of_a_million_rows_in_a_few_hundred_kb_is_refused_on_its_unpacked_size(world, client_for):
    # Rows may leave out their number (r="…"): a million identical rows deflate to almost nothing.
    row = f"<row><c><v>{world['employer'].kvk}</v></c><c><v>20000</v></c></row>"
    bomb = xlsx_with({SHEET: sheet_xml(row * 1_000_000, "A1:D1000001")})
    assert len(bomb) < 256 * 1024  # small on the wire
    upload(client_for(world["fund"]), world, "bom.xlsx", bomb)
    assert refusal(world) == (
        "Dit XLSX-bestand pakt uit tot meer dan 4 MB; zoveel heeft een bestand van 2.000 rijen niet nodig."
    )


def test_an_xlsx_past_2000_rows_is_refused_at_the_first_row_past_the_limit_without_reading_the_rest(world, client_for):
    # 2.001 rows, then XML that breaks the sheet: a reader that went on to the end would fail on it.
    rows = data_rows(2, 2003, world["employer"].kvk) + '<row r="2003"><c r="A2003"><v>1</v></c>' + "<broken" * 50
    # The sheet's <dimension> says one row: the rows are counted as they come, not as declared.
    upload(client_for(world["fund"]), world, "te-veel.xlsx", xlsx_with({SHEET: sheet_xml(rows, "A1:D1")}))
    assert refusal(world) == "Ten hoogste 2.000 rijen per bestand."


def test_an_xlsx_that_declares_a_sheet_of_16384_columns_by_a_million_rows_is_refused(world, client_for):
    # One cell in the last row of the largest sheet Excel knows: read as declared, a million rows of
    # 16.384 empty cells each. Read with our bounds, 20.000 empty rows and then the refusal.
    last = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    upload(client_for(world["fund"]), world, "dimensie.xlsx", xlsx_with({SHEET: sheet_xml(last, "A1:XFD1048576")}))
    assert refusal(world) == "Ten hoogste 2.000 rijen per bestand."


def test_a_csv_past_2000_rows_is_refused_and_nothing_is_made(world, client_for):
    lines = ["kvk;subsidiabele_kosten;einddatum_project;de_minimis"]
    lines += [f"{world['employer'].kvk};20000,00;2027-12-31;0"] * 2001
    upload(client_for(world["fund"]), world, "aanvragen.csv", "\n".join(lines).encode())
    assert refusal(world) == "Ten hoogste 2.000 rijen per bestand."


def test_a_csv_of_empty_lines_is_stopped_long_before_its_end(world, client_for):
    content = b"kvk;subsidiabele_kosten\n" + b"\n" * (4 * 1024 * 1024)  # four million empty rows
    upload(client_for(world["fund"]), world, "leeg.csv", content)
    assert refusal(world) == "Ten hoogste 2.000 rijen per bestand."


def test_a_csv_with_an_absurdly_long_line_is_refused(world, client_for):
    content = b"kvk;subsidiabele_kosten\n" + world["employer"].kvk.encode() + b";" + b"9" * 2_000_000 + b"\n"
    upload(client_for(world["fund"]), world, "lang.csv", content)
    assert refusal(world) == "Een regel in dit bestand is langer dan 10.000 tekens; dat is geen rij van aanvragen."


def test_a_csv_with_a_quoted_field_that_never_ends_is_refused(world, client_for):
    content = b'kvk;subsidiabele_kosten\n12345678;"' + b"9999\n" * 100_000
    upload(client_for(world["fund"]), world, "open-aanhalingsteken.csv", content)
    assert refusal(world) in {
        "Dit CSV-bestand kan niet worden gelezen.",
        "Rij 2 bevat een cel die te lang is of een ongeldig teken bevat.",
    }


def test_a_nul_character_in_a_cell_is_refused_before_it_reaches_the_database(world, client_for):
    content = f"kvk;subsidiabele_kosten\n{world['employer'].kvk}\x00;20000\n".encode()
    upload(client_for(world["fund"]), world, "nul.csv", content)
    assert refusal(world) == "Rij 2 bevat een cel die te lang is of een ongeldig teken bevat."


# --- the zip's directory, before anything is unpacked ---------------------------------------------------------


def test_a_zip_bomb_in_the_shared_strings_is_refused_before_it_is_unpacked(world, client_for):
    strings = (
        f'<sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>'.encode() + b"A" * (30 * 1024 * 1024) + b"</t></si></sst>"
    )
    bomb = xlsx_with({"xl/sharedStrings.xml": strings})
    assert len(bomb) < 100 * 1024
    upload(client_for(world["fund"]), world, "strings.xlsx", bomb)
    assert refusal(world) == (
        "Dit XLSX-bestand pakt uit tot meer dan 4 MB; zoveel heeft een bestand van 2.000 rijen niet nodig."
    )


def test_a_member_that_unpacks_a_hundred_times_its_size_is_refused(world, client_for):
    strings = (
        f'<sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>'.encode() + b"A" * (2 * 1024 * 1024) + b"</t></si></sst>"
    )
    upload(client_for(world["fund"]), world, "verdicht.xlsx", xlsx_with({"xl/sharedStrings.xml": strings}))
    assert refusal(world) == "Dit XLSX-bestand is verdacht sterk gecomprimeerd; het wordt niet uitgepakt."


def test_members_that_together_unpack_past_the_limit_are_refused(world, client_for, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_UNPACKED_BYTES", 1024 * 1024)  # the total, not any one member, is past it
    filler = {f"xl/media/plaatje{n}.bin": bytes(range(256)) * 1600 for n in range(3)}  # 3 x 400 KB
    upload(client_for(world["fund"]), world, "veel.xlsx", xlsx_with(filler))
    assert refusal(world) == (
        "Dit XLSX-bestand pakt uit tot meer dan 1 MB; zoveel heeft een bestand van 2.000 rijen niet nodig."
    )


def test_a_file_that_only_looks_like_a_zip_is_refused_as_unreadable(world, client_for):
    upload(client_for(world["fund"]), world, "kapot.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    assert refusal(world) == "Dit XLSX-bestand kan niet worden gelezen."


def test_a_date_past_the_calendar_in_an_xlsx_is_refused_in_its_row(world, client_for):
    # A number with a date format that Python's calendar cannot hold: the reader gives up on the cell.
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([world["employer"].kvk, 20000, 1e12, 0])
    sheet["C2"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.warns(UserWarning, match="outside the limits for dates"):
        upload(client_for(world["fund"]), world, "datum.xlsx", buffer.getvalue())
    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.REJECTED and not Application.objects.exists()
    assert [(e["row"], e["column"]) for e in record.errors] == [(2, "einddatum_project")]


def test_a_good_file_under_every_limit_still_makes_its_drafts(world, client_for):
    rows = [HEADER, [world["employer"].kvk, "20000,00", "2027-12-31", "0"]]
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    upload(client_for(world["fund"]), world, "goed.xlsx", buffer.getvalue())
    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.CREATED and record.applications.count() == 1
