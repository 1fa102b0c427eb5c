"""Intermediaries: mandates granted and revoked by employers, and many applications from one file."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from applications import checks
from applications.models import Application, BulkUpload, Channel, Mandate
from applications.states import State
from tests import factories as f

pytestmark = pytest.mark.django_db


# --- mandates ------------------------------------------------------------------------------------------


def test_an_employer_mandates_a_fund_for_a_scheme_that_allows_intermediaries(wclient, werkgever, omscholing):
    slim = f.slim_scheme(code="slim-mandaat")
    fund = f.IntermediaryFactory(name="Opleidingsfonds Bouw")
    page = wclient.get(reverse("portal:mandates")).content.decode()
    assert slim.name in page and omscholing.name not in page  # only schemes that allow intermediaries are offered
    today = timezone.localdate()
    response = wclient.post(
        reverse("portal:mandates"),
        {
            "agent_kvk": fund.kvk,
            "schemes": [slim.pk],
            "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=365)).isoformat(),
        },
    )
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert (mandate.principal, mandate.agent, list(mandate.schemes.all())) == (werkgever.organisation, fund, [slim])
    assert mandate.granted_by == werkgever


def test_a_mandate_for_a_scheme_without_intermediaries_or_to_a_non_intermediary_is_refused(
    wclient, werkgever, omscholing
):
    other_employer = f.OrganisationFactory()
    f.slim_scheme(code="slim-mandaat-2")
    page = wclient.post(
        reverse("portal:mandates"),
        {
            "agent_kvk": other_employer.kvk,
            "schemes": [omscholing.pk],
            "valid_from": "2026-01-01",
            "valid_until": "2025-01-01",
        },
    ).content.decode()
    assert not Mandate.objects.exists()
    assert "geen intermediair" in page
    assert "Selecteer een geldige keuze" in page or "geldige" in page  # omscholing is not among the choices
    assert 'href="#id_agent_kvk"' in page


def test_an_employer_revokes_a_mandate_and_the_fund_loses_access(client_for):
    scheme = f.slim_scheme(code="slim-intrekken")
    opening = f.open_opening(scheme)
    employer = f.employer(username="intrekker")
    fund = f.intermediary(username="fonds-intrekken")
    mandate = f.mandate(employer.organisation, fund.organisation, [scheme])
    app = f.draft(opening, fund, kvk=employer.organisation.kvk)
    assert client_for(fund).get(reverse("portal:detail", args=[app.reference])).status_code == 200
    client_for(employer).post(reverse("portal:mandate-revoke", args=[mandate.pk]))
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None and mandate.revoked_by == employer
    assert client_for(fund).get(reverse("portal:detail", args=[app.reference])).status_code == 404
    page = client_for(employer).get(reverse("portal:mandates")).content.decode()
    assert "ingetrokken" in page


def test_an_intermediary_sees_the_mandates_it_received(client_for):
    scheme = f.slim_scheme(code="slim-ontvangen")
    employer = f.employer(username="gever")
    fund = f.intermediary(username="fonds-ontvangen")
    f.mandate(employer.organisation, fund.organisation, [scheme])
    page = client_for(fund).get(reverse("portal:mandates")).content.decode()
    assert employer.organisation.name in page and "actief" in page


def test_an_intermediary_cannot_apply_where_the_scheme_does_not_allow_it(client_for, opening):
    fund = f.intermediary(username="fonds-omscholing")
    page = client_for(fund).get(reverse("portal:start", args=[opening.code])).content.decode()
    assert "kunnen intermediairs niet namens werkgevers aanvragen" in page
    client_for(fund).post(reverse("portal:start", args=[opening.code]), {"token": "t"})
    assert not Application.objects.exists()


# --- bulk upload ----------------------------------------------------------------------------------------


@pytest.fixture
def bulk_world(db):
    """A fund mandated by five employers for a SLIM-like and a per-traject scheme."""
    slim = f.slim_scheme(code="slim-bulk")
    per_unit = f.omscholing_scheme(code="oms-bulk", intermediaries_allowed=True, reference_prefix="OMB")
    fund = f.intermediary(username="fonds-bulk")
    employers = [f.OrganisationFactory(name=f"Bulkwerkgever {n}") for n in range(5)]
    for organisation in employers:
        f.mandate(organisation, fund.organisation, [slim, per_unit])
    stranger = f.OrganisationFactory(name="Niet gemachtigd B.V.")
    return {
        "fund": fund,
        "employers": employers,
        "stranger": stranger,
        "slim": f.open_opening(slim),
        "per_unit": f.open_opening(per_unit),
    }


def slim_rows(world, bad_row=None):
    rows = [["kvk", "subsidiabele_kosten", "einddatum_project", "de_minimis"]]
    for organisation in world["employers"]:
        rows.append([organisation.kvk, "20000,00", "2027-12-31", "0"])
    if bad_row:
        rows[bad_row] = bad_row_values = list(rows[bad_row])
        bad_row_values[1] = "veel geld"
    return rows


def as_csv(rows) -> bytes:
    return "\n".join(";".join(str(v) for v in row) for row in rows).encode("utf-8")


def as_xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, opening, name, content):
    return client.post(reverse("portal:bulk"), {"opening": opening.code, "file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_one_bad_row_among_many_creates_nothing_and_names_the_row_and_column(bulk_world, client_for, kind):
    rows = slim_rows(bulk_world, bad_row=4)  # the fourth employer, on row 5 of the sheet under the header
    content = as_csv(rows) if kind == "csv" else as_xlsx(rows)
    client = client_for(bulk_world["fund"])
    response = upload(client, bulk_world["slim"], f"aanvragen.{kind}", content)
    record = BulkUpload.objects.get()
    assert not Application.objects.exists()
    assert record.status == BulkUpload.Status.REJECTED and record.row_count == 5
    assert record.errors == [
        {"row": 5, "column": "subsidiabele_kosten", "message": "Vul een bedrag in, bijvoorbeeld 8.000 of 8000,00."}
    ]
    page = client.get(response["Location"]).content.decode()
    assert "er is niets aangemaakt" in page.lower() and "subsidiabele_kosten" in page


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_row_for_an_employer_without_mandate_is_refused_in_its_row(bulk_world, client_for, kind):
    rows = slim_rows(bulk_world)
    rows[3][0] = bulk_world["stranger"].kvk
    content = as_csv(rows) if kind == "csv" else as_xlsx(rows)
    upload(client_for(bulk_world["fund"]), bulk_world["slim"], f"aanvragen.{kind}", content)
    record = BulkUpload.objects.get()
    assert not Application.objects.exists()
    assert [(e["row"], e["column"]) for e in record.errors] == [(4, "kvk")]
    assert "machtiging" in record.errors[0]["message"]


def test_a_per_traject_file_with_a_cheap_traject_is_refused_by_the_schemes_own_rule(bulk_world, client_for):
    start = timezone.localdate() + datetime.timedelta(days=30)
    header = ["kvk", "deelnemer", "beroep", "sector", "opleider", "kosten", "startdatum", "einddatum", "einde_contract"]
    rows = [header]
    for n, organisation in enumerate(bulk_world["employers"][:3]):
        for t in range(2):
            rows.append(
                [
                    organisation.kvk,
                    f"Deelnemer {n}.{t}",
                    "Monteur",
                    "Techniek",
                    "ROC",
                    "8000",
                    start,
                    start + datetime.timedelta(days=200),
                    start + datetime.timedelta(days=900),
                ]
            )
    rows[5][5] = "6000"  # row 6 of the sheet: below the minimum of € 7.500
    upload(client_for(bulk_world["fund"]), bulk_world["per_unit"], "trajecten.xlsx", as_xlsx(rows))
    record = BulkUpload.objects.get()
    assert not Application.objects.exists()
    assert [(e["row"], e["column"]) for e in record.errors] == [(6, "kosten")]
    assert "minstens € 7.500,00" in record.errors[0]["message"]


def test_a_good_file_makes_drafts_that_are_reviewed_and_submitted_together(bulk_world, client_for):
    client = client_for(bulk_world["fund"])
    response = upload(client, bulk_world["slim"], "aanvragen.csv", as_csv(slim_rows(bulk_world)))
    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.CREATED and record.applications.count() == 5
    assert set(Application.objects.values_list("channel", "state")) == {(Channel.INTERMEDIARY, State.DRAFT)}
    page = client.get(response["Location"]).content.decode()
    assert "5 aanvragen samen indienen" in page and "€ 12.000,00" in page
    client.post(reverse("portal:bulk-submit", args=[record.pk]))  # without the declaration: refused
    assert Application.objects.filter(state=State.DRAFT).count() == 5
    client.post(reverse("portal:bulk-submit", args=[record.pk]), {"truthfulness_declared": "on"})
    record.refresh_from_db()
    assert record.status == BulkUpload.Status.SUBMITTED
    assert Application.objects.filter(state=State.SUBMITTED, submitted_by=bulk_world["fund"]).count() == 5


def test_the_same_file_uploaded_twice_makes_the_drafts_once(bulk_world, client_for):
    client = client_for(bulk_world["fund"])
    content = as_csv(slim_rows(bulk_world))
    first = upload(client, bulk_world["slim"], "aanvragen.csv", content)
    second = upload(client, bulk_world["slim"], "aanvragen.csv", content)
    assert first["Location"] == second["Location"]
    assert Application.objects.count() == 5 and BulkUpload.objects.count() == 1


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(bulk_world, client_for):
    upload(client_for(bulk_world["fund"]), bulk_world["slim"], "aanvragen.pdf", f.PDF)
    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.REJECTED and "CSV" in record.errors[0]["message"]


def test_a_per_traject_file_groups_the_rows_of_one_employer_into_one_application(bulk_world, client_for):
    start = timezone.localdate() + datetime.timedelta(days=30)
    rows = [["kvk", "deelnemer", "beroep", "sector", "opleider", "kosten", "startdatum", "einddatum", "einde_contract"]]
    for n, organisation in enumerate(bulk_world["employers"][:3]):
        for t in range(2):
            end = start + datetime.timedelta(days=200)
            rows.append(
                [
                    organisation.kvk,
                    f"Deelnemer {n}.{t}",
                    "Monteur",
                    "techniek",
                    "ROC",
                    "8.000",
                    start,
                    end,
                    end + datetime.timedelta(days=700),
                ]
            )
    upload(client_for(bulk_world["fund"]), bulk_world["per_unit"], "trajecten.csv", as_csv(rows))
    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.CREATED and record.row_count == 6
    assert sorted(app.units.count() for app in record.applications.all()) == [2, 2, 2]
    assert {a.organisation for a in record.applications.all()} == set(bulk_world["employers"][:3])


def test_a_kvk_number_that_a_spreadsheet_stored_as_a_number_keeps_its_leading_zero(bulk_world, client_for):
    early = f.OrganisationFactory(kvk="01234567", name="Vroege Inschrijving B.V.")
    f.mandate(early, bulk_world["fund"].organisation, [bulk_world["slim"].scheme])
    rows = [["kvk", "subsidiabele_kosten", "einddatum_project", "de_minimis"], [1234567, 20000, "2027-12-31", 0]]
    upload(client_for(bulk_world["fund"]), bulk_world["slim"], "aanvragen.xlsx", as_xlsx(rows))
    record = BulkUpload.objects.get()
    assert record.status == BulkUpload.Status.CREATED
    assert record.applications.get().organisation == early


def test_a_slim_bulk_row_declares_its_de_minimis_aid_dated_and_a_bad_date_is_named_by_its_column(
    bulk_world, client_for
):
    first, second = bulk_world["employers"][:2]
    header = [
        "kvk",
        "subsidiabele_kosten",
        "einddatum_project",
        "de_minimis",
        "de_minimis_datum",
        "de_minimis_verstrekker",
    ]
    long_ago = (timezone.localdate() - datetime.timedelta(days=4 * 365)).isoformat()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    client = client_for(bulk_world["fund"])

    bad = [header, [first.kvk, "20000,00", "2027-12-31", "150000,00", tomorrow, "Gemeente Utrecht"]]
    upload(client, bulk_world["slim"], "aanvragen.csv", as_csv(bad))
    refused = BulkUpload.objects.get()
    assert refused.status == BulkUpload.Status.REJECTED and not Application.objects.exists()
    assert {(e["row"], e["column"]) for e in refused.errors} == {(2, "de_minimis_datum")}
    assert "toekomst" in refused.errors[0]["message"]

    good = [
        header,
        [first.kvk, "20000,00", "2027-12-31", "150000,00", long_ago, "Gemeente Utrecht"],  # dated: four years ago
        [second.kvk, "20000,00", "2027-12-31", "0", "", ""],  # none: as before
    ]
    upload(client, bulk_world["slim"], "aanvragen-2.csv", as_csv(good))
    record = BulkUpload.objects.get(status=BulkUpload.Status.CREATED)
    by_kvk = {a.organisation.kvk: a for a in record.applications.all()}
    assert by_kvk[first.kvk].de_minimis_declarations == [
        {"amount": "150000.00", "granted_on": long_ago, "provider": "Gemeente Utrecht"}
    ]
    assert by_kvk[first.kvk].de_minimis_declared == Decimal("150000.00")
    inside, outside = checks.declared_elsewhere(by_kvk[first.kvk], on=timezone.localdate())
    assert (inside, outside) == (Decimal("0.00"), Decimal("150000.00"))  # granted before the three years
    assert by_kvk[second.kvk].de_minimis_declarations == []
