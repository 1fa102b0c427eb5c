"""The same rules everywhere: the label says what is needed, and the bulk upload checks a row as the form does."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from applications.models import Application, BulkUpload
from tests import factories as f

from .test_bulk_and_mandates import as_csv, bulk_world, upload  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def step_url(app, step):
    return reverse("portal:step", args=[app.reference, step])


def test_the_slim_de_minimis_field_is_not_labelled_optional_and_is_needed_to_go_on(client_for, db):
    opening = f.open_opening(f.slim_scheme())
    user = f.employer()
    app = f.draft(opening, user, de_minimis_declared=None)
    client = client_for(user)

    page = client.get(step_url(app, "verklaringen")).content.decode()
    for field in ("amount", "granted_on", "provider"):
        label = page.split(f'for="id_de_minimis-0-{field}"', 1)[1].split("</label>", 1)[0]
        assert "niet verplicht" not in label

    going_on = client.post(step_url(app, "verklaringen"), {"truthfulness_declared": "on", "action": "next"})
    assert "of verklaar dat zij in de afgelopen drie jaar geen de-minimissteun kreeg" in going_on.content.decode()
    saved = client.post(step_url(app, "verklaringen"), {"action": "save"})  # a draft may wait for it
    assert saved.status_code == 302
    summary = client.get(step_url(app, "overzicht")).content.decode()
    assert "of verklaar dat zij geen de-minimissteun kreeg" in summary.split('id="refusals"', 1)[1]


def test_a_project_that_ended_in_2020_is_refused_on_the_costs_step(client_for, db):
    opening = f.open_opening(f.slim_scheme())
    user = f.employer()
    app = f.draft(opening, user, project_end_date=None)  # no end date yet
    data = f.unit_rows({"description": "Cursus", "amount": "20000"}, prefix="cost_lines")
    data.update({"project_end_date": "2020-06-30", "action": "next"})

    page = client_for(user).post(step_url(app, "kosten"), data).content.decode()

    assert "De einddatum ligt in het verleden; vul een datum vanaf vandaag in." in page
    app.refresh_from_db()
    assert app.project_end_date is None


def test_a_bulk_row_reports_every_error_the_form_would(bulk_world, client_for):  # noqa: F811
    employer = bulk_world["employers"][0]
    rows = [["kvk", "subsidiabele_kosten", "einddatum_project", "de_minimis"], [employer.kvk, "1000", "2020-06-30", ""]]

    upload(client_for(bulk_world["fund"]), bulk_world["slim"], "aanvragen.csv", as_csv(rows))

    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.REJECTED and not Application.objects.exists()
    assert {(e["row"], e["column"], e["message"]) for e in record.errors} == {
        (2, "einddatum_project", "De einddatum ligt in het verleden; vul een datum vanaf vandaag in."),
        (2, "de_minimis", "Vul het bedrag in; vul 0 in als u geen de-minimissteun kreeg."),
        (2, "subsidiabele_kosten", "De subsidiabele kosten zijn € 1.000,00; ze moeten minstens € 5.000,00 zijn."),
    }


def test_a_bulk_traject_with_an_empty_name_and_a_cost_of_five_reports_both(bulk_world, client_for):  # noqa: F811
    employer = bulk_world["employers"][0]
    header = ["kvk", "deelnemer", "beroep", "sector", "opleider", "kosten", "startdatum", "einddatum", "einde_contract"]
    rows = [header, [employer.kvk, "", "Monteur", "techniek", "ROC", "5", "2027-03-01", "2027-09-01", "2029-01-01"]]

    upload(client_for(bulk_world["fund"]), bulk_world["per_unit"], "trajecten.csv", as_csv(rows))

    errors = {(e["row"], e["column"]) for e in BulkUpload.objects.get().errors}
    assert errors == {(2, "deelnemer"), (2, "kosten")}


@pytest.mark.parametrize("shape", ["per_unit", "share_of_costs", "programme"])
def test_each_bulk_template_carries_an_example_row_that_the_form_accepts(bulk_world, client_for, shape):  # noqa: F811
    response = client_for(bulk_world["fund"]).get(reverse("portal:bulk-template", args=[shape]))

    lines = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert len(lines) == 2 and len(lines[0]) == len(lines[1])
    example = dict(zip(lines[0], lines[1], strict=True))
    assert example["kvk"] == "12345678"
    if shape == "per_unit":
        assert example["sector"] == "ict" and example["kosten"] == "8000,00"


def test_the_bulk_declaration_error_is_the_apps_own_in_place(bulk_world, client_for):  # noqa: F811
    rows = [["kvk", "subsidiabele_kosten", "einddatum_project", "de_minimis"]]
    rows.append([bulk_world["employers"][0].kvk, "20000,00", "2027-12-31", "0"])
    client = client_for(bulk_world["fund"])
    upload(client, bulk_world["slim"], "aanvragen.csv", as_csv(rows))
    record = BulkUpload.objects.get()
    page = client.get(reverse("portal:bulk-detail", args=[record.pk])).content.decode()
    checkbox = page.split('id="id_truthfulness_declared"', 1)[1].split(">", 1)[0]
    assert "required" not in checkbox

    response = client.post(reverse("portal:bulk-submit", args=[record.pk]), {})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_truthfulness_declared-error"' in page and 'href="#id_truthfulness_declared"' in page
    assert record.applications.get().state == "draft"
