"""The applications API: drafts, the list and detail, every action, the audit trail, allocation."""

from __future__ import annotations

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from applications import clocks, reasons, services
from applications.api.serializers import ApplicationSerializer
from applications.models import Application, AuditEvent, Channel, Organisation, Role, User
from applications.services import allocation
from applications.states import State
from schemes.models import Distribution, TranchePlanItem
from tests import factories as f
from tests.factories import act as staff_act
from tests.factories import declare_no_conflict

pytestmark = pytest.mark.django_db

DETAIL_FIELDS = {
    "reference",
    "opening",
    "organisation",
    "state",
    "amount_requested",
    "amount_granted",
    "amount_settled",
    "submitted_at",
    "complete_at",
    "decision_due",
    "queue_position",
    "units",
    "available_actions",
}


def client_for(user=None, language=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language) if language else APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body(opening, **extra):
    return {"opening": opening.code, "units": [f.traject(1), f.traject(2)], "truthfulness_declared": True, **extra}


def act(client, app_or_ref, action, data=None, **headers):
    reference = getattr(app_or_ref, "reference", app_or_ref)
    return client.post(
        f"/api/v1/applications/{reference}/actions/{action}/", data or {}, format="json", headers=headers or None
    )


# --- drafts --------------------------------------------------------------------------------


def test_an_employer_creates_a_draft(opening, werkgever):
    response = client_for(werkgever).post("/api/v1/applications/", body(opening), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert DETAIL_FIELDS <= set(data)
    app = Application.objects.get(reference=data["reference"])
    assert app.state == State.DRAFT and app.organisation == werkgever.organisation
    assert app.channel == Channel.EMPLOYER and app.created_by == werkgever
    assert data["organisation"] == werkgever.organisation.kvk
    assert data["opening"] == opening.code
    assert [u["id"] for u in data["units"]] == list(app.units.order_by("position").values_list("id", flat=True))
    assert data["available_actions"] == ["submit"]
    assert data["units"][0]["cost"] == "8000.00"


@pytest.fixture
def opening_for_intermediaries(db):
    """An Omscholing opening where intermediaries may apply on an employer's behalf."""
    return f.open_opening(f.omscholing_scheme(code="omscholing-fondsen", intermediaries_allowed=True))


def test_an_intermediary_with_a_mandate_applies_for_the_employer(opening_for_intermediaries, werkgever):
    opening = opening_for_intermediaries
    fonds = f.IntermediaryFactory(name="Opleidingsfonds Metaal")
    f.mandate(werkgever.organisation, fonds, [opening.scheme])
    adviseur = f.UserFactory(role=Role.INTERMEDIARY, organisation=fonds)
    payload = body(opening, organisation=werkgever.organisation.kvk)
    response = client_for(adviseur).post("/api/v1/applications/", payload, format="json")
    assert response.status_code == 201, response.json()
    app = Application.objects.get(reference=response.json()["reference"])
    assert app.organisation == werkgever.organisation
    assert app.channel == Channel.INTERMEDIARY
    assert response.json()["organisation"] == werkgever.organisation.kvk


def test_an_intermediary_without_a_mandate_is_refused(opening_for_intermediaries, werkgever):
    opening = opening_for_intermediaries
    fonds = f.IntermediaryFactory()
    adviseur = f.UserFactory(role=Role.INTERMEDIARY, organisation=fonds)
    payload = body(opening, organisation=werkgever.organisation.kvk)
    response = client_for(adviseur).post("/api/v1/applications/", payload, format="json")
    assert response.status_code == 403
    assert "machtiging" in response.json()["detail"]
    assert not Application.objects.exists()
    response = client_for(adviseur).post("/api/v1/applications/", body(opening), format="json")
    assert response.status_code == 400
    assert "organisation" in response.json()["errors"]


def test_an_employer_cannot_apply_for_another_organisation(opening, werkgever):
    other = f.OrganisationFactory()
    response = client_for(werkgever).post("/api/v1/applications/", body(opening, organisation=other.kvk), format="json")
    assert response.status_code == 403
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"units": [{**f.traject(1), "cost": "veel"}]}, "units.0.cost"),
        ({"units": [{**f.traject(1), "occupation_sector": "zorg"}]}, "units.0.occupation_sector"),
        ({"units": [{**f.traject(1), "start_date": "1 januari"}]}, "units.0.start_date"),
        ({"eligible_costs": "€ tienduizend"}, "eligible_costs"),
        ({"opening": ""}, "opening"),
    ],
)
def test_a_bad_body_is_a_400_with_errors_and_creates_nothing(opening, werkgever, change, field):
    response = client_for(werkgever).post("/api/v1/applications/", {**body(opening), **change}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert field in response.json()["errors"]
    assert not Application.objects.exists()


def test_an_unknown_opening_is_a_400(werkgever):
    response = client_for(werkgever).post("/api/v1/applications/", {"opening": "bestaat-niet"}, format="json")
    assert response.status_code == 400
    assert not Application.objects.exists()


# --- reading ---------------------------------------------------------------------------------


def test_the_list_shows_only_what_the_user_may_see_filtered_by_opening_and_state(omscholing, opening, werkgever):
    second = f.open_opening(omscholing, code="omscholing-tweede")
    mine_draft = f.draft(opening, werkgever)
    mine_submitted = f.submitted(opening, werkgever)
    mine_elsewhere = f.submitted(second, werkgever)
    theirs = f.submitted(opening, f.employer())
    client = client_for(werkgever)

    refs = lambda response: {row["reference"] for row in response.json()}  # noqa: E731
    assert refs(client.get("/api/v1/applications/")) == {
        mine_draft.reference,
        mine_submitted.reference,
        mine_elsewhere.reference,
    }
    assert refs(client.get("/api/v1/applications/", {"opening": opening.code})) == {
        mine_draft.reference,
        mine_submitted.reference,
    }
    assert refs(client.get("/api/v1/applications/", {"opening": opening.code, "state": "submitted"})) == {
        mine_submitted.reference
    }
    assert client.get(f"/api/v1/applications/{theirs.reference}/").status_code == 404
    assert act(client, theirs, "withdraw").status_code == 404
    slim_reviewer = f.staff(Role.REVIEWER, [f.slim_scheme()])
    assert client_for(slim_reviewer).get("/api/v1/applications/").json() == []
    reviewer = f.staff(Role.REVIEWER, [omscholing])
    assert refs(client_for(reviewer).get("/api/v1/applications/", {"state": "submitted"})) == {
        mine_submitted.reference,
        mine_elsewhere.reference,
        theirs.reference,
    }
    manager = f.staff(Role.PROGRAM_MANAGER, [omscholing])
    assert client_for(manager).get("/api/v1/applications/").json() == []


def test_the_detail_carries_the_clocks_and_the_queue(opening, werkgever):
    app = f.submitted(opening, werkgever)
    data = client_for(werkgever).get(f"/api/v1/applications/{app.reference}/").json()
    assert DETAIL_FIELDS <= set(data)
    assert data["state"] == "submitted"
    assert data["amount_requested"] == "7500.00"
    assert data["amount_granted"] is None and data["amount_settled"] is None
    assert data["queue_position"] == 1
    assert data["decision_due"] == app.decision_due.isoformat()
    assert data["submitted_at"] and data["complete_at"]
    assert data["available_actions"] == ["withdraw"]
    assert all("id" in unit for unit in data["units"])


# --- every action ------------------------------------------------------------------------------


def test_the_whole_life_through_the_api(opening, werkgever, reviewer, senior, senior2):
    employer, staff, second = client_for(werkgever), client_for(reviewer), client_for(senior)
    ref = employer.post("/api/v1/applications/", body(opening), format="json").json()["reference"]

    def state(response, expected):
        assert response.status_code == 200, response.json()
        assert response.json()["state"] == expected
        assert Application.objects.get(reference=ref).state == expected
        return response.json()

    def declare(client):
        answer = client.post(f"/api/v1/applications/{ref}/conflict-of-interest/", {"conflict": False}, format="json")
        assert answer.status_code == 201

    state(act(employer, ref, "submit"), "submitted")
    declare(staff)
    state(act(staff, ref, "start_review"), "in_review")
    data = state(
        act(staff, ref, "request_supplement", {"reason": "Opleidingsplan?", "due_days": 10}), "supplement_requested"
    )
    assert data["supplement_due"]
    state(act(employer, ref, "supplement", {"note": "Bijgevoegd."}), "in_review")
    f.day_ended(Application.objects.get(reference=ref))  # first come, first served: complete today, granted after
    state(act(staff, ref, "propose_grant", {"amount": "3750.00", "note": "Eén traject"}), "decision_proposed")
    declare(second)
    state(act(second, ref, "return_decision", {"note": "Twee trajecten voldoen."}), "in_review")
    state(act(staff, ref, "propose_grant", {"note": "Twee trajecten"}), "decision_proposed")
    data = state(act(second, ref, "approve_decision"), "granted")
    assert data["amount_granted"] == "7500.00"
    # separation of duties: the reviewer who proposed the grant does not record its payment (403, with the reason)
    refused = act(staff, ref, "pay_advance")
    assert refused.status_code == 403 and "Functiescheiding" in refused.json()["detail"]
    payer, checker = (client_for(user) for user in f.payers(opening.scheme))
    declare(payer)
    state(act(payer, ref, "pay_advance"), "granted")
    assert Application.objects.get(reference=ref).amount_paid == Decimal("0.00")  # recorded, not yet confirmed
    refused = act(payer, ref, "confirm_payment")
    assert refused.status_code == 403 and "Vier ogen" in refused.json()["detail"]
    declare(checker)
    state(act(checker, ref, "confirm_payment"), "granted")
    assert Application.objects.get(reference=ref).amount_paid == Decimal("7500.00")
    units = data["units"]
    state(
        act(employer, ref, "request_settlement", {"units_completed": [units[0]["id"]], "report": "Eén klaar."}),
        "settlement_requested",
    )
    state(act(staff, ref, "propose_settlement", {"note": "Eén niet afgerond."}), "settlement_proposed")
    declare(client_for(senior2))
    data = state(act(client_for(senior2), ref, "approve_settlement"), "settled")
    assert data["amount_settled"] == "3750.00"
    state(act(employer, ref, "lodge_objection", {"reason": "Traject 2 is wel afgerond."}), "settled")
    # not the reviewer who proposed the settlement nor the senior who approved it (Awb 7:5, 10:3 lid 3)
    refused = act(staff, ref, "propose_objection_decision", {"upheld": False, "note": "Geen bewijs."})
    assert refused.status_code == 403 and "7:5" in refused.json()["detail"]
    state(act(second, ref, "propose_objection_decision", {"upheld": False, "note": "Geen bewijs."}), "settled")
    refused = act(second, ref, "decide_objection")  # four eyes: not who proposed it
    assert refused.status_code == 403 and "Vier ogen" in refused.json()["detail"]
    third = client_for(f.senior([opening.scheme]))
    declare(third)
    state(act(third, ref, "decide_objection"), "settled")

    events = staff.get(f"/api/v1/applications/{ref}/events/").json()
    assert [e["action"] for e in events] == [
        "create", "submit", "declare_no_conflict", "start_review", "request_supplement", "supplement", "propose_grant",
        "declare_no_conflict", "return_decision",
        "propose_grant", "approve_decision", "declare_no_conflict", "pay_advance", "declare_no_conflict",
        "confirm_payment", "request_settlement", "propose_settlement",
        "declare_no_conflict", "approve_settlement", "lodge_objection", "propose_objection_decision",
        "declare_no_conflict", "decide_objection",
    ]  # fmt: skip
    assert events[1]["actor"] == "werkgever" and events[1]["to_state"] == "submitted"
    assert set(events[0]) == {"id", "at", "actor", "action", "from_state", "to_state", "reason", "data"}
    # the applicant sees what the portal shows: its words, no staff names, no proposals or declarations
    seen = employer.get(f"/api/v1/applications/{ref}/events/").json()
    assert [e["action"] for e in seen] == [
        "create", "submit", "start_review", "request_supplement", "supplement", "approve_decision", "confirm_payment",
        "request_settlement", "approve_settlement", "lodge_objection", "decide_objection",
    ]  # fmt: skip
    assert set(seen[0]) == {"at", "action", "label", "state", "state_label"}
    assert seen[1] == {**seen[1], "label": "Ingediend", "state": "submitted", "state_label": "ingediend"}
    text = str(seen)
    assert reviewer.username not in text and senior.username not in text and "Eén niet afgerond" not in text


def test_reject_withdraw_revoke_close_and_not_considered_through_the_api(opening, werkgever, reviewer, senior):
    employer, staff, second = client_for(werkgever), client_for(reviewer), client_for(senior)
    rejected = f.in_review(opening, werkgever, reviewer)
    declare_no_conflict(rejected, reviewer, senior)
    response = act(staff, rejected, "propose_rejection", {"reason_code": "not_eligible", "note": "Geen tekortberoep."})
    assert response.json()["state"] == "decision_proposed"
    assert act(second, rejected, "approve_decision").json()["state"] == "rejected"
    rejected.refresh_from_db()
    assert rejected.rejection_reason == "not_eligible" and rejected.objection_due

    withdrawn = f.submitted(opening, werkgever)
    assert act(employer, withdrawn, "withdraw", {"reason": "Toch niet."}).json()["state"] == "withdrawn"
    declare_no_conflict(withdrawn, reviewer)
    assert act(staff, withdrawn, "close").json()["state"] == "closed"

    granted = f.granted(opening, werkgever, reviewer, senior)
    assert (
        act(staff, granted, "revoke", {"ground": "4:48-c", "reason": "Onjuiste gegevens."}).json()["state"] == "granted"
    )
    assert act(second, granted, "approve_decision").json()["state"] == "revoked"

    late = f.in_review(opening, werkgever, reviewer)
    staff_act(
        late,
        "request_supplement",
        reviewer,
        {"reason": "Plan.", "due_days": 1},
        now=timezone.now() - datetime.timedelta(days=10),
    )
    assert act(staff, late, "declare_not_considered").json()["state"] == "not_considered"


def test_refusals_are_409_403_400_in_plain_words_and_change_nothing(opening, werkgever, reviewer):
    app = f.submitted(opening, werkgever)
    employer, staff = client_for(werkgever), client_for(reviewer)
    version = Application.objects.get(pk=app.pk).version

    response = act(employer, app, "submit")
    assert response.status_code == 409 and "ingediend" in response.json()["detail"]
    response = act(employer, app, "start_review")
    assert response.status_code == 403 and response.json()["detail"]
    response = act(staff, app, "start_review", If_Match=str(version + 5))
    assert response.status_code == 409 and "gewijzigd" in response.json()["detail"]
    response = act(staff, app, "start_review", If_Match="abc")
    assert response.status_code == 400
    assert act(staff, app, "fly_to_the_moon").status_code == 404
    assert Application.objects.get(pk=app.pk).version == version
    assert Application.objects.get(pk=app.pk).state == State.SUBMITTED

    app = staff_act(app, "start_review", reviewer)
    response = act(staff, app, "request_supplement", {"due_days": "veertien"})
    assert response.status_code == 400
    assert response.json()["detail"] and response.json()["errors"]
    response = staff.post(f"/api/v1/applications/{app.reference}/actions/request_supplement/", [1, 2], format="json")
    assert response.status_code == 400
    assert Application.objects.get(pk=app.pk).state == State.IN_REVIEW
    assert not app.supplement_requests.exists()
    assert act(staff, app, "start_review", If_Match=str(app.version)).status_code == 409


def test_english_with_accept_language_en(opening, werkgever):
    app = f.submitted(opening, werkgever)
    dutch = act(client_for(werkgever), app, "submit").json()["detail"]
    english = act(client_for(werkgever, language="en"), app, "submit").json()["detail"]
    assert "kan niet in de status" in dutch
    assert "cannot" in english and "kan niet" not in english
    english = act(client_for(werkgever, language="en"), app, "start_review").json()["detail"]
    assert "reviewer" in english
    bad = client_for(werkgever, language="en").post("/api/v1/applications/", {"opening": "nope"}, format="json")
    assert "opening" in bad.json()["detail"]


# --- allocation ------------------------------------------------------------------------------


def close(opening):
    type(opening).objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    opening.refresh_from_db()


def test_allocation_is_staff_only_and_anyone_can_recompute_it(omscholing, reviewer, werkgever):
    second = f.reviewer([omscholing])
    opening = f.open_opening(omscholing, code="loting", ceiling="15000.00", distribution=Distribution.LOTTERY)
    apps = [f.submitted(opening, f.employer(), units=[f.traject(1)]) for _ in range(6)]
    close(opening)
    url = f"/api/v1/openings/{opening.code}/allocate/"
    assert client_for().post(url, {}, format="json").status_code in (401, 403)
    assert client_for(werkgever).post(url, {}, format="json").status_code == 403
    assert client_for(reviewer).get(url).status_code == 404  # nothing run yet

    proposed = client_for(reviewer).post(url, {"seed": "my-lucky-number"}, format="json")
    assert proposed.status_code == 201, proposed.json()
    body = proposed.json()
    assert body["status"] == "proposed" and body["seed"] is None  # the seed is the system's, not shown before
    assert opening.lottery_seeds.get().seed != "my-lucky-number"
    assert client_for(reviewer).get(url).status_code == 404  # a proposal is not a run
    approve = f"/api/v1/openings/{opening.code}/allocations/{body['id']}/approve/"
    own = client_for(reviewer).post(approve, {}, format="json")
    assert own.status_code == 403 and "Vier ogen" in own.json()["detail"]
    assert client_for(werkgever).post(approve, {}, format="json").status_code == 403
    assert client_for(second).post(approve, {}, format="json").status_code == 200
    assert client_for(second).post(approve, {}, format="json").status_code == 409  # once
    assert client_for(reviewer).post(url, {}, format="json").status_code == 409  # and not run again

    # the candidates' organisations, amounts and outcomes are staff business
    assert client_for().get(url).status_code in (401, 403)
    assert client_for(werkgever).get(url).status_code == 403
    published = client_for(reviewer).get(url).json()
    assert hashlib.sha256(published["seed"].encode()).hexdigest() == published["seed_sha256"]
    refs = [row["reference"] for row in published["order"]]
    assert refs == allocation.lottery_order(published["seed"], [a.reference for a in apps])
    stored = opening.allocations.get(status="approved")
    assert allocation.recompute(stored) == refs
    granted = [row["reference"] for row in published["order"] if row["outcome"] == "granted"]
    assert granted == refs[:4]  # € 15.000 holds four trajecten of € 3.750
    opening.refresh_from_db()
    assert opening.reserved == Decimal("15000.00")
    assert set(
        Application.objects.filter(opening=opening, over_ceiling=False).values_list("reference", flat=True)
    ) == set(granted)
    assert AuditEvent.objects.filter(application__opening=opening, action="allocate").count() == 6


def _scored(app, reviewer, score):
    staff_act(app, "start_review", reviewer)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    scores = {criterion: {"score": score, "justification": "Gewogen."} for criterion in ("fit", "quality")}
    services.record_assessment(application=app, user=reviewer, scores=scores)


def test_tender_ranks_by_score_drops_those_below_the_minimum_and_breaks_ties_by_lottery(omscholing, reviewer):
    opening = f.open_opening(
        omscholing, code="tender", ceiling="11250.00", distribution=Distribution.TENDER, min_score=Decimal("6")
    )
    apps = {name: f.submitted(opening, f.employer(), units=[f.traject(1)]) for name in "abcde"}
    for name, score in {"a": 9, "b": 7, "c": 7, "d": 5, "e": 8}.items():
        _scored(apps[name], reviewer, score)
    close(opening)
    result = f.run_allocation(opening, reviewer)
    order = [row["reference"] for row in result.order]
    tie = allocation.lottery_order(result.seed, [apps["b"].reference, apps["c"].reference])
    assert order == [apps["a"].reference, apps["e"].reference, *tie, apps["d"].reference]
    outcomes = {row["reference"]: row["outcome"] for row in result.order}
    assert outcomes[apps["d"].reference] == "below_min_score"
    assert outcomes[tie[0]] == "granted" and outcomes[tie[1]] == "out"  # € 11.250 holds three
    assert [outcomes[apps[n].reference] for n in "ae"] == ["granted", "granted"]


def test_pro_rata_gives_everyone_the_same_share(omscholing, reviewer):
    opening = f.open_opening(omscholing, code="evenredig", ceiling="11250.00", distribution=Distribution.PRO_RATA)
    apps = [f.submitted(opening, f.employer()) for _ in range(2)] + [
        f.submitted(opening, f.employer(), units=[f.traject(1)])
    ]
    close(opening)  # asked: 7.500 + 7.500 + 3.750 = 18.750 on a ceiling of 11.250: 60 %
    result = f.run_allocation(opening, reviewer)
    shares = {row["reference"]: Decimal(row["allocated"]) for row in result.order}
    assert shares == {
        apps[0].reference: Decimal("4500.00"),
        apps[1].reference: Decimal("4500.00"),
        apps[2].reference: Decimal("2250.00"),
    }
    assert Decimal(result.summary["allocated"]) <= opening.budget_ceiling
    apps[0].refresh_from_db()
    assert apps[0].amount_requested == Decimal("4500.00") and apps[0].amount_reserved == Decimal("4500.00")


def test_pro_rata_never_grants_under_the_schemes_minimum_and_shares_anew_among_the_rest(reviewer):
    scheme = f.omscholing_scheme()
    type(scheme).objects.filter(pk=scheme.pk).update(min_amount=Decimal("2500.00"))  # a grant of at least € 2.500
    scheme.refresh_from_db()
    opening = f.open_opening(scheme, code="evenredig-minimum", ceiling="11250.00", distribution=Distribution.PRO_RATA)
    two = [f.submitted(opening, f.employer()) for _ in range(2)]  # € 7.500 each
    one = f.submitted(opening, f.employer(), units=[f.traject(1)])  # € 3.750
    close(opening)  # 60 % of € 3.750 is € 2.250, under the minimum of € 2.500: out, and the two share anew

    result = f.run_allocation(opening, reviewer)

    rows = {row["reference"]: row for row in result.order}
    assert rows[one.reference]["outcome"] == "below_min_amount" and rows[one.reference]["allocated"] == "0.00"
    assert [Decimal(rows[a.reference]["allocated"]) for a in two] == [Decimal("5625.00")] * 2  # 75 % of 7.500
    assert Decimal(result.summary["allocated"]) == Decimal("11250.00")
    one.refresh_from_db()
    assert one.over_ceiling and one.amount_reserved == Decimal("0.00")
    assert reasons.reason_text("below_min_amount").startswith("het evenredige deel")


def test_the_tender_ranks_by_the_committees_mean_score_not_the_best_assessor(omscholing, reviewer):
    second = f.reviewer([omscholing], username="tweede-assessor")
    opening = f.open_opening(
        omscholing, code="tender-gemiddeld", ceiling="3750.00", distribution=Distribution.TENDER, min_score=Decimal("6")
    )
    divided = f.submitted(opening, f.employer(), units=[f.traject(1)])  # 9 and 4: mean 6,5 (the best would say 9)
    agreed = f.submitted(opening, f.employer(), units=[f.traject(1)])  # 7 and 7: mean 7
    doubted = f.submitted(opening, f.employer(), units=[f.traject(1)])  # 8 and 3: mean 5,5, under the minimum of 6
    for app, (first_score, second_score) in ((divided, (9, 4)), (agreed, (7, 7)), (doubted, (8, 3))):
        _scored(app, reviewer, first_score)
        services.declare_conflict_of_interest(application=app, user=second, conflict=False)
        scores = {criterion: {"score": second_score, "justification": "Gewogen."} for criterion in ("fit", "quality")}
        services.record_assessment(application=app, user=second, scores=scores)
    close(opening)

    result = f.run_allocation(opening, reviewer)

    ranked = [(row["reference"], row["score"], row["outcome"]) for row in result.order]
    assert ranked == [
        (agreed.reference, "7.00", "granted"),
        (divided.reference, "6.50", "out"),
        (doubted.reference, "5.50", "below_min_score"),
    ]


def test_fcfs_goes_by_day_of_completeness_with_a_lottery_on_the_day_the_ceiling_is_crossed(omscholing, reviewer):
    start = timezone.now() - datetime.timedelta(days=5)
    opening = f.open_opening(
        omscholing, code="wie-eerst-komt", ceiling="15000.00", opens_at=start - datetime.timedelta(hours=1)
    )
    days = {1: 2, 2: 3, 3: 1}  # day: how many complete applications that day (one traject of € 3.750 each)
    by_day = {}
    for day, count in days.items():
        for i in range(count):
            user = f.employer()
            moment = start + datetime.timedelta(days=day, minutes=i)
            app = services.create_draft(
                user=user, opening=opening, data={"units": [f.traject(1)], "truthfulness_declared": True}, now=moment
            )
            by_day.setdefault(day, []).append(staff_act(app, "submit", user, now=moment))
    seed = opening.lottery_seeds.get()  # committed the moment the ceiling was crossed, on day 2
    assert seed.day == clocks.local_date(by_day[2][2].complete_at) and seed.revealed_at is None

    (result,) = services.draws.draw_ended_days(clocks.local_date())  # the clocks, when the day has ended

    assert result.day == seed.day and result.seed == seed.seed and result.approved_by is None
    order = [row["reference"] for row in result.order]
    crossing = allocation.lottery_order(seed.seed, [a.reference for a in by_day[2]])
    assert order == [a.reference for a in by_day[1]] + crossing + [a.reference for a in by_day[3]]
    granted = [row["reference"] for row in result.order if row["outcome"] == "granted"]
    assert granted == [a.reference for a in by_day[1]] + crossing[:2]
    opening.refresh_from_db()
    assert opening.reserved == Decimal("15000.00")
    assert services.draws.draw_ended_days(clocks.local_date()) == []  # a day is drawn once


# --- operators ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role.values])
def test_create_user_for_every_role_and_a_token(role, omscholing):
    kvk = "12345678" if role in (Role.APPLICANT, Role.INTERMEDIARY) else None
    args = [f"gebruiker-{role}", "--role", role, "--password", "geheim-wachtwoord-123"]
    if kvk:
        args += ["--organisation", kvk]
    call_command("create_user", *args)
    user = User.objects.get(username=f"gebruiker-{role}")
    assert user.role == role and user.check_password("geheim-wachtwoord-123")
    if kvk:
        assert user.organisation == Organisation.objects.get(kvk=kvk)
        assert user.organisation.is_intermediary == (role == Role.INTERMEDIARY)
    if role in (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.PROGRAM_MANAGER):
        assert omscholing in user.schemes.all()
    out = io.StringIO()
    call_command("create_api_token", user.username, stdout=out)
    token = out.getvalue().splitlines()[-1]
    response = APIClient().get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_create_user_refuses_an_applicant_without_organisation():

    with pytest.raises(CommandError):
        call_command("create_user", "los", "--role", "applicant")
    with pytest.raises(CommandError):
        call_command("create_user", "fout", "--role", "applicant", "--organisation", "123")
    assert not User.objects.filter(username__in=["los", "fout"]).exists()


def test_the_fast_representation_is_exactly_what_drf_would_give(opening, werkgever, reviewer, senior):

    apps = [
        f.draft(opening, werkgever),
        f.submitted(opening, werkgever),
        f.granted(opening, werkgever, reviewer, senior),
    ]
    supplement = f.in_review(opening, werkgever, reviewer)
    apps.append(staff_act(supplement, "request_supplement", reviewer, {"reason": "Plan?"}))
    for user in (werkgever, reviewer):
        request = RequestFactory().get("/")
        request.user = user
        for app in apps:
            app = Application.objects.get(pk=app.pk)
            serializer = ApplicationSerializer(app, context={"request": request})
            assert serializer.data == serializers.ModelSerializer.to_representation(serializer, app)


def test_a_gated_tranche_through_the_api_records_its_kpi_values(db):

    scheme = f.techkwadraat_scheme()
    opening = f.open_opening(scheme, ceiling="10000000.00")
    today = timezone.localdate()
    TranchePlanItem.objects.create(
        scheme=scheme, number=1, label="Onvoorwaardelijk", amount=Decimal("40"), planned_date=today
    )
    TranchePlanItem.objects.create(
        scheme=scheme, number=2, label="Na KPI-beoordeling", amount=Decimal("60"), planned_date=today,
        gated=True, review_kind="KPI-beoordeling", review_date=today,
    )  # fmt: skip
    reviewer = f.staff(Role.REVIEWER, [scheme])
    senior = f.staff(Role.SENIOR_REVIEWER, [scheme])
    app = f.granted(opening, f.employer(), reviewer, senior, requested_amount="1000000.00")
    kpis = {"leerlingen": 550, "bedrijven": 440}
    response = act(client_for(reviewer), app, "propose_tranche", {"tranche": 2, "release": True, "kpi_values": kpis})
    assert response.status_code == 200, response.json()
    assert (
        "approve_decision"
        in client_for(senior).get(f"/api/v1/applications/{app.reference}/").json()["available_actions"]
    )
    assert act(client_for(senior), app, "approve_decision").status_code == 200
    tranche = app.tranches.get(number=2)
    assert tranche.status == "released" and tranche.kpi_values == {"leerlingen": "550", "bedrijven": "440"}
    assert tranche.amount == Decimal("600000.00")
