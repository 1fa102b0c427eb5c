"""Beheer: a functional administrator sets up schemes and openings without code, and is refused clearly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemes.admin import OpeningAdmin
from schemes.models import KPI, BudgetChange, KPIMeasurement, LedgerEntry, Opening, Scheme, TranchePlanItem
from tests.factories import OpeningFactory, SchemeFactory

from .html_forms import form_data

pytestmark = pytest.mark.django_db

SCHEME_ADD = "/beheer/schemes/scheme/add/"
OPENING_ADD = "/beheer/schemes/opening/add/"


def scheme_change(scheme: Scheme) -> str:
    return f"/beheer/schemes/scheme/{scheme.pk}/change/"


def opening_change(opening: Opening) -> str:
    return f"/beheer/schemes/opening/{opening.pk}/change/"


def _page_form(client, url: str, form_id: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return form_data(response.content.decode(), form_id)


def _errors(response) -> dict[str, list[str]]:
    """The errors the admin shows, by field (``__all__`` for the form)."""
    assert response.status_code == 200, "the admin accepted the form"
    return {name: list(errors) for name, errors in response.context["adminform"].form.errors.items()}


def _new_scheme(admin_client, **overrides) -> dict:
    data = _page_form(admin_client, SCHEME_ADD, "scheme_form")
    data.update(
        code="testregeling",
        name="Testregeling scholing",
        reference_prefix="TST",
        owner="Ministerie van SZW",
        executing_agency="RVO",
        shape="share_of_costs",
        percentage="60",
    )
    data.update(overrides)
    return data


def _new_opening(admin_client, scheme: Scheme, **overrides) -> dict:
    data = _page_form(admin_client, OPENING_ADD, "opening_form")
    data.update(
        scheme=str(scheme.pk),
        code="testregeling-2026",
        name="Testregeling 2026",
        opens_at_0="01-09-2026",
        opens_at_1="09:00",
        closes_at_0="01-12-2026",
        closes_at_1="17:00",
        budget_ceiling="1000000.00",
        distribution="fcfs",
    )
    data.update(overrides)
    return data


# --- schemes -----------------------------------------------------------------


def test_an_administrator_adds_a_scheme_without_code(admin_client):
    response = admin_client.post(SCHEME_ADD, _new_scheme(admin_client, max_amount="24999.00"))

    assert response.status_code == 302
    scheme = Scheme.objects.get(code="testregeling")
    assert scheme.percentage == Decimal("60.00")
    assert scheme.max_amount == Decimal("24999.00")


def test_a_percentage_of_101_is_refused_with_a_dutch_message(admin_client):
    response = admin_client.post(SCHEME_ADD, _new_scheme(admin_client, percentage="101"))

    assert _errors(response) == {"percentage": ["Een percentage kan niet hoger zijn dan 100."]}
    assert not Scheme.objects.filter(code="testregeling").exists()


def test_a_negative_percentage_is_refused(admin_client):
    response = admin_client.post(SCHEME_ADD, _new_scheme(admin_client, percentage="-5"))

    assert _errors(response)["percentage"] == ["Een percentage kan niet negatief zijn."]
    assert not Scheme.objects.filter(code="testregeling").exists()


def test_an_advance_above_100_percent_is_refused(admin_client):
    response = admin_client.post(SCHEME_ADD, _new_scheme(admin_client, advance_pct="150"))

    assert _errors(response)["advance_pct"] == ["Een percentage kan niet hoger zijn dan 100."]


def test_a_negative_amount_on_a_scheme_is_refused(admin_client):
    response = admin_client.post(SCHEME_ADD, _new_scheme(admin_client, max_amount_partnership="-1"))

    assert _errors(response)["max_amount_partnership"] == ["Een bedrag kan niet negatief zijn."]
    assert not Scheme.objects.filter(code="testregeling").exists()


def test_a_maximum_below_the_minimum_is_refused(admin_client):
    response = admin_client.post(SCHEME_ADD, _new_scheme(admin_client, min_amount="25000", max_amount="20000"))

    assert _errors(response)["max_amount"] == ["Het maximumbedrag moet minstens het minimumbedrag zijn."]


def test_a_per_unit_scheme_needs_its_amount_per_unit(admin_client):
    response = admin_client.post(SCHEME_ADD, _new_scheme(admin_client, shape="per_unit", percentage=""))

    assert _errors(response)["unit_amount"] == ["Een regeling per eenheid heeft een bedrag per eenheid nodig."]


def test_a_real_scheme_with_its_tranches_and_kpis_saves_unchanged(admin_client, catalogue):
    scheme = Scheme.objects.get(code="ngf-pps")
    data = _page_form(admin_client, scheme_change(scheme), "scheme_form")
    assert data["tranche_plan-TOTAL_FORMS"] == "3"
    assert data["kpis-TOTAL_FORMS"] == "4"

    response = admin_client.post(scheme_change(scheme), data)

    assert response.status_code == 302
    assert TranchePlanItem.objects.filter(scheme=scheme).count() == 3
    assert KPI.objects.filter(scheme=scheme).count() == 4


def test_changing_a_schemes_rules_leaves_its_published_openings_alone(admin_client, catalogue):
    scheme = Scheme.objects.get(code="omscholing")
    published = Opening.objects.get(code="omscholing-2021").rules
    data = _page_form(admin_client, scheme_change(scheme), "scheme_form")
    data.update(unit_amount="4000.00")

    response = admin_client.post(scheme_change(scheme), data)

    assert response.status_code == 302
    assert Scheme.objects.get(code="omscholing").unit_amount == Decimal("4000.00")
    assert Opening.objects.get(code="omscholing-2021").rules == published


def test_a_tranche_number_used_twice_is_refused(admin_client, catalogue):
    scheme = Scheme.objects.get(code="ngf-pps")
    data = _page_form(admin_client, scheme_change(scheme), "scheme_form")
    data["tranche_plan-1-number"] = "1"

    response = admin_client.post(scheme_change(scheme), data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "tranche_plan")
    assert formset.formset.forms[1].errors["number"] == ["Dit tranchenummer komt al voor in het plan."]
    assert sorted(TranchePlanItem.objects.filter(scheme=scheme).values_list("number", flat=True)) == [1, 2, 3]


def test_tranches_adding_up_to_more_than_the_programme_are_refused(admin_client, catalogue):
    scheme = Scheme.objects.get(code="ngf-pps")
    data = _page_form(admin_client, scheme_change(scheme), "scheme_form")
    data["tranche_plan-1-amount"] = "90000000.01"

    response = admin_client.post(scheme_change(scheme), data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "tranche_plan")
    assert formset.formset.non_form_errors() == [
        "De tranches tellen op tot € 210.000.000,01; het programma is € 210.000.000,00."
    ]
    assert TranchePlanItem.objects.get(scheme=scheme, number=2).amount == Decimal("60000000.00")


def test_a_gated_tranche_needs_a_gate_or_a_review_date_and_a_tranche_a_date_or_months(admin_client, catalogue):
    scheme = Scheme.objects.get(code="ngf-pps")
    data = _page_form(admin_client, scheme_change(scheme), "scheme_form")
    data["tranche_plan-2-gate"] = ""
    data["tranche_plan-2-review_date"] = ""
    data["tranche_plan-1-offset_months"] = ""

    response = admin_client.post(scheme_change(scheme), data)

    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "tranche_plan")
    assert formset.formset.forms[2].errors["review_date"] == [
        "Een voorwaardelijke tranche heeft een beoordelingsmoment of een datum van beoordeling nodig."
    ]
    assert formset.formset.forms[1].errors["offset_months"] == [
        "Geef het aantal maanden na de start van de toekenning, of een vaste geplande datum."
    ]
    assert TranchePlanItem.objects.get(scheme=scheme, number=3).gate.code == "evaluatie-2026"


def test_a_conditional_budget_line_needs_its_gate(admin_client, catalogue):
    scheme = Scheme.objects.get(code="ngf-techkwadraat")
    data = _page_form(admin_client, scheme_change(scheme), "scheme_form")
    index = next(i for i in range(5) if data.get(f"budget_lines-{i}-code") == "voorwaardelijk")
    data[f"budget_lines-{index}-gate"] = ""

    response = admin_client.post(scheme_change(scheme), data)

    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "budget_lines")
    assert formset.formset.forms[index].errors["gate"] == [
        "Voorwaardelijk geld komt vrij na een beoordelingsmoment: kies dat moment."
    ]


def test_an_administrator_records_a_kpi_measurement(admin_client, catalogue):
    kpi = KPI.objects.get(scheme__code="ngf-pps", code="werkenden")
    url = f"/beheer/schemes/kpi/{kpi.pk}/change/"
    data = _page_form(admin_client, url, "kpi_form")
    index = int(data["measurements-INITIAL_FORMS"])
    data.update(
        {
            f"measurements-{index}-period": "rapportage 2025",
            f"measurements-{index}-measured_on": "31-12-2025",
            f"measurements-{index}-value": "9100",
            f"measurements-{index}-source": "monitor 2025",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert KPIMeasurement.objects.get(kpi=kpi, period="rapportage 2025").value == Decimal("9100")


# --- openings ----------------------------------------------------------------


def test_an_administrator_adds_an_opening_and_it_is_published_with_the_schemes_rules(admin_client):
    scheme = SchemeFactory(code="testregeling", max_units_per_applicant=4)

    response = admin_client.post(OPENING_ADD, _new_opening(admin_client, scheme))

    assert response.status_code == 302
    opening = Opening.objects.get(code="testregeling-2026")
    assert opening.budget_ceiling == Decimal("1000000.00")
    assert opening.rules["max_units_per_applicant"] == 4
    assert BudgetChange.objects.count() == 0


def test_a_window_that_ends_before_it_starts_is_refused(admin_client):
    scheme = SchemeFactory()
    data = _new_opening(admin_client, scheme, closes_at_0="31-08-2026", closes_at_1="17:00")

    response = admin_client.post(OPENING_ADD, data)

    assert _errors(response) == {"closes_at": ["De openstelling moet sluiten na het moment van openen."]}
    assert not Opening.objects.filter(code="testregeling-2026").exists()


def test_a_window_that_ends_the_moment_it_starts_is_refused(admin_client):
    scheme = SchemeFactory()
    data = _new_opening(admin_client, scheme, closes_at_0="01-09-2026", closes_at_1="09:00")

    response = admin_client.post(OPENING_ADD, data)

    assert "closes_at" in _errors(response)


def test_a_negative_ceiling_is_refused(admin_client):
    scheme = SchemeFactory()

    response = admin_client.post(OPENING_ADD, _new_opening(admin_client, scheme, budget_ceiling="-1.00"))

    assert _errors(response) == {"budget_ceiling": ["Het subsidieplafond kan niet negatief zijn."]}
    assert not Opening.objects.filter(code="testregeling-2026").exists()


def test_the_add_form_asks_no_reason_for_a_first_ceiling(admin_client):
    data = _page_form(admin_client, OPENING_ADD, "opening_form")
    assert "ceiling_change_reason" not in data


def test_raising_a_ceiling_without_a_reason_is_refused(admin_client, catalogue):
    opening = Opening.objects.get(code="omscholing-2021")
    data = _page_form(admin_client, opening_change(opening), "opening_form")
    data.update(budget_ceiling="34625000.00", ceiling_change_reason="   ")

    response = admin_client.post(opening_change(opening), data)

    assert _errors(response) == {"ceiling_change_reason": ["Geef een reden voor de wijziging van het plafond."]}
    opening.refresh_from_db()
    assert opening.budget_ceiling == Decimal("34600000.00")
    assert not BudgetChange.objects.exists()


def test_raising_a_ceiling_with_a_reason_records_a_budget_change(admin_client, admin_user, catalogue):
    opening = Opening.objects.get(code="omscholing-2021")
    data = _page_form(admin_client, opening_change(opening), "opening_form")
    data.update(budget_ceiling="34625000.00", ceiling_change_reason="Plafond volgens de regeling zelf.")

    response = admin_client.post(opening_change(opening), data)

    assert response.status_code == 302
    opening.refresh_from_db()
    assert opening.budget_ceiling == Decimal("34625000.00")
    change = BudgetChange.objects.get(opening=opening)
    assert change.old_ceiling == Decimal("34600000.00")
    assert change.new_ceiling == Decimal("34625000.00")
    assert change.reason == "Plafond volgens de regeling zelf."
    assert change.changed_by == admin_user


def test_lowering_the_ceiling_below_what_is_reserved_and_committed_is_refused(admin_client):
    opening = OpeningFactory(
        budget_ceiling=Decimal("100000.00"), reserved=Decimal("30000.00"), committed=Decimal("45000.00")
    )
    data = _page_form(admin_client, opening_change(opening), "opening_form")
    data.update(budget_ceiling="74999.99", ceiling_change_reason="Bezuiniging")

    response = admin_client.post(opening_change(opening), data)

    assert _errors(response) == {
        "budget_ceiling": ["Het plafond kan niet lager dan wat al gereserveerd en verplicht is (€ 75.000,00)."]
    }
    opening.refresh_from_db()
    assert opening.budget_ceiling == Decimal("100000.00")
    assert not BudgetChange.objects.exists()


def test_lowering_the_ceiling_to_exactly_what_is_reserved_and_committed_is_allowed(admin_client):
    opening = OpeningFactory(
        budget_ceiling=Decimal("100000.00"), reserved=Decimal("30000.00"), committed=Decimal("45000.00")
    )
    data = _page_form(admin_client, opening_change(opening), "opening_form")
    data.update(budget_ceiling="75000.00", ceiling_change_reason="Bezuiniging")

    response = admin_client.post(opening_change(opening), data)

    assert response.status_code == 302
    opening.refresh_from_db()
    assert opening.budget_ceiling == Decimal("75000.00")
    assert opening.reserved == Decimal("30000.00") and opening.committed == Decimal("45000.00")
    assert BudgetChange.objects.get(opening=opening).new_ceiling == Decimal("75000.00")


def test_the_ceiling_is_judged_against_the_ledger_as_it_stands_when_saving(admin_client):
    """Money reserved after the page was opened still counts."""
    opening = OpeningFactory(budget_ceiling=Decimal("100000.00"))
    data = _page_form(admin_client, opening_change(opening), "opening_form")
    Opening.objects.filter(pk=opening.pk).update(reserved=Decimal("90000.00"))
    data.update(budget_ceiling="80000.00", ceiling_change_reason="Bezuiniging")

    response = admin_client.post(opening_change(opening), data)

    assert "budget_ceiling" in _errors(response)
    opening.refresh_from_db()
    assert opening.budget_ceiling == Decimal("100000.00")


def test_editing_an_opening_without_touching_the_ceiling_needs_no_reason_and_keeps_the_ledger(
    admin_client, monkeypatch
):
    opening = OpeningFactory(budget_ceiling=Decimal("100000.00"))
    data = _page_form(admin_client, opening_change(opening), "opening_form")
    data.update(notes="Venster verlengd op verzoek van de minister.", target_units="500")
    save_model = OpeningAdmin.save_model

    def reserve_meanwhile(self, request, obj, form, change):
        # An application reserves money after the admin read the row and before it writes.
        Opening.objects.filter(pk=obj.pk).update(reserved=Decimal("20000.00"))
        save_model(self, request, obj, form, change)

    monkeypatch.setattr(OpeningAdmin, "save_model", reserve_meanwhile)

    response = admin_client.post(opening_change(opening), data)

    assert response.status_code == 302
    opening.refresh_from_db()
    assert opening.notes == "Venster verlengd op verzoek van de minister."
    assert opening.target_units == 500
    assert opening.reserved == Decimal("20000.00")
    assert not BudgetChange.objects.exists()


def test_the_opening_page_shows_the_ledger_totals_and_the_published_rules(admin_client, catalogue):
    opening = Opening.objects.get(code="omscholing-2021")
    Opening.objects.filter(pk=opening.pk).update(
        reserved=Decimal("1000000.00"), committed=Decimal("371250.00"), paid=Decimal("371250.00")
    )

    html = admin_client.get(opening_change(opening)).content.decode()

    assert "€ 1.000.000,00" in html  # gereserveerd
    assert "€ 371.250,00" in html  # verplicht and betaald
    assert "€ 33.228.750,00" in html  # beschikbaar
    assert "bedrag per eenheid" in html and "€ 3.750,00" in html
    assert "maximaal aantal eenheden per aanvrager" in html
    assert 'name="reserved"' not in html and 'name="rules"' not in html
    # The scheme an opening was published under cannot be changed.
    assert 'name="scheme"' not in html


# --- records -----------------------------------------------------------------


def test_budget_changes_can_be_read_but_not_added_changed_or_deleted(admin_client, catalogue):
    opening = Opening.objects.get(code="omscholing-2021")
    change = BudgetChange.objects.create(
        opening=opening, old_ceiling=Decimal("34600000.00"), new_ceiling=Decimal("34625000.00"), reason="Regeling"
    )
    base = "/beheer/schemes/budgetchange/"

    assert admin_client.get(base).status_code == 200
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{change.pk}/change/", {"reason": "Anders"}).status_code == 403
    assert admin_client.post(f"{base}{change.pk}/delete/", {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.reason == "Regeling"


def test_ledger_entries_can_be_read_but_not_added_changed_or_deleted(admin_client, catalogue):
    opening = Opening.objects.get(code="omscholing-2021")
    entry = LedgerEntry.objects.create(opening=opening, kind=LedgerEntry.Kind.RESERVE, amount=Decimal("3750.00"))
    base = "/beheer/schemes/ledgerentry/"

    listing = admin_client.get(base)
    assert listing.status_code == 200
    assert "€ 3.750,00" in listing.content.decode()
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{entry.pk}/change/", {"amount": "1.00"}).status_code == 403
    assert admin_client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("3750.00")


def test_every_catalogue_page_of_beheer_opens(admin_client, catalogue):
    scheme = Scheme.objects.get(code="ngf-pps")
    pages = [
        "/beheer/schemes/",
        "/beheer/schemes/scheme/",
        scheme_change(scheme),
        "/beheer/schemes/opening/",
        opening_change(Opening.objects.get(code="slim-2025")),
        "/beheer/schemes/trancheplanitem/",
        "/beheer/schemes/kpi/",
        f"/beheer/schemes/kpi/{scheme.kpis.first().pk}/change/",
        "/beheer/schemes/budgetchange/",
        "/beheer/schemes/ledgerentry/",
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_beheer_is_closed_to_someone_not_logged_in(client, catalogue):
    response = client.get("/beheer/schemes/opening/")
    assert response.status_code == 302
    assert "/beheer/login/" in response["Location"]
