"""Bad input is a 400 with a Dutch message, never a 500, and it changes nothing.

Each case was a 500 on PostgreSQL (which refuses NUL in text and numbers past a column's digits) or in Python
(a negative slice, a list where an object was expected, a date past 9999). An employer applies for the
Omscholingsregeling through the API; an intermediary and the portal's forms are tried where they read the same.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services
from applications.errors import Invalid
from applications.models import Application, AuditEvent, CostLine, Partner, Role, Unit
from applications.portal.forms import CostsForm
from applications.services import decisions, inputs
from applications.services.actions import Context
from schemes.forms import MoneyField
from schemes.rules import to_money
from tests import factories as f
from tests.factories import act

pytestmark = pytest.mark.django_db

APPS = "/api/v1/applications/"


@pytest.fixture
def opening(db):
    return f.open_opening(f.omscholing_scheme(code="oms-invoer", intermediaries_allowed=True))


@pytest.fixture
def werkgever(db):
    return f.employer(f.OrganisationFactory(name="Invoerbedrijf B.V."), username="werkgever-invoer")


@pytest.fixture
def api(werkgever):
    client = APIClient()
    client.force_authenticate(werkgever)
    return client


@pytest.fixture
def draft(opening, werkgever):
    return f.draft(opening, werkgever)


def refused(response, *, field: str | None = None) -> dict:
    """A 400 with a Dutch ``detail`` (and the field to blame in ``errors``)."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in body["errors"], body
    return body


def unchanged(draft) -> None:
    before = (draft.version, list(draft.units.values_list("id", flat=True)), draft.answers)
    draft.refresh_from_db()
    assert (draft.version, list(draft.units.values_list("id", flat=True)), draft.answers) == before


# --- NUL characters: PostgreSQL refuses them in text ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        APPS + "?opening=%00",
        APPS + "?state=%00",
        APPS + "applicatio%00ns/",
        "/api/v1/applications/OMS-2026-%00/",
        "/api/v1/applications/OMS-2026-%00/events/",
        "/api/v1/openings/%00/",
        "/api/v1/reports/opening/a%00/?as_of=%00",
        "/behandeling/?regeling=%00",
        "/mijn/?scheme=%00",
    ],
)
def test_a_nul_character_in_the_address_is_a_400_that_says_so(api, draft, url):
    response = api.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_character_in_an_answer_creates_no_draft(api, opening):
    body = {"opening": opening.code, "units": [f.traject(1)], "answers": {"x": "a\u0000b"}}
    result = refused(api.post(APPS, body, format="json"))
    assert "NUL" in result["detail"]
    assert not Application.objects.exists()


def test_a_nul_character_in_a_change_to_a_draft_changes_nothing(api, draft):
    refused(api.patch(f"{APPS}{draft.reference}/", {"answers": {"a\u0000": "b"}}, format="json"))
    refused(api.patch(f"{APPS}{draft.reference}/", {"units": [{**f.traject(1), "provider": "R\u0000OC"}]}))
    unchanged(draft)


def test_a_nul_character_in_the_reason_of_an_action_is_refused(api, draft):
    refused(api.post(f"{APPS}{draft.reference}/actions/withdraw/", {"reason": "weg\u0000"}, format="json"))
    draft.refresh_from_db()
    assert draft.state == "draft"
    with pytest.raises(Invalid):
        inputs.text({"reason": "a\x00"}, "reason")


# --- paging and bodies of the wrong shape ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-5", "offset"),
        ("offset=100000000000000000000", "offset"),
        ("state=granted,verzonnen", "state"),
        ("opening=" + "x" * 61, "opening"),
    ],
)
def test_paging_and_filters_outside_their_range_are_a_400_per_parameter(api, draft, query, field):
    refused(api.get(f"{APPS}?{query}"), field=field)


def test_the_list_still_pages_and_filters_within_range(api, draft, opening):
    response = api.get(f"{APPS}?limit=1&offset=0&state=draft,submitted&opening={opening.code}")
    assert response.status_code == 200 and [a["reference"] for a in response.json()] == [draft.reference]


@pytest.mark.parametrize("body", ["42", "[1, 2]", '"tekst"', "null"])
def test_a_change_to_a_draft_that_is_not_an_object_is_refused(api, draft, body):
    response = api.generic("PATCH", f"{APPS}{draft.reference}/", body, content_type="application/json")
    assert refused(response)["detail"] == "De gegevens moeten een JSON-object zijn."
    unchanged(draft)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cost_lines": ["huur"]}, "cost_lines.0"),
        ({"cost_lines": "huur"}, "cost_lines"),
        ({"cost_lines": [{"description": "huur", "amount": {"bedrag": 1}}]}, "cost_lines.0.amount"),
        ({"partners": [7]}, "partners.0"),
        ({"partners": [{"name": "TU", "role": "company", "cofinancing": ["geld"]}]}, "partners.0.cofinancing.0"),
        ({"partners": [{"name": "TU", "role": "company", "cofinancing": "geld"}]}, "partners.0.cofinancing"),
        ({"partners": {"name": "TU"}}, "partners"),
        ({"units": [["lijst"]]}, "units.0"),
        ({"answers": ["lijst"]}, "answers"),
    ],
)
def test_lists_whose_items_are_not_objects_are_refused_and_change_nothing(api, draft, change, field):
    refused(api.patch(f"{APPS}{draft.reference}/", change, format="json"), field=field)
    unchanged(draft)
    assert not CostLine.objects.exists() and not Partner.objects.exists()


def test_an_idempotency_key_longer_than_64_characters_is_refused(api, opening):
    response = api.post(
        APPS, {"opening": opening.code, "units": [f.traject(1)]}, format="json", headers={"Idempotency-Key": "k" * 65}
    )
    refused(response, field="Idempotency-Key")
    assert not Application.objects.exists()
    ok = api.post(
        APPS, {"opening": opening.code, "units": [f.traject(1)]}, format="json", headers={"Idempotency-Key": "k" * 64}
    )
    assert ok.status_code == 201


# --- dates: 1990 to 2100 ---------------------------------------------------------------------------------------


def test_a_traject_ending_on_9999_12_31_is_refused_so_the_grant_can_always_be_decided(api, opening, werkgever):
    traject = {**f.traject(1), "end_date": "9999-12-31", "contract_end_date": "9999-12-31"}
    body = refused(api.post(APPS, {"opening": opening.code, "units": [traject]}, format="json"))
    assert body["errors"]["units.0.end_date"] == ["Vul een datum tussen 1990 en 2100 in."]
    assert not Application.objects.exists() and not Unit.objects.exists()
    # the same traject ending in time goes all the way through the four eyes
    app = f.submitted(opening, werkgever, units=[f.traject(1), f.traject(2)])
    reviewer = f.staff(Role.REVIEWER, [opening.scheme], username="behandelaar-invoer")
    senior = f.staff(Role.SENIOR_REVIEWER, [opening.scheme], username="senior-invoer")
    act(app, "start_review", reviewer, {})
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    act(app, "propose_grant", reviewer, {})
    act(app, "approve_decision", senior, {})
    assert app.state == "granted" and app.settlement_due is not None


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1989-12-31", "2101-01-01"])
def test_a_project_end_date_outside_1990_to_2100_is_refused_by_the_api_and_the_portal(api, draft, value):
    refused(
        api.patch(f"{APPS}{draft.reference}/", {"project_end_date": value}, format="json"), field="project_end_date"
    )
    unchanged(draft)
    form = CostsForm({"project_end_date": value})
    assert not form.is_valid()
    assert form.errors["project_end_date"] == ["Vul een datum tussen 1990 en 2100 in."]


def test_dates_at_the_edges_of_the_range_are_accepted():
    assert inputs.date({"d": "1990-01-01"}, "d") == datetime.date(1990, 1, 1)
    assert inputs.date({"d": "2100-12-31"}, "d") == datetime.date(2100, 12, 31)


# --- money: ASCII digits, and no more than the column holds --------------------------------------------------------


@pytest.mark.parametrize("value", ["١٢٣٤٥", "１２３４５", "1e5", "1E+999999", "NaN", "10000000000000", "0x10"])
def test_money_in_other_digits_or_past_the_column_is_refused(api, draft, value):
    body = refused(api.patch(f"{APPS}{draft.reference}/", {"units": [{**f.traject(1), "cost": value}]}, format="json"))
    assert "units.0.cost" in body["errors"]
    unchanged(draft)
    with pytest.raises(ValueError):
        to_money(value)
    with pytest.raises(Exception) as form_refusal:
        MoneyField().clean(value)
    assert "Vul een bedrag in" in str(form_refusal.value)


def test_ordinary_amounts_are_still_read_the_dutch_and_the_plain_way():
    field = MoneyField()
    assert [str(field.clean(v)) for v in ("8.000", "8000,00", "8000.50", "€ 1.250.000", "-5")] == [
        "8000.00",
        "8000.00",
        "8000.50",
        "1250000.00",
        "-5.00",
    ]
    assert str(to_money(8000)) == "8000.00" and str(to_money("999999999999.99")) == "999999999999.99"


def test_nothing_is_recorded_for_a_refused_request(api, draft):
    events = AuditEvent.objects.count()
    api.patch(f"{APPS}{draft.reference}/", {"cost_lines": ["huur"]}, format="json")
    api.post(f"{APPS}{draft.reference}/actions/submit/", [1], format="json")
    assert AuditEvent.objects.count() == events


# --- found by Schemathesis (tests/security/test_schemathesis.py) -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/openings/%F0%A3%A5%B7%09I/",  # not a slug: no endpoint matched, and the 404 was an HTML page
        "/api/v1/schemes/a%20b/",
        "/api/v1/applications/OMS-2026-000001/letters/-5/",  # an id that is not a number
    ],
)
def test_an_api_address_that_matches_no_endpoint_is_a_json_404(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Dit adres bestaat niet in de API."}


def test_a_settlement_whose_completed_trajecten_are_not_ids_is_refused(opening, werkgever):
    app = f.submitted(opening, werkgever, units=[f.traject(1)])
    reviewer = f.staff(Role.REVIEWER, [opening.scheme], username="behandelaar-vaststelling")
    senior = f.staff(Role.SENIOR_REVIEWER, [opening.scheme], username="senior-vaststelling")
    act(app, "start_review", reviewer, {})
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    act(app, "propose_grant", reviewer, {})
    act(app, "approve_decision", senior, {})
    for done in ([[1]], [{"id": {"a": 1}}], ["1"], [True]):
        with pytest.raises(Invalid) as refusal:
            act(app, "request_settlement", werkgever, {"units_completed": done})
        assert "units_completed" in refusal.value.errors
    app.refresh_from_db()
    assert app.state == "granted" and set(app.units.values_list("status", flat=True)) == {Unit.Status.PLANNED}


def test_a_tranche_that_is_not_a_number_is_refused():
    now = timezone.now()
    context = Context(application=Application(), user=None, data={"tranche": {"x": 1}}, now=now, today=now.date())
    with pytest.raises(Invalid) as refusal:
        decisions._propose_tranche(context)
    assert refusal.value.errors == {"tranche": ["Een getal."]}
