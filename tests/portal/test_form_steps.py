"""An employer applies for Omscholing step by step: each step saves, refuses in plain Dutch, and resumes."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from applications import services
from applications.models import Application, AuditEvent, Channel, Document, Unit
from applications.states import State
from tests import factories as f

pytestmark = pytest.mark.django_db


def step_url(app, step):
    return reverse("portal:step", args=[app.reference, step])


def start(client, opening, token="token-1", **extra):
    return client.post(reverse("portal:start", args=[opening.code]), {"token": token, **extra})


# --- starting ------------------------------------------------------------------------------------------


def test_an_employer_starts_from_the_opening_and_lands_on_the_first_step(wclient, werkgever, opening):
    page = wclient.get(reverse("portal:start", args=[opening.code]))
    token = re.search(rb'name="token" value="([0-9a-f]+)"', page.content).group(1).decode()
    response = start(wclient, opening, token)
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == step_url(app, "aanvrager")
    assert app.state == State.DRAFT and app.organisation == werkgever.organisation
    assert app.channel == Channel.EMPLOYER and app.idempotency_key == token


def test_a_double_click_on_start_makes_one_application(wclient, opening):
    first = start(wclient, opening, "same-token")
    second = start(wclient, opening, "same-token")
    assert Application.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_closed_opening_cannot_be_started(wclient, omscholing):
    closed = f.closed_opening(omscholing)
    response = start(wclient, closed)
    assert Application.objects.count() == 0
    assert "niet open" in response.content.decode()


def test_the_catalogue_links_an_open_opening_to_the_portal(client, opening):
    page = client.get(reverse("scheme-detail", args=[opening.scheme.code])).content.decode()
    assert reverse("portal:start", args=[opening.code]) in page


# --- step 1: the organisation, entered once ----------------------------------------------------------------


def test_the_applicant_step_is_prefilled_from_the_profile(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    page = wclient.get(step_url(app, "aanvrager")).content.decode()
    assert werkgever.organisation.name in page and "NL91ABNA0417164300" in page
    assert 'aria-current="step"' in page and "Stap 1 van 5" in page


def test_a_wrong_iban_is_refused_next_to_its_field_and_what_was_typed_is_kept(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    data = {
        "name": "Nieuwe Naam B.V.",
        "size_class": "small",
        "sector": "ict",
        "province": "utrecht",
        "iban": "NL00FOUT0000000000",
        "contact_name": "A. Contact",
        "contact_email": "a@example.nl",
        "action": "next",
    }
    response = wclient.post(step_url(app, "aanvrager"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "geen geldig IBAN" in page
    assert 'href="#id_iban"' in page  # the error summary links to the field
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_iban-help id_iban-error"' in page
    assert 'value="Nieuwe Naam B.V."' in page
    werkgever.organisation.refresh_from_db()
    assert werkgever.organisation.name != "Nieuwe Naam B.V."


def test_the_profile_saved_in_one_application_is_prefilled_in_the_next(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    data = {
        "name": "Bouwbedrijf De Vries B.V.",
        "size_class": "small",
        "sector": "bouw",
        "province": "utrecht",
        "iban": "NL20INGB0001234567",
        "contact_name": "A. Contact",
        "contact_email": "a@example.nl",
        "action": "next",
    }
    response = wclient.post(step_url(app, "aanvrager"), data)
    assert response["Location"] == step_url(app, "trajecten")
    other = f.draft(opening, werkgever)
    assert "NL20INGB0001234567" in wclient.get(step_url(other, "aanvrager")).content.decode()


# --- step 2: the trajecten table ---------------------------------------------------------------------------


def test_rij_toevoegen_adds_a_row_without_javascript_and_keeps_what_was_typed(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(f.traject(1))
    data["add_row"] = "1"
    page = wclient.post(step_url(app, "trajecten"), data).content.decode()
    assert 'name="units-TOTAL" value="2"' in page
    assert 'value="J. Jansen 1"' in page and 'name="units-1-participant"' in page
    assert "Dit veld is verplicht" not in page  # a new empty row is not an error
    assert Unit.objects.filter(application=app).count() == 0  # adding a row saves nothing yet


def test_a_row_is_removed_with_its_button(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(f.traject(1), f.traject(2))
    data["remove_row"] = "0"
    page = wclient.post(step_url(app, "trajecten"), data).content.decode()
    assert 'name="units-TOTAL" value="1"' in page
    assert "J. Jansen 2" in page and "J. Jansen 1" not in page


def test_an_employer_with_six_trajecten_cannot_add_a_seventh(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(*[f.traject(n) for n in range(1, 7)])
    data["add_row"] = "1"
    page = wclient.post(step_url(app, "trajecten"), data).content.decode()
    assert 'name="units-TOTAL" value="6"' in page
    assert "ten hoogste 6 trajecten" in page


def test_two_trajecten_are_saved_and_the_amount_is_shown_with_its_rule(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(f.traject(1, "8000"), f.traject(2, "9.500,00", "techniek"))
    data["action"] = "save"
    response = wclient.post(step_url(app, "trajecten"), data)
    assert response.status_code == 302 and response["Location"] == step_url(app, "trajecten")
    assert list(app.units.values_list("cost", flat=True)) == [Decimal("8000.00"), Decimal("9500.00")]
    page = wclient.get(response["Location"]).content.decode()  # resumed later: the rows are back
    assert "J. Jansen 2" in page and "Uw concept is opgeslagen" in page
    assert "2 × € 3.750,00 per traject = € 7.500,00" in page


def test_a_traject_below_the_minimum_cost_is_refused_next_to_its_cost(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(f.traject(1, "8000"), f.traject(2, "5000"))
    data["action"] = "next"
    response = wclient.post(step_url(app, "trajecten"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Traject 2 kost € 5.000,00; elk traject moet minstens € 7.500,00 kosten." in page
    assert 'href="#id_units-1-cost"' in page
    assert Unit.objects.filter(application=app).count() == 2  # the draft is kept, it just cannot be submitted like this


def test_a_traject_without_participant_is_refused_and_nothing_is_saved(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    row = f.traject(3)
    row["participant"] = ""
    row["end_date"] = (datetime.date.fromisoformat(row["start_date"]) - datetime.timedelta(days=1)).isoformat()
    data = f.unit_rows(row)
    data["action"] = "next"
    page = wclient.post(step_url(app, "trajecten"), data).content.decode()
    assert "Dit veld is verplicht." in page
    assert "De einddatum ligt voor de startdatum." in page
    assert list(app.units.values_list("participant", flat=True)) == ["J. Jansen 1", "J. Jansen 2"]


def test_the_amount_is_recalculated_without_saving(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(f.traject(1), f.traject(2), f.traject(3))
    data["action"] = "recalc"
    page = wclient.post(step_url(app, "trajecten"), data).content.decode()
    assert "€ 11.250,00" in page
    assert Unit.objects.filter(application=app).count() == 0


# --- other shapes --------------------------------------------------------------------------------------------


def test_share_of_costs_cost_lines_make_the_eligible_costs(client_for, db):
    opening = f.open_opening(f.slim_scheme())
    user = f.employer()
    client = client_for(user)
    app = f.draft(opening, user, eligible_costs=None)
    data = f.unit_rows(
        {"description": "Opleiding", "amount": "12000"},
        {"description": "Coaching", "amount": "3000"},
        prefix="cost_lines",
    )
    data.update({"project_end_date": "2027-06-30", "action": "next"})
    response = client.post(step_url(app, "kosten"), data)
    assert response["Location"] == step_url(app, "bijlagen")
    app.refresh_from_db()
    assert app.eligible_costs == Decimal("15000.00") and app.cost_lines.count() == 2
    assert "60 % van € 15.000,00 = € 9.000,00" in client.get(step_url(app, "kosten")).content.decode()


def test_share_of_costs_below_the_minimum_is_refused(client_for, db):
    opening = f.open_opening(f.slim_scheme())
    user = f.employer()
    app = f.draft(opening, user, eligible_costs=None)
    data = f.unit_rows({"description": "Cursus", "amount": "1000"}, prefix="cost_lines")
    data.update({"project_end_date": "2027-06-30", "action": "next"})
    page = client_for(user).post(step_url(app, "kosten"), data).content.decode()
    assert "ze moeten minstens € 5.000,00 zijn" in page


def test_a_programme_records_partners_and_cofinancing_per_source(client_for, db):
    opening = f.open_opening(f.techkwadraat_scheme(max_amount=Decimal("5000000.00")))
    user = f.employer()
    app = f.draft(opening, user)
    data = f.unit_rows(
        {"name": "ROC Midden", "role": "lead", "source": "education", "cash": "100000"},
        {
            "name": "Techbedrijf B.V.",
            "kvk": "12345678",
            "role": "company",
            "is_sme": "on",
            "source": "private",
            "cash": "10000",
            "in_kind": "90000",
        },
        prefix="partners",
    )
    data.update({"requested_amount": "2.000.000", "project_end_date": "2030-12-31", "action": "next"})
    response = client_for(user).post(step_url(app, "programma"), data)
    assert response["Location"] == step_url(app, "bijlagen")
    app.refresh_from_db()
    assert app.requested_amount == Decimal("2000000.00") and app.is_partnership
    company = app.partners.get(role="company")
    assert sorted((c.kind, c.amount) for c in company.cofinancing.all()) == [
        ("cash", Decimal("10000.00")),
        ("in_kind", Decimal("90000.00")),
    ]


def test_cofinancing_without_a_source_is_refused(client_for, db):
    opening = f.open_opening(f.techkwadraat_scheme(max_amount=Decimal("5000000.00")))
    user = f.employer()
    app = f.draft(opening, user)
    data = f.unit_rows({"name": "ROC", "role": "lead", "cash": "100"}, prefix="partners")
    data.update({"requested_amount": "100000", "project_end_date": "2030-12-31", "action": "next"})
    page = client_for(user).post(step_url(app, "programma"), data).content.decode()
    assert "Kies de bron van de cofinanciering." in page
    assert app.partners.count() == 0


# --- uploads ------------------------------------------------------------------------------------------------


def test_a_pdf_is_stored_with_its_sha256(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    upload = SimpleUploadedFile("offerte.pdf", f.PDF, content_type="application/pdf")
    response = wclient.post(step_url(app, "bijlagen"), {"file": upload, "action": "upload"})
    assert response.status_code == 302
    document = Document.objects.get(application=app)
    assert document.content_type == "application/pdf" and document.size == len(f.PDF)

    assert document.sha256 == hashlib.sha256(f.PDF).hexdigest()
    download = wclient.get(reverse("portal:document", args=[app.reference, document.pk]))
    assert b"".join(download.streaming_content) == f.PDF


def test_a_file_named_pdf_that_is_not_a_pdf_is_refused(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    upload = SimpleUploadedFile("offerte.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    page = wclient.post(step_url(app, "bijlagen"), {"file": upload, "action": "upload"}).content.decode()
    assert "geen PDF, PNG of JPEG" in page and 'href="#id_file"' in page
    assert not Document.objects.exists()


def test_a_file_over_ten_megabytes_is_refused(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    big = SimpleUploadedFile("scan.png", f.PNG + b"\x00" * (10 * 1024 * 1024), content_type="image/png")
    page = wclient.post(step_url(app, "bijlagen"), {"file": big, "action": "upload"}).content.decode()
    assert "ten hoogste 10 MB" in page
    assert not Document.objects.exists()


def test_a_draft_attachment_can_be_removed(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    wclient.post(step_url(app, "bijlagen"), {"file": SimpleUploadedFile("a.png", f.PNG), "action": "upload"})
    document = Document.objects.get()
    wclient.post(step_url(app, "bijlagen"), {"delete": document.pk})
    assert not Document.objects.exists()


# --- declarations, summary, submit --------------------------------------------------------------------------


def test_going_on_without_the_truthfulness_declaration_is_refused(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, truthfulness_declared=False)
    page = wclient.post(step_url(app, "verklaringen"), {"action": "next"}).content.decode()
    assert "naar waarheid" in page and 'href="#id_truthfulness_declared"' in page
    app.refresh_from_db()
    assert not app.truthfulness_declared


def test_de_minimis_must_be_declared_where_the_scheme_is_de_minimis(client_for, db):
    opening = f.open_opening(f.slim_scheme())
    user = f.employer()
    app = f.draft(opening, user, de_minimis_declared=None)
    page = client_for(user).post(step_url(app, "verklaringen"), {"truthfulness_declared": "on", "action": "next"})
    assert "geen de-minimissteun kreeg" in page.content.decode()
    aid = {
        "de_minimis-0-amount": "12.500",
        "de_minimis-0-granted_on": "2025-03-01",
        "de_minimis-0-provider": "Gemeente",
    }
    both = client_for(user).post(
        step_url(app, "verklaringen"),
        {"truthfulness_declared": "on", "de_minimis_none": "on", "de_minimis-TOTAL": "1", **aid, "action": "next"},
    )
    assert "kies één van beide" in both.content.decode()
    response = client_for(user).post(
        step_url(app, "verklaringen"), {"truthfulness_declared": "on", "de_minimis-TOTAL": "1", **aid, "action": "next"}
    )
    assert response["Location"] == step_url(app, "overzicht")
    app.refresh_from_db()
    assert app.de_minimis_declared == Decimal("12500.00") and app.truthfulness_declared
    assert app.de_minimis_declarations == [{"amount": "12500.00", "granted_on": "2025-03-01", "provider": "Gemeente"}]
    none = client_for(user).post(
        step_url(app, "verklaringen"), {"truthfulness_declared": "on", "de_minimis_none": "on", "action": "next"}
    )
    assert none["Location"] == step_url(app, "overzicht")
    app.refresh_from_db()
    assert (app.de_minimis_declared, app.de_minimis_declarations) == (Decimal("0.00"), [])


def test_the_summary_lists_what_still_blocks_submission(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[f.traject(1, "5000")])
    page = wclient.get(step_url(app, "overzicht")).content.decode()
    assert "Dit moet nog worden aangepast" in page
    assert "minstens € 7.500,00" in page and "naar waarheid" in page


def test_submitting_gives_the_receipt_and_a_second_submit_gives_it_again(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, truthfulness_declared=True)
    url = reverse("portal:submit", args=[app.reference])
    first = wclient.post(url)
    second = wclient.post(url)
    app.refresh_from_db()
    receipt = reverse("portal:receipt", args=[app.reference])
    assert first["Location"] == receipt and second["Location"] == receipt
    assert app.state == State.SUBMITTED and app.channel == Channel.EMPLOYER
    assert AuditEvent.objects.filter(application=app, action="submit").count() == 1
    page = wclient.get(receipt).content.decode()
    assert app.reference in page and "Datum van volledigheid" in page
    assert "€ 7.500,00" in page


def test_a_refused_submit_says_why_and_leaves_the_draft(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[f.traject(1, "5000")], truthfulness_declared=True)
    response = wclient.post(reverse("portal:submit", args=[app.reference]))
    app.refresh_from_db()
    assert response.status_code == 400 and app.state == State.DRAFT
    assert "De aanvraag kan zo niet worden ingediend." in response.content.decode()


def test_a_submitted_application_cannot_be_edited_through_the_steps(wclient, werkgever, opening):
    app = f.submitted(opening, werkgever)
    response = wclient.post(step_url(app, "trajecten"), {**f.unit_rows(f.traject(9)), "action": "save"})
    assert response["Location"] == reverse("portal:detail", args=[app.reference])
    assert not Unit.objects.filter(participant="J. Jansen 9").exists()


def test_the_receipt_pdf_is_offered_once_the_letter_is_rendered(
    wclient, werkgever, opening, django_capture_on_commit_callbacks
):
    pytest.importorskip("applications.letters")

    app = f.draft(opening, werkgever, truthfulness_declared=True)
    with django_capture_on_commit_callbacks(execute=True):
        wclient.post(reverse("portal:submit", args=[app.reference]))
    page = wclient.get(reverse("portal:receipt", args=[app.reference])).content.decode()
    link = re.search(r'id="receipt-pdf" href="([^"]+)"', page).group(1)
    pdf = b"".join(wclient.get(link).streaming_content)
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert app.reference in text


# --- intermediaries and races ----------------------------------------------------------------------


def test_an_intermediary_starts_for_a_mandating_employer_and_the_channel_is_recorded(client_for):
    opening = f.open_opening(f.slim_scheme(code="slim-start"))
    fund = f.intermediary(username="fonds-start")
    employer_org = f.OrganisationFactory(name="Gemachtigde Werkgever B.V.")
    f.mandate(employer_org, fund.organisation, [opening.scheme])
    client = client_for(fund)
    page = client.get(reverse("portal:start", args=[opening.code])).content.decode()
    assert "Gemachtigde Werkgever B.V." in page
    response = client.post(
        reverse("portal:start", args=[opening.code]), {"token": "fonds-token", "organisation": employer_org.kvk}
    )
    app = Application.objects.get()
    assert response["Location"] == step_url(app, "aanvrager")
    assert (app.organisation, app.channel, app.created_by) == (employer_org, Channel.INTERMEDIARY, fund)


def test_an_intermediary_must_choose_the_employer(client_for):
    opening = f.open_opening(f.slim_scheme(code="slim-kies"))
    fund = f.intermediary(username="fonds-kies")
    f.mandate(f.OrganisationFactory(), fund.organisation, [opening.scheme])
    page = client_for(fund).post(reverse("portal:start", args=[opening.code]), {"token": "t"}).content.decode()
    assert "Dit veld is verplicht." in page and 'href="#id_organisation"' in page
    assert not Application.objects.exists()


@pytest.mark.parametrize("maker", [f.omscholing_scheme, f.slim_scheme, f.techkwadraat_scheme])
def test_every_step_of_every_shape_renders_with_its_indicator(client_for, maker):
    opening = f.open_opening(maker())
    user = f.employer()
    app = f.draft(opening, user)
    client = client_for(user)
    steps = {"per_unit": "trajecten", "share_of_costs": "kosten", "programme": "programma"}
    for number, step in enumerate(
        ["aanvrager", steps[opening.published_rules.shape], "bijlagen", "verklaringen", "overzicht"], start=1
    ):
        page = client.get(step_url(app, step)).content.decode()
        assert f"Stap {number} van 5" in page and 'aria-current="step"' in page
    assert client.get(step_url(app, "trajecten" if maker is not f.omscholing_scheme else "kosten")).status_code == 404


def test_two_submits_at_the_same_moment_give_the_second_the_receipt(wclient, werkgever, opening, monkeypatch):

    app = f.draft(opening, werkgever, truthfulness_declared=True)
    real_perform = services.perform

    def the_other_click_was_first(application, action, user, data=None, **kwargs):
        real_perform(application, action, user, data, **kwargs)  # the first request wins the row lock
        raise services.Conflict("'submit' kan niet in de status 'ingediend'.")

    monkeypatch.setattr(services, "perform", the_other_click_was_first)
    response = wclient.post(reverse("portal:submit", args=[app.reference]))
    assert response["Location"] == reverse("portal:receipt", args=[app.reference])
    assert AuditEvent.objects.filter(application=app, action="submit").count() == 1


def test_no_upload_once_the_application_is_submitted(wclient, werkgever, opening):
    app = f.submitted(opening, werkgever)
    response = wclient.post(step_url(app, "bijlagen"), {"file": SimpleUploadedFile("a.pdf", f.PDF), "action": "upload"})
    assert response["Location"] == reverse("portal:detail", args=[app.reference])
    assert not Document.objects.exists()


def test_an_intermediary_sees_the_employers_profile_but_cannot_change_its_iban(client_for):
    opening = f.open_opening(f.slim_scheme(code="slim-iban"))
    fund = f.intermediary(username="fonds-iban")
    employer_org = f.OrganisationFactory(iban="NL91ABNA0417164300")
    f.mandate(employer_org, fund.organisation, [opening.scheme])
    app = f.draft(opening, fund, kvk=employer_org.kvk)
    client = client_for(fund)
    page = client.get(step_url(app, "aanvrager")).content.decode()
    assert "NL91ABNA0417164300" in page and 'name="iban"' not in page
    response = client.post(step_url(app, "aanvrager"), {"iban": "NL20INGB0001234567", "action": "next"})
    assert response["Location"] == step_url(app, "kosten")
    employer_org.refresh_from_db()
    assert employer_org.iban == "NL91ABNA0417164300"
