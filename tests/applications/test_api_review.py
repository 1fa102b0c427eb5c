"""The whole review through the API: declare, assess, propose, and a second reviewer who declares and approves."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from applications.models import Assessment, AuditEvent
from tests.factories import OpeningFactory, SchemeFactory, day_ended, employer, reviewer, senior, submitted

pytestmark = pytest.mark.django_db


def client(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def case():
    opening = OpeningFactory(omscholing=True)
    scheme = opening.scheme
    team = {"employer": employer(), "reviewer": reviewer([scheme]), "senior": senior([scheme])}
    return {**team, "opening": opening, "app": submitted(opening, team["employer"])}


def url(case, what: str) -> str:
    return f"/api/v1/applications/{case['app'].reference}/{what}/"


def test_a_reviewer_and_a_second_reviewer_take_a_grant_through_the_api_alone(case):
    bart, sanne = client(case["reviewer"]), client(case["senior"])
    assert (
        bart.post(
            url(case, "conflict-of-interest"), {"conflict": False, "note": "Ken hen niet."}, format="json"
        ).status_code
        == 201
    )
    assert bart.post(url(case, "actions/start_review"), {}, format="json").status_code == 200
    checks = {"kvk": True, "diploma": True, "occupation": True, "cost": True, "contract": True, "supervision": True}
    answer = bart.post(url(case, "assessment"), {"checklist": checks, "note": "Alles in orde."}, format="json")
    assert answer.status_code == 200 and answer.json()[0]["checklist"] == checks
    day_ended(case["app"])  # first come, first served: a grant waits until the day of completeness has ended
    assert bart.post(url(case, "actions/propose_grant"), {"note": "Voldoet."}, format="json").status_code == 200
    assert sanne.post(url(case, "conflict-of-interest"), {"conflict": False}, format="json").status_code == 201
    seen = sanne.get(url(case, "assessment")).json()
    assert {a["reviewer"]: a["checklist"] for a in seen}[case["reviewer"].username] == checks
    answer = sanne.post(url(case, "actions/approve_decision"), {}, format="json")
    assert answer.status_code == 200 and answer.json()["state"] == "granted"


def test_a_changed_declaration_replaces_the_first_and_is_audited(case):
    bart = client(case["reviewer"])
    assert bart.post(url(case, "conflict-of-interest"), {"conflict": False}, format="json").status_code == 201
    answer = bart.post(url(case, "conflict-of-interest"), {"conflict": True, "note": "Mijn zwager."}, format="json")
    assert answer.status_code == 200 and answer.json()["conflict_declared"] is True
    assert Assessment.objects.get(reviewer=case["reviewer"]).no_conflict_declared_at is None
    events = AuditEvent.objects.filter(application=case["app"], action__startswith="declare").order_by("id")
    assert [(e.action, e.data.get("replaces")) for e in events] == [
        ("declare_no_conflict", None),
        ("declare_conflict", "no_conflict"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"conflict": "nee"},
        {"conflict": None},
        ["conflict", False],
        {"conflict": False, "note": "x" * 5001},
    ],
)
def test_a_bad_declaration_is_refused_and_changes_nothing(case, body):
    answer = client(case["reviewer"]).post(url(case, "conflict-of-interest"), body, format="json")
    assert answer.status_code == 400 and answer.json()["detail"]
    assert not Assessment.objects.exists()


def test_only_the_scheme_s_reviewers_declare_and_assess(case):
    stranger = reviewer([SchemeFactory()])
    for who, status in ((case["employer"], 404), (stranger, 404), (None, 401)):
        for what, body in (("conflict-of-interest", {"conflict": False}), ("assessment", {"note": "x"})):
            answer = client(who).post(url(case, what), body, format="json")
            assert answer.status_code in ((401, 403) if who is None else (status,)), (who, what)
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"checklist": {"made_up": True}}, "checklist"),
        ({"checklist": {"kvk": "ja"}}, "checklist"),
        ({"scores": {"fit": {"score": 7, "justification": "goed"}}}, "scores"),
        ({"checklist": "alles"}, "checklist"),
    ],
)
def test_an_assessment_follows_the_scheme_s_own_checklist(case, body, field):
    bart = client(case["reviewer"])
    bart.post(url(case, "conflict-of-interest"), {"conflict": False}, format="json")
    answer = bart.post(url(case, "assessment"), body, format="json")
    assert answer.status_code == 400 and field in str(answer.json())
    assert Assessment.objects.get().checklist == {}


def test_assessing_without_a_declaration_is_refused(case):
    answer = client(case["reviewer"]).post(url(case, "assessment"), {"note": "Snel even."}, format="json")
    assert answer.status_code == 403 and "belangenverstrengeling" in answer.json()["detail"]


def test_a_tender_is_scored_on_every_criterion_each_justified(case):
    opening = OpeningFactory(scheme=SchemeFactory(slim=True, code="slim-api"), distribution="tender")
    app = submitted(opening, case["employer"])
    bart = reviewer([opening.scheme])
    api = client(bart)
    base = f"/api/v1/applications/{app.reference}/"
    api.post(base + "conflict-of-interest/", {"conflict": False}, format="json")
    half = {"innovation": {"score": 8, "justification": "Nieuw."}}
    assert api.post(base + "assessment/", {"scores": half}, format="json").status_code == 400
    unjustified = {k: {"score": 7, "justification": ""} for k in ("innovation", "effect", "quality", "reach")}
    assert api.post(base + "assessment/", {"scores": unjustified}, format="json").status_code == 400
    too_high = {k: {"score": 11, "justification": "x"} for k in ("innovation", "effect", "quality", "reach")}
    assert api.post(base + "assessment/", {"scores": too_high}, format="json").status_code == 400
    full = {
        k: {"score": s, "justification": "Onderbouwd."}
        for k, s in zip(("innovation", "effect", "quality", "reach"), (8, 7, 6, 9), strict=True)
    }
    answer = api.post(base + "assessment/", {"scores": full}, format="json")
    assert answer.status_code == 200 and answer.json()[0]["score"] == "7.50"
