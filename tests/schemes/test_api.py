"""The catalogue API: every scheme with its rules and openings, and each opening with its budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemes.models import Opening, Scheme

pytestmark = pytest.mark.django_db

SCHEME_FIELDS = {
    "code",
    "name",
    "shape",
    "unit_amount",
    "min_unit_cost",
    "max_units_per_applicant",
    "percentage",
    "min_amount",
    "max_amount",
    "decision_term_weeks",
    "target_units",
    "intermediaries_allowed",
    "openings",
    "programme_total",
    "tranche_plan",
}
OPENING_SUMMARY_FIELDS = {"code", "opens_at", "closes_at", "budget_ceiling", "distribution", "status"}


def _schemes(client) -> dict[str, dict]:
    response = client.get("/api/v1/schemes/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return {scheme["code"]: scheme for scheme in response.json()}


def test_the_list_has_every_scheme_with_the_fields_the_issue_asks_for(client, catalogue):
    schemes = _schemes(client)

    assert set(schemes) == set(Scheme.objects.values_list("code", flat=True))
    for scheme in schemes.values():
        assert SCHEME_FIELDS <= set(scheme), scheme["code"]
        for opening in scheme["openings"]:
            assert OPENING_SUMMARY_FIELDS <= set(opening), opening["code"]


def test_omscholing_in_the_list_has_its_figures_as_exact_strings_and_absent_ones_null(client, catalogue):
    omscholing = _schemes(client)["omscholing"]

    assert omscholing["name"] == "Omscholing naar kansrijke beroepen in ICT en techniek"
    assert omscholing["shape"] == "per_unit"
    assert omscholing["unit_amount"] == "3750.00"
    assert omscholing["min_unit_cost"] == "7500.00"
    assert omscholing["max_units_per_applicant"] == 6
    assert omscholing["decision_term_weeks"] == 8
    assert omscholing["target_units"] == 19000
    assert omscholing["intermediaries_allowed"] is False
    assert omscholing["percentage"] is None
    assert omscholing["min_amount"] is None
    assert omscholing["max_amount"] is None
    assert omscholing["programme_total"] is None
    assert omscholing["tranche_plan"] == []


def test_omscholing_lists_its_two_closed_openings(client, catalogue):
    openings = {o["code"]: o for o in _schemes(client)["omscholing"]["openings"]}

    assert set(openings) == {"omscholing-2021", "omscholing-2022"}
    first = openings["omscholing-2021"]
    assert first["budget_ceiling"] == "34600000.00"
    assert first["distribution"] == "fcfs"
    assert first["status"] == "closed"
    assert first["opens_at"] == "2021-09-01T09:00:00+02:00"
    assert first["closes_at"] == "2021-12-01T17:00:00+01:00"
    assert openings["omscholing-2022"]["budget_ceiling"] == "40000000.00"


def test_slim_in_the_list_has_its_percentage_and_maximum(client, catalogue):
    slim = _schemes(client)["slim"]

    assert slim["shape"] == "share_of_costs"
    assert slim["percentage"] == "60.00"
    assert slim["max_amount"] == "24999.00"
    assert slim["intermediaries_allowed"] is True
    assert slim["unit_amount"] is None
    assert slim["max_units_per_applicant"] is None
    assert [o["distribution"] for o in slim["openings"]] == ["lottery"] * 3
    assert sum(Decimal(o["budget_ceiling"]) for o in slim["openings"]) == Decimal("73000000.00")


def test_techkwadraat_shows_351_6_million_of_which_145_8_unconditional(client, catalogue):
    techkwadraat = _schemes(client)["ngf-techkwadraat"]

    assert techkwadraat["shape"] == "programme"
    assert techkwadraat["programme_total"] == "351600000.00"
    assert techkwadraat["unconditional_total"] == "145800000.00"
    assert techkwadraat["conditional_total"] == "205800000.00"
    # the € 205,8 mln is the programme's, held back until its 2027 KPI review; an award is one tranche at its start
    assert techkwadraat["tranche_plan"] == [
        {
            "number": 1,
            "label": "Toekenning uit het onvoorwaardelijke deel, bij de start",
            "amount": "145800000.00",
            "offset_months": 0,
            "planned_date": None,
            "gated": False,
            "gate": None,
            "review_kind": "",
            "review_date": None,
            "assumption": False,
        },
    ]


def test_the_list_answers_in_a_constant_number_of_queries(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        client.get("/api/v1/schemes/")


def test_one_scheme_by_code(client, catalogue):
    response = client.get("/api/v1/schemes/ngf-pps/")

    assert response.status_code == 200
    body = response.json()
    assert body["programme_total"] == "210000000.00"
    assert [t["gated"] for t in body["tranche_plan"]] == [False, False, True]


def test_the_opening_shows_its_ceiling_and_what_is_reserved_committed_and_paid(client, catalogue):
    response = client.get("/api/v1/openings/omscholing-2021/")

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "omscholing-2021"
    assert body["scheme"] == "omscholing"
    assert body["budget_ceiling"] == "34600000.00"
    assert body["reserved"] == "0.00"
    assert body["committed"] == "0.00"
    assert body["paid"] == "0.00"
    assert body["available"] == "34600000.00"
    assert body["distribution"] == "fcfs"
    assert body["status"] == "closed"
    assert body["rules"]["unit_amount"] == "3750.00"


def test_the_opening_available_is_the_ceiling_less_reserved_and_committed(client, catalogue):
    Opening.objects.filter(code="omscholing-2021").update(
        reserved=Decimal("7500.00"), committed=Decimal("371250.00"), paid=Decimal("371250.00")
    )

    body = client.get("/api/v1/openings/omscholing-2021/").json()

    assert body["reserved"] == "7500.00"
    assert body["committed"] == "371250.00"
    assert body["paid"] == "371250.00"
    assert body["available"] == "34221250.00"


def test_an_unknown_opening_is_404_with_a_json_detail(client, catalogue):
    response = client.get("/api/v1/openings/omscholing-2030/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Er is geen openstelling met de code 'omscholing-2030'."}


def test_an_unknown_scheme_is_404_with_a_json_detail(client, catalogue):
    response = client.get("/api/v1/schemes/bestaat-niet/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Er is geen regeling met de code 'bestaat-niet'."}


def test_the_catalogue_api_is_read_only(client, catalogue):
    assert client.post("/api/v1/schemes/", {"code": "nieuw"}).status_code == 405
    assert client.delete("/api/v1/openings/omscholing-2021/").status_code == 405
    assert Opening.objects.filter(code="omscholing-2021").exists()
