"""The reviewer's queue: filters, counts per state, taking and assigning, constant queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from applications import services
from applications.models import Tranche
from applications.review import selectors as review_selectors
from applications.review.selectors import QueueFilters
from applications.states import State
from tests.factories import (
    OpeningFactory,
    SchemeFactory,
    UserFactory,
    act,
    employer,
    finance,
    granted,
    reviewer,
    senior,
    submitted,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(opening, team):
    """Six Omscholing applications in several states, and one of another scheme the team does not handle."""
    bart, sanne = team["reviewer"], team["senior"]
    apps = [submitted(opening, employer()) for _ in range(6)]
    act(apps[1], "start_review", bart)
    act(apps[2], "start_review", sanne)
    act(apps[3], "start_review", bart)
    act(apps[3], "request_supplement", bart, {"reason": "Offerte ontbreekt.", "due_days": 5})
    act(apps[4], "start_review", bart)
    services.declare_conflict_of_interest(application=apps[4], user=bart, conflict=False)
    act(apps[4], "propose_rejection", bart, {"reason_code": "not_eligible"})
    act(apps[4], "approve_decision", sanne)
    other_scheme = OpeningFactory(scheme=SchemeFactory(code="slim-elders", slim=True))
    foreign = submitted(other_scheme, employer())
    return {"apps": [a.__class__.objects.get(pk=a.pk) for a in apps], "foreign": foreign, "bart": bart, "sanne": sanne}


def refs(page) -> list[str]:
    return [a.reference for a in page.rows]


def test_the_default_view_is_the_work_in_progress_of_the_team_with_counts_per_state(desk):
    page = review_selectors.queue(desk["bart"], QueueFilters())
    apps = desk["apps"]
    assert set(refs(page)) == {a.reference for a in apps if a.state != State.REJECTED}
    assert desk["foreign"].reference not in refs(page)
    assert page.counts[State.SUBMITTED] == 2
    assert page.counts[State.IN_REVIEW] == 2
    assert page.counts[State.SUPPLEMENT_REQUESTED] == 1
    assert page.counts[State.REJECTED] == 1
    assert page.counts["work"] == 5
    assert page.counts["expired"] == 0


def test_filters_assigned_to_me_unassigned_state_and_scheme(desk):
    bart = desk["bart"]
    mine = review_selectors.queue(bart, QueueFilters(assigned="me"))
    assert set(refs(mine)) == {desk["apps"][i].reference for i in (1, 3)}
    assert mine.counts[State.REJECTED] == 1  # counts follow the other filters
    nobody = review_selectors.queue(bart, QueueFilters(assigned="none"))
    assert set(refs(nobody)) == {desk["apps"][i].reference for i in (0, 5)}
    in_review = review_selectors.queue(bart, QueueFilters(state=State.IN_REVIEW))
    assert set(refs(in_review)) == {desk["apps"][i].reference for i in (1, 2)}
    rejected = review_selectors.queue(bart, QueueFilters(state=State.REJECTED))
    assert refs(rejected) == [desk["apps"][4].reference]
    by_scheme = review_selectors.queue(bart, QueueFilters(scheme=desk["foreign"].opening.scheme_id))
    assert refs(by_scheme) == []  # not the team's scheme


def test_overdue_due_within_and_expired_supplement_terms(desk):
    apps = desk["apps"]
    due = apps[0].decision_due
    with freeze_time(due - datetime.timedelta(days=3)):
        page = review_selectors.queue(desk["bart"], QueueFilters(due_within=5))
        assert apps[0].reference in refs(page)
        assert review_selectors.queue(desk["bart"], QueueFilters(overdue=True)).rows == []
    with freeze_time(due + datetime.timedelta(days=1)):
        late = review_selectors.queue(desk["bart"], QueueFilters(overdue=True))
        assert apps[0].reference in refs(late)
        assert apps[4].reference not in refs(late)  # decided: no longer overdue
    request = apps[3].supplement_requests.get()
    with freeze_time(request.due_date + datetime.timedelta(days=1)):
        expired = review_selectors.queue(desk["bart"], QueueFilters(state="expired"))
        assert refs(expired) == [apps[3].reference]
        assert expired.counts["expired"] == 1


def test_sorted_by_decision_due_or_arrival_and_paged_by_keyset(team):
    opening = OpeningFactory(
        scheme=team["reviewer"].schemes.get(),
        opens_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
    )
    apps = []
    for day in (5, 1, 3):
        with freeze_time(datetime.datetime(2026, 3, day, 10, tzinfo=datetime.UTC)):
            apps.append(submitted(opening, employer()))
    by_due = review_selectors.queue(team["reviewer"], QueueFilters(sort="decision_due"), page_size=2)
    assert refs(by_due) == [apps[1].reference, apps[2].reference]
    assert by_due.next_cursor
    rest = review_selectors.queue(
        team["reviewer"], QueueFilters(sort="decision_due", after=by_due.next_cursor), page_size=2
    )
    assert refs(rest) == [apps[0].reference] and rest.next_cursor == ""
    by_arrival = review_selectors.queue(team["reviewer"], QueueFilters(sort="queue"))
    assert refs(by_arrival) == [apps[1].reference, apps[2].reference, apps[0].reference]


def test_the_queue_page_costs_the_same_number_of_queries_for_3_or_30_applications(client, opening, team):
    client.force_login(team["reviewer"])
    for _ in range(3):
        submitted(opening, employer())
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("review:queue")).status_code == 200
    for _ in range(27):
        submitted(opening, employer())
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("review:queue"))
    assert response.content.decode().count('name="application"') == 30
    assert len(large) == len(small), (len(small), len(large))
    assert 3 <= len(small) <= 12


def test_take_one_and_assign_many_from_the_queue(client, desk):
    bart, sanne = desk["bart"], desk["sanne"]
    apps = desk["apps"]
    client.force_login(bart)
    response = client.post(reverse("review:queue"), {"application": [apps[0].pk], "take": "1"})
    assert response.status_code == 302
    apps[0].refresh_from_db()
    assert apps[0].assigned_to == bart
    client.post(reverse("review:queue"), {"application": [apps[0].pk, apps[5].pk], "reviewer": sanne.pk, "assign": "1"})
    assert {a.assigned_to_id for a in apps[0].__class__.objects.filter(pk__in=[apps[0].pk, apps[5].pk])} == {sanne.pk}
    assert apps[0].events.filter(action="assign").count() == 2


def test_a_reviewer_cannot_assign_applications_of_another_scheme(client, desk):
    client.force_login(desk["bart"])
    response = client.post(reverse("review:queue"), {"application": [desk["foreign"].pk], "take": "1"})
    assert response.status_code == 403
    desk["foreign"].refresh_from_db()
    assert desk["foreign"].assigned_to is None


def test_finance_staff_are_not_assignable_as_reviewer_of_a_case(client, desk, opening):
    betaler = finance([opening.scheme], username="betaler")
    apps = desk["apps"]
    assert betaler not in review_selectors.reviewers_for([opening])  # not offered on the queue
    client.force_login(desk["bart"])
    queue = client.get(reverse("review:queue")).content.decode()
    assert f'value="{betaler.pk}"' not in queue
    response = client.post(
        reverse("review:queue"), {"application": [apps[0].pk], "reviewer": betaler.pk, "assign": "1"}, follow=True
    )
    assert "Een financieel medewerker behandelt geen aanvragen (functiescheiding)" in response.content.decode()
    apps[0].refresh_from_db()
    assert apps[0].assigned_to is None and not apps[0].events.filter(action="assign").exists()
    with pytest.raises(services.ActionError, match="functiescheiding"):
        services.assign(applications=[apps[0]], reviewer=betaler, by=desk["sanne"])
    with pytest.raises(services.ActionError, match="wijst geen aanvragen toe"):
        services.assign(applications=[apps[0]], reviewer=desk["bart"], by=betaler)
    apps[0].refresh_from_db()
    assert apps[0].assigned_to is None


def test_the_queue_page_shows_filters_tabs_and_days_left(client, desk):
    with freeze_time(desk["apps"][0].decision_due - datetime.timedelta(days=2)):
        client.force_login(desk["bart"])
        html = client.get(reverse("review:queue"), {"assigned": "none"}).content.decode()
    assert "termijn verlopen" in html
    assert "nog 2 dagen" in html
    assert desk["apps"][0].reference in html
    assert desk["apps"][1].reference not in html


def test_an_administrator_sees_every_scheme_and_a_senior_only_the_team(desk):

    admin = UserFactory(role="administrator")
    page = review_selectors.queue(admin, QueueFilters())
    assert desk["foreign"].reference in refs(page)
    outsider = senior([SchemeFactory(code="andere-regeling")])
    assert review_selectors.queue(outsider, QueueFilters()).rows == []
    assert reviewer([]).schemes.count() == 0


def test_a_gated_tranche_due_for_review_is_on_its_own_tab(team):

    programme = OpeningFactory(scheme=SchemeFactory(code="techkwadraat-test", techkwadraat=True))
    team["reviewer"].schemes.add(programme.scheme)
    team["senior"].schemes.add(programme.scheme)
    app = granted(programme, employer(), team["reviewer"], team["senior"])
    Tranche.objects.create(
        application=app,
        number=9,
        label="Na KPI-beoordeling",
        amount=Decimal("100000.00"),
        planned_date=datetime.date(2030, 1, 1),
        gated=True,
        status=Tranche.Status.DUE,
    )
    page = review_selectors.queue(team["reviewer"], QueueFilters(state="tranche_due"))
    assert refs(page) == [app.reference]
    assert page.counts["tranche_due"] == 1
