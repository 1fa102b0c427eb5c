"""Mijn aanvragen: state in plain Dutch, the next deadline, letters, and what the applicant can do now."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Document, Letter, Objection, Unit
from applications.states import State
from tests import factories as f
from tests.factories import act

pytestmark = pytest.mark.django_db


def action_url(app, action):
    return reverse("portal:action", args=[app.reference, action])


def test_mijn_aanvragen_shows_state_deadline_letters_and_actions(wclient, werkgever, opening, reviewer):
    draft = f.draft(opening, werkgever)
    review = f.in_review(f.open_opening(opening.scheme, code="oms-2"), werkgever, reviewer)
    Letter.objects.create(
        application=review,
        kind="receipt",
        key=f"receipt:test:{review.pk}",
        status=Letter.Status.RENDERED,
        file=ContentFile(f.PDF, name="ontvangst.pdf"),
        rendered_at=timezone.now(),
    )
    Letter.objects.create(application=review, kind="grant", key="pending:1", status=Letter.Status.PENDING)
    page = wclient.get(reverse("portal:home")).content.decode()
    assert "<strong>In behandeling</strong><br>Een behandelaar beoordeelt uw aanvraag." in page
    assert "<strong>Concept</strong><br>Nog niet ingediend." in page
    days = (review.decision_due - timezone.localdate()).days
    assert f"nog {days} dagen" in page and "Besluit uiterlijk" in page
    assert "Indienen uiterlijk" in page
    letter = review.letters.get(status="rendered")
    assert reverse("portal:letter", args=[review.reference, letter.pk]) in page
    assert "pending" not in page and page.count("(PDF)") == 1  # only rendered letters
    assert reverse("portal:step", args=[draft.reference, "aanvrager"]) in page  # go on with the draft
    assert action_url(review, "withdraw") in page
    assert action_url(review, "supplement") not in page


def test_an_intermediary_filters_its_dashboard_by_employer_scheme_and_state(client_for):
    scheme = f.slim_scheme(code="slim-filter")
    opening = f.open_opening(scheme)
    fund = f.intermediary(username="fonds-filter")
    a, b = f.employer(username="filter-a"), f.employer(username="filter-b")
    for employer_user in (a, b):
        f.mandate(employer_user.organisation, fund.organisation, [scheme])
    app_a = f.draft(opening, fund, kvk=a.organisation.kvk)
    app_b = f.submitted(opening, fund, kvk=b.organisation.kvk)
    client = client_for(fund)
    page = client.get(reverse("portal:home")).content.decode()
    assert app_a.reference in page and app_b.reference in page and a.organisation.name in page
    page = client.get(reverse("portal:home"), {"organisation": a.organisation.kvk}).content.decode()
    assert app_a.reference in page and app_b.reference not in page
    page = client.get(reverse("portal:home"), {"state": "submitted", "scheme": scheme.code}).content.decode()
    assert app_b.reference in page and app_a.reference not in page
    assert app_b.channel == "intermediary"


def test_withdrawing_through_the_portal(wclient, werkgever, opening):
    app = f.submitted(opening, werkgever)
    response = wclient.post(
        action_url(app, "withdraw"), {"reason": "Het traject gaat niet door.", "version": app.version}
    )
    app.refresh_from_db()
    assert response["Location"] == reverse("portal:detail", args=[app.reference])
    assert app.state == State.WITHDRAWN and app.events.filter(action="withdraw", reason="Het traject gaat niet door.")


def test_an_action_that_is_not_available_now_is_refused_and_changes_nothing(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    response = wclient.post(action_url(app, "withdraw"), {"reason": "x"})
    app.refresh_from_db()
    assert app.state == State.DRAFT
    assert response["Location"] == reverse("portal:detail", args=[app.reference])
    assert wclient.get(action_url(app, "fly_to_the_moon")).status_code == 404


def test_a_stale_form_is_refused_when_the_application_changed_meanwhile(wclient, werkgever, opening):
    app = f.submitted(opening, werkgever)
    page = wclient.post(action_url(app, "withdraw"), {"reason": "x", "version": app.version - 1}).content.decode()
    app.refresh_from_db()
    assert app.state == State.SUBMITTED and "intussen" in page


def test_answering_a_request_for_missing_information_with_a_document(wclient, werkgever, opening, reviewer):
    app = f.in_review(opening, werkgever, reviewer)
    act(app, "request_supplement", reviewer, {"reason": "Stuur de offerte van de opleider.", "due_days": 14})
    page = wclient.get(action_url(app, "supplement")).content.decode()
    assert "Stuur de offerte van de opleider." in page
    response = wclient.post(
        action_url(app, "supplement"),
        {"note": "Hierbij de offerte.", "file": SimpleUploadedFile("offerte.pdf", f.PDF)},
    )
    app.refresh_from_db()
    assert response.status_code == 302 and app.state == State.IN_REVIEW
    assert app.documents.get().kind == Document.Kind.SUPPLEMENT
    assert app.supplement_requests.get().answer == "Hierbij de offerte."


def test_a_supplement_without_a_note_or_with_a_bad_file_is_refused(wclient, werkgever, opening, reviewer):
    app = f.in_review(opening, werkgever, reviewer)
    act(app, "request_supplement", reviewer, {"reason": "Offerte.", "due_days": 14})
    page = wclient.post(
        action_url(app, "supplement"), {"note": "", "file": SimpleUploadedFile("x.pdf", b"not a pdf")}
    ).content.decode()
    app.refresh_from_db()
    assert app.state == State.SUPPLEMENT_REQUESTED and not app.documents.exists()
    assert "Dit veld is verplicht." in page and "geen PDF, PNG of JPEG" in page


def test_reporting_completion_per_traject_with_certificates(wclient, werkgever, opening, reviewer, senior):
    app = f.granted(opening, werkgever, reviewer, senior)
    first, second = app.units.all()
    data = {
        f"unit-{first.pk}-completed": "on",
        f"unit-{first.pk}-contract_extended": "on",
        f"unit-{first.pk}-certificate": SimpleUploadedFile("diploma.pdf", f.PDF),
        f"unit-{second.pk}-started": "on",
        "report": "Eén deelnemer is geslaagd, de ander is gestopt.",
        "version": app.version,
    }
    response = wclient.post(action_url(app, "request_settlement"), data)
    app.refresh_from_db()
    assert response.status_code == 302 and app.state == State.SETTLEMENT_REQUESTED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.contract_extended) == (Unit.Status.COMPLETED, True)
    assert second.status == Unit.Status.CANCELLED
    # the one who stopped did begin: the settlement says so, and the reports count it as started
    reported = app.events.get(action="request_settlement").data
    assert reported["units_completed"] == [first.pk] and reported["units_started"] == sorted([first.pk, second.pk])
    certificate = app.documents.get()
    assert certificate.kind == Document.Kind.CERTIFICATE and certificate.unit == first


def test_a_contract_extension_without_completion_is_refused(wclient, werkgever, opening, reviewer, senior):
    app = f.granted(opening, werkgever, reviewer, senior)
    unit = app.units.first()
    page = wclient.post(
        action_url(app, "request_settlement"), {f"unit-{unit.pk}-contract_extended": "on"}
    ).content.decode()
    app.refresh_from_db()
    assert app.state == State.GRANTED
    assert "Een verlengd contract telt alleen bij een afgerond traject." in page


def test_an_objection_is_lodged_within_its_term_and_not_after(wclient, werkgever, opening, reviewer, senior):
    app = f.rejected(opening, werkgever, reviewer, senior)
    page = wclient.get(reverse("portal:home")).content.decode()
    assert action_url(app, "lodge_objection") in page and "Bezwaar maken uiterlijk" in page
    response = wclient.post(action_url(app, "lodge_objection"), {"reason": ""})
    assert "Dit veld is verplicht." in response.content.decode() and not Objection.objects.exists()
    term_end = app.objection_due
    Application.objects.filter(pk=app.pk).update(objection_due=timezone.localdate() - datetime.timedelta(days=1))
    late = wclient.post(action_url(app, "lodge_objection"), {"reason": "Te laat."})
    assert late["Location"] == reverse("portal:detail", args=[app.reference])
    assert not Objection.objects.exists()
    Application.objects.filter(pk=app.pk).update(objection_due=term_end)
    wclient.post(action_url(app, "lodge_objection"), {"reason": "Wij voldoen wel aan de voorwaarden."})
    assert Objection.objects.get(application=app).reason == "Wij voldoen wel aan de voorwaarden."


def test_the_detail_page_tells_what_is_missing_and_until_when(wclient, werkgever, opening, reviewer):
    app = f.in_review(opening, werkgever, reviewer)
    act(app, "request_supplement", reviewer, {"reason": "Het diploma ontbreekt.", "due_days": 14})
    page = wclient.get(reverse("portal:detail", args=[app.reference])).content.decode()
    assert "Het diploma ontbreekt." in page and "Aanvulling nodig" in page and "Aanvullen uiterlijk" in page


def test_the_organisation_profile_is_kept_once(wclient, werkgever):
    data = {
        "name": "Bouwbedrijf De Vries B.V.",
        "size_class": "large",
        "sector": "bouw",
        "province": "zeeland",
        "iban": "NL20 INGB 0001 2345 67",
        "contact_name": "P. de Vries",
        "contact_email": "p@example.nl",
    }
    response = wclient.post(reverse("portal:profile"), data)
    assert response.status_code == 302
    werkgever.organisation.refresh_from_db()
    assert werkgever.organisation.iban == "NL20INGB0001234567" and werkgever.organisation.province == "zeeland"
    page = wclient.post(reverse("portal:profile"), {**data, "contact_email": "geen-email"}).content.decode()
    assert 'href="#id_contact_email"' in page


def test_the_portal_speaks_english_when_asked(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    page = wclient.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My applications" in page and "Continue and submit" in page
    step = wclient.get(reverse("portal:step", args=[app.reference, "trajecten"]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Step 2 of 5" in step.content.decode() and "Save and continue" in step.content.decode()


def test_an_intermediary_has_the_same_actions_as_the_employer(client_for):
    scheme = f.slim_scheme(code="slim-acties")
    opening = f.open_opening(scheme)
    fund = f.intermediary(username="fonds-acties")
    employer_org = f.OrganisationFactory()
    f.mandate(employer_org, fund.organisation, [scheme])
    app = f.submitted(opening, fund, kvk=employer_org.kvk)
    client = client_for(fund)
    assert action_url(app, "withdraw") in client.get(reverse("portal:home")).content.decode()
    client.post(action_url(app, "withdraw"), {"reason": "De werkgever ziet ervan af."})
    app.refresh_from_db()
    assert app.state == State.WITHDRAWN
    assert app.events.get(action="withdraw").actor == fund
