"""Who sees the reports, and the exports read back equal to the JSON."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from applications.models import Role
from reporting.models import ReportJob
from reporting.queries import kpi_report
from reporting.tables import flatten

from .story import make_user, organisation

pytestmark = pytest.mark.django_db

AS_OF = "2024-04-01"


def api(client, user, scope, code, as_of=AS_OF):
    client.force_login(user)
    return client.get(f"/api/v1/reports/{scope}/{code}/", {"as_of": as_of} if as_of else {})


def test_the_api_gives_the_same_json_as_the_command(client, story, capsys):
    response = api(client, story.manager, "scheme", story.scheme.code)
    assert response.status_code == 200
    call_command("kpi_report", story.scheme.code, "--scope", "scheme", "--as-of", AS_OF)
    printed = json.loads(capsys.readouterr().out)
    assert response.json() == printed == json.loads(json.dumps(kpi_report("scheme", story.scheme.code, AS_OF)))
    assert printed["applications"]["submitted"] == 5


def test_the_table_format_speaks_dutch(story, capsys):
    call_command("kpi_report", story.opening.code, "--scope", "opening", "--as-of", "2024-03-11", "--format", "table")
    out = capsys.readouterr().out
    assert "aanvragen ingediend" in out and "vroegsignaal" in out and "oranje" in out


def test_the_api_explains_a_bad_date_scope_or_code(client, story):
    response = api(client, story.manager, "scheme", story.scheme.code, as_of="15-09-2021")
    assert response.status_code == 400 and "JJJJ-MM-DD" in response.json()["detail"]
    assert api(client, story.manager, "regio", "noord").status_code == 400
    response = api(client, story.admin, "opening", "bestaat-niet")
    assert response.status_code == 404 and "bestaat-niet" in response.json()["detail"]


def test_applicants_intermediaries_reviewers_and_other_teams_are_refused(client, story):
    fund = organisation("11000009", "Opleidingsfonds", "onderwijs", "sme", "utrecht")
    fund.is_intermediary = True
    fund.save()
    intermediary = make_user("fonds", Role.INTERMEDIARY, fund)
    for user in (story.employer_a, intermediary, story.reviewer):
        for scope, code in (("scheme", story.scheme.code), ("portfolio", "all")):
            response = api(client, user, scope, code)
            assert response.status_code == 403, user
            assert "figures" not in response.json() and "applications" not in response.json()
        client.force_login(user)
        assert client.get(reverse("reporting:dashboard")).status_code == 403
        assert client.get(reverse("reporting:scheme", args=[story.scheme.code])).status_code == 403
        url = reverse("reporting:applications-export", args=["scheme", story.scheme.code, "csv"])
        assert client.get(url).status_code == 403
    # a program manager of another team sees neither this scheme nor its opening
    assert api(client, story.other_manager, "scheme", story.scheme.code).status_code == 403
    assert api(client, story.other_manager, "opening", story.opening.code).status_code == 403
    client.force_login(story.other_manager)
    assert client.get(reverse("reporting:scheme", args=[story.scheme.code])).status_code == 403
    # ... and the portfolio shows only the schemes of the team
    response = api(client, story.other_manager, "portfolio", "all")
    assert response.status_code == 200
    assert list(response.json()["groups"]["by_scheme"]) == [story.other_scheme.code]
    assert response.json()["applications"]["submitted"] == 0
    client.logout()
    assert client.get(f"/api/v1/reports/scheme/{story.scheme.code}/").status_code in (401, 403)


def test_dashboards_show_the_figures_with_charts_and_tables(client, story):
    client.force_login(story.manager)
    page = client.get(reverse("reporting:opening", args=[story.opening.code]), {"as_of": "2024-03-11"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<svg") >= 5 and "<table" in html
    assert "Oranje" in html and "Trechter" in html
    assert "Deelnemer" not in html and "Bedrijf A" not in html  # no personal data, no names
    page = client.get(reverse("reporting:dashboard"), {"as_of": AS_OF})
    assert page.status_code == 200 and story.scheme.name in page.content.decode()
    page = client.get(reverse("reporting:scheme", args=[story.scheme.code]), {"as_of": "gisteren"})
    assert page.status_code == 200 and "JJJJ-MM-DD" in page.content.decode()
    client.force_login(story.admin)
    assert client.get(reverse("reporting:scheme", args=[story.scheme.code])).status_code == 200


LEVEL_WORDS = {"red": "rood", "amber": "oranje", "green": "groen", "no_data": "geen gegevens"}


def read_csv(content: bytes, delimiter: str = ";") -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def _read_back(text: str, value, decimal: str):
    """What a Dutch spreadsheet makes of a CSV cell, to compare with the JSON's value."""
    if value is None or text == "":
        return None if text == "" else text
    if isinstance(value, bool):
        return {"ja": True, "nee": False}[text]
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value)):
        assert (decimal == ".") or "." not in text, f"{text}: a decimal comma, no point"
        return Decimal(text.replace(decimal, "."))
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return datetime.datetime.strptime(text, "%d-%m-%Y" if decimal == "," else "%Y-%m-%d").date()
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value):
        return datetime.datetime.strptime(text, "%d-%m-%Y %H:%M" if decimal == "," else "%Y-%m-%d %H:%M")
    return text


def _json_value(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value):
        return Decimal(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return datetime.date.fromisoformat(value)
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value):  # a moment: in Amsterdam, as Excel shows it
        return timezone.localtime(datetime.datetime.fromisoformat(value)).replace(tzinfo=None, second=0)
    return value


def test_figure_exports_read_back_equal_to_the_json(client, story):
    client.force_login(story.manager)
    report = json.loads(json.dumps(kpi_report("scheme", story.scheme.code, AS_OF)))
    flat = dict(flatten(report))
    url = reverse("reporting:figures-export", args=["scheme", story.scheme.code, "csv"])

    rows = read_csv(client.get(url, {"as_of": AS_OF}).content)
    assert rows[0] == ["figuur", "omschrijving", "waarde", "code", "illustratief"]
    by_key = {row[0]: row for row in rows[1:]}
    assert set(by_key) == set(flat)
    for key, value in flat.items():
        text, code = by_key[key][2], by_key[key][3]
        if key.endswith(".level"):  # a code: the Dutch word as the value, the code beside it
            assert (text, code) == (LEVEL_WORDS.get(value, ""), value or ""), key
            continue
        assert _read_back(text, value, ",") == _json_value(value), key
    assert by_key["budget.committed"][2] == "7500,00" and by_key["as_of"][2] == "01-04-2024"
    assert by_key["units.granted"][1] == "eenheden verleend"
    assert by_key["units.requested"][2] == "8"  # 2 + 1 + 1 + 3 + 1: every submitted application's, not the draft's
    assert by_key["breakdowns.size_class.small.granted"][1] == "Per grootteklasse, klein: aanvragen verleend"
    assert not any(row[4] for row in rows[1:])  # nothing made up here

    # the international dialect: commas between the columns, decimal points
    rows = read_csv(client.get(url.replace("cijfers.csv", "cijfers.csv-intl"), {"as_of": AS_OF}).content, ",")
    intl = {row[0]: row[2] for row in rows[1:]}
    assert intl["budget.committed"] == "7500.00" and intl["as_of"] == "2024-04-01"

    response = client.get(
        reverse("reporting:figures-export", args=["scheme", story.scheme.code, "xlsx"]), {"as_of": AS_OF}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(cells) == set(flat)
    for key, value in flat.items():
        cell = cells[key][2]
        if key.endswith(".level"):
            assert (cell.value or "") == LEVEL_WORDS.get(value, "") and (cells[key][3].value or "") == (value or "")
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            assert cell.is_date and cell.value.date() == datetime.date.fromisoformat(value), key
        elif isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value):
            assert cell.is_date and cell.value == _json_value(value), key
        elif value is None or isinstance(value, bool):
            assert cell.value == value, key
        elif isinstance(_json_value(value), Decimal):
            assert isinstance(cell.value, int | float), f"{key}: a number, not text"
            assert Decimal(str(cell.value)) == _json_value(value), key
    assert cells["budget.committed"][2].number_format == "#,##0.00"


def test_application_exports_stream_every_application_as_it_stood(client, story):
    client.force_login(story.manager)
    url = reverse("reporting:applications-export", args=["scheme", story.scheme.code, "csv"])
    response = client.get(url, {"as_of": AS_OF})
    assert response.streaming
    content = b"".join(response.streaming_content)
    assert b"Deelnemer" not in content and b"Bedrijf" not in content  # no names of people or companies
    rows = read_csv(content)
    header = rows[0]
    column = {name: header.index(name) for name in header}
    states = sorted(row[column["status op peildatum (code)"]] for row in rows[1:])
    assert states == sorted(["draft", "granted", "rejected", "withdrawn", "not_considered", "submitted"])
    labels = {row[column["status op peildatum (code)"]]: row[column["status op peildatum"]] for row in rows[1:]}
    assert labels["granted"] == "verleend" and labels["not_considered"] == "buiten behandeling"
    sizes = {(row[column["grootteklasse (code)"]], row[column["grootteklasse"]]) for row in rows[1:]}
    assert sizes == {
        ("small", "klein (minder dan 50 werknemers)"),
        ("sme", "mkb (50 tot 250 werknemers)"),
        ("large", "groot (250 werknemers of meer)"),
    }
    channels = {(row[column["kanaal (code)"]], row[column["kanaal"]]) for row in rows[1:]}
    assert channels == {("employer", "werkgever")}
    report = kpi_report("scheme", story.scheme.code, AS_OF)
    assert len(rows) - 1 == report["applications"]["started"]
    granted = [row for row in rows[1:] if row[column["status op peildatum (code)"]] == "granted"]
    assert sum(int(row[column["eenheden"]]) for row in granted) == report["units"]["granted"]
    assert granted[0][column["verleend bedrag"]] == "7500,00" and granted[0][column["besluit"]] == "12-03-2024"

    # as of 11 March nothing was decided yet
    rows = read_csv(b"".join(client.get(url, {"as_of": "2024-03-11"}).streaming_content))
    assert "granted" not in {row[2] for row in rows[1:]}

    response = client.get(
        reverse("reporting:applications-export", args=["scheme", story.scheme.code, "xlsx"]), {"as_of": AS_OF}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 6 and sorted(v[2] for v in values) == states
    granted = next(v for v in values if v[2] == "granted")
    assert granted[column["verleend bedrag"]] == 7500 and granted[column["eenheden"]] == 2
    assert granted[column["besluit"]] == datetime.datetime(2024, 3, 12)


def test_the_pdf_report_is_made_in_the_background_with_the_same_figures(
    client, story, django_capture_on_commit_callbacks
):
    client.force_login(story.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:pdf", args=["scheme", story.scheme.code]), {"as_of": AS_OF})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reporting:job", args=[job.pk])
    assert job.status == "done" and job.progress == 100, job.error
    status_page = client.get(response.url).content.decode()
    assert "Download" in status_page and 'http-equiv="refresh"' not in status_page
    pdf = client.get(reverse("reporting:job-file", args=[job.pk]))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages)
    report = kpi_report("scheme", story.scheme.code, AS_OF)
    assert "Ingediend" in text and "Verleend" in text
    for figure in ("€ 7.500,00", "€ 100.000,00", "14,0", "18,0"):
        assert figure in text, figure
    assert report["lead_time_days"]["median"] == 14.0
    # nobody else can fetch the job
    client.force_login(story.admin)
    assert client.get(reverse("reporting:job-file", args=[job.pk])).status_code == 404


def test_a_queued_job_page_refreshes_itself(client, story):
    job = ReportJob.objects.create(requested_by=story.manager, scope="scheme", code=story.scheme.code)
    client.force_login(story.manager)
    assert 'http-equiv="refresh"' in client.get(reverse("reporting:job", args=[job.pk])).content.decode()
