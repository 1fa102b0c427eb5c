"""The eligibility self-check: what an applicant would receive, and every reason why not."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemes.models import Scheme
from schemes.services import self_check

pytestmark = pytest.mark.django_db

CHECK_URL = "/regelingen/{code}/check/"


def _scheme(code: str) -> Scheme:
    return Scheme.objects.get(code=code)


# --- the service -------------------------------------------------------------


def test_an_employer_with_six_trajecten_of_8000_receives_22500(catalogue):
    result = self_check(scheme=_scheme("omscholing"), units=6, unit_cost=Decimal("8000.00"))

    assert result.eligible
    assert result.computation.amount == Decimal("22500.00")
    assert result.refusals == []


def test_an_employer_with_seven_trajecten_is_refused_at_most_six_per_applicant(catalogue):
    result = self_check(scheme=_scheme("omscholing"), units=7, unit_cost=Decimal("8000.00"))

    assert not result.eligible
    assert any("ten hoogste 6" in refusal for refusal in result.refusals)


def test_a_traject_of_7000_is_refused_it_must_cost_at_least_7500(catalogue):
    result = self_check(scheme=_scheme("omscholing"), units=1, unit_cost=Decimal("7000.00"))

    assert not result.eligible
    assert any("minstens € 7.500,00" in refusal for refusal in result.refusals)


def test_exactly_the_minimum_cost_of_7500_is_enough(catalogue):
    result = self_check(scheme=_scheme("omscholing"), units=1, unit_cost=Decimal("7500.00"))

    assert result.eligible
    assert result.computation.amount == Decimal("3750.00")


def test_an_intermediary_is_refused_for_omscholing_employers_apply_themselves(catalogue):
    result = self_check(
        scheme=_scheme("omscholing"), applicant_type="intermediary", units=2, unit_cost=Decimal("8000.00")
    )

    assert not result.eligible
    assert any("alleen werkgevers" in refusal for refusal in result.refusals)


def test_an_intermediary_may_apply_for_slim(catalogue):
    result = self_check(scheme=_scheme("slim"), applicant_type="intermediary", eligible_costs=Decimal("10000.00"))

    assert result.eligible
    assert result.computation.amount == Decimal("6000.00")


def test_slim_pays_60_percent_of_eligible_costs_capped_at_24999(catalogue):
    result = self_check(scheme=_scheme("slim"), eligible_costs=Decimal("50000.00"))

    assert result.eligible
    assert result.computation.amount == Decimal("24999.00")
    assert any("begrensd" in step for step in result.computation.steps)


def test_slim_below_5000_eligible_costs_is_refused(catalogue):
    result = self_check(scheme=_scheme("slim"), eligible_costs=Decimal("4999.99"))

    assert not result.eligible
    assert any("minstens € 5.000,00" in refusal for refusal in result.refusals)


def test_slim_de_minimis_aid_over_300000_in_three_years_is_refused(catalogue):
    result = self_check(
        scheme=_scheme("slim"), eligible_costs=Decimal("50000.00"), de_minimis_received=Decimal("290000.00")
    )

    assert not result.eligible
    assert any("€ 314.999,00" in refusal and "€ 300.000,00" in refusal for refusal in result.refusals)


def test_slim_de_minimis_aid_up_to_exactly_300000_is_allowed(catalogue):
    result = self_check(
        scheme=_scheme("slim"), eligible_costs=Decimal("50000.00"), de_minimis_received=Decimal("275001.00")
    )

    assert result.eligible


def test_mkbidee_refuses_a_subsidy_below_its_minimum_of_25000(catalogue):
    result = self_check(scheme=_scheme("mkbidee"), eligible_costs=Decimal("20000.00"))

    assert not result.eligible
    assert any("het minimum is € 25.000,00" in refusal for refusal in result.refusals)


def test_the_check_judges_by_the_published_rules_of_the_latest_opening(catalogue):
    scheme = _scheme("omscholing")
    Scheme.objects.filter(pk=scheme.pk).update(max_units_per_applicant=10)
    scheme.refresh_from_db()

    result = self_check(scheme=scheme, units=7, unit_cost=Decimal("8000.00"))

    assert not result.eligible
    assert any("ten hoogste 6" in refusal for refusal in result.refusals)


# --- the page ----------------------------------------------------------------


def test_the_page_shows_22500_for_six_trajecten_of_8000(client, catalogue):
    response = client.get(
        CHECK_URL.format(code="omscholing"), {"units": "6", "unit_cost": "8000", "applicant_type": "employer"}
    )

    assert response.status_code == 200
    assert response.context["result"].eligible
    assert response.context["result"].computation.amount == Decimal("22500.00")
    assert "€ 22.500,00" in response.content.decode()


def test_the_page_accepts_an_amount_typed_the_dutch_way(client, catalogue):
    response = client.get(
        CHECK_URL.format(code="omscholing"), {"units": "6", "unit_cost": "8.000,00", "applicant_type": "employer"}
    )

    assert response.context["result"].computation.amount == Decimal("22500.00")


def test_the_page_refuses_seven_trajecten_and_says_at_most_six(client, catalogue):
    response = client.get(
        CHECK_URL.format(code="omscholing"), {"units": "7", "unit_cost": "8000", "applicant_type": "employer"}
    )

    html = response.content.decode()
    assert not response.context["result"].eligible
    assert "ten hoogste 6" in html
    assert "U zou" not in html


def test_the_page_refuses_a_traject_of_7000(client, catalogue):
    response = client.get(
        CHECK_URL.format(code="omscholing"), {"units": "1", "unit_cost": "7000", "applicant_type": "employer"}
    )

    assert "minstens € 7.500,00" in response.content.decode()


def test_the_page_refuses_an_intermediary_for_omscholing(client, catalogue):
    response = client.get(
        CHECK_URL.format(code="omscholing"), {"units": "1", "unit_cost": "8000", "applicant_type": "intermediary"}
    )

    assert "alleen werkgevers" in response.content.decode()


def test_the_page_caps_slim_at_24999(client, catalogue):
    response = client.get(CHECK_URL.format(code="slim"), {"eligible_costs": "50000", "applicant_type": "employer"})

    assert "€ 24.999,00" in response.content.decode()


def test_letters_in_an_amount_give_a_dutch_error_next_to_the_field_and_no_result(client, catalogue):
    response = client.get(
        CHECK_URL.format(code="omscholing"), {"units": "6", "unit_cost": "acht", "applicant_type": "employer"}
    )

    assert response.status_code == 200
    assert response.context["result"] is None
    form = response.context["form"]
    assert form.errors["unit_cost"] == ["Vul een bedrag in, bijvoorbeeld 8.000 of 8000,00."]
    html = response.content.decode()
    error_block = html.index('id="id_unit_cost_error"')
    assert html.index('for="id_unit_cost"') < error_block < html.index('name="unit_cost"')
    assert "Vul een bedrag in" in html[error_block : html.index('name="unit_cost"')]
    assert "os-result" not in html


def test_a_missing_number_of_trajecten_is_asked_for_in_dutch(client, catalogue):
    response = client.get(CHECK_URL.format(code="omscholing"), {"unit_cost": "8000", "applicant_type": "employer"})

    assert response.context["result"] is None
    assert response.context["form"].errors["units"] == ["Dit veld is vereist."]


def test_the_empty_page_shows_the_form_without_a_result(client, catalogue):
    response = client.get(CHECK_URL.format(code="omscholing"))

    assert response.status_code == 200
    assert response.context["result"] is None
    assert not response.context["form"].is_bound


def test_an_unknown_scheme_is_404(client, catalogue):
    assert client.get(CHECK_URL.format(code="bestaat-niet")).status_code == 404


def test_an_amount_typed_with_dutch_thousands_dots_counts_in_thousands(client, catalogue):
    response = client.get(
        "/regelingen/omscholing/check/", {"applicant_type": "employer", "units": "2", "unit_cost": "8.000"}
    )
    assert response.context["result"].eligible
    assert response.context["result"].computation.amount == Decimal("7500.00")
