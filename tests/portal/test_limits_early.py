"""The limits per applicant bite at the start, not after five steps: what is left is shown, what is used refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications.models import Application
from tests import factories as f

pytestmark = pytest.mark.django_db


def step_url(app, step):
    return reverse("portal:step", args=[app.reference, step])


def test_an_employer_with_four_trajecten_submitted_can_ask_two_more_and_sees_so_before_starting(
    wclient, werkgever, opening
):
    f.submitted(opening, werkgever, units=[f.traject(n) for n in range(1, 5)])

    start = wclient.get(reverse("portal:start", args=[opening.code])).content.decode()

    assert (
        "Uw organisatie heeft in deze openstelling 4 van ten hoogste 6 trajecten aangevraagd; er kunnen er nog 2 bij."
        in start
    )
    assert "Start de aanvraag" in start


def test_the_trajecten_step_offers_only_what_is_left(wclient, werkgever, opening):
    f.submitted(opening, werkgever, units=[f.traject(n) for n in range(1, 5)])
    app = f.draft(opening, werkgever, units=[f.traject(5)])

    page = wclient.get(step_url(app, "trajecten")).content.decode()
    assert "Uw organisatie heeft in deze openstelling al 4 trajecten aangevraagd; u kunt er nog 2 aanvragen." in page
    added = wclient.post(step_url(app, "trajecten"), {**f.unit_rows(f.traject(5), f.traject(6)), "add_row": "1"})
    assert "U kunt ten hoogste 2 trajecten opgeven." in added.content.decode()
    assert 'name="units-TOTAL" value="2"' in added.content.decode()


def test_three_trajecten_where_two_are_left_are_refused_on_the_trajecten_step(wclient, werkgever, opening):
    f.submitted(opening, werkgever, units=[f.traject(n) for n in range(1, 5)])
    app = f.draft(opening, werkgever, units=[])
    data = {**f.unit_rows(f.traject(5), f.traject(6), f.traject(7)), "action": "next"}

    page = wclient.post(step_url(app, "trajecten"), data).content.decode()

    assert "met deze 3 zijn het er 7, en per aanvrager mogen het er ten hoogste 6 zijn (nog 2)" in page
    assert 'id="error-summary"' in page


def test_one_application_per_opening_is_refused_on_the_start_page_before_any_step(client_for, db):
    opening = f.open_opening(f.slim_scheme())
    user = f.employer()
    f.submitted(opening, user)
    client = client_for(user)

    page = client.get(reverse("portal:start", args=[opening.code])).content.decode()

    assert "al een aanvraag ingediend; per openstelling mag dat één keer" in page
    assert "Start de aanvraag" not in page
    response = client.post(reverse("portal:start", args=[opening.code]), {"token": "t-1"})
    assert Application.objects.filter(opening=opening).count() == 1
    assert "per openstelling mag dat één keer" in response.content.decode()


def test_a_draft_already_started_is_offered_on_the_start_page(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)

    page = wclient.get(reverse("portal:start", args=[opening.code])).content.decode()

    assert f"Verder met {app.reference}" in page
    assert step_url(app, "aanvrager") in page


def test_an_intermediary_sees_per_employer_what_is_left(client_for, db):
    scheme = f.omscholing_scheme(intermediaries_allowed=True)
    opening = f.open_opening(scheme)
    agent = f.intermediary()
    full = f.OrganisationFactory(name="Vol B.V.")
    room = f.OrganisationFactory(name="Ruimte B.V.")
    for employer in (full, room):
        f.mandate(employer, agent.organisation, [scheme])
    f.submitted(opening, f.employer(full), units=[f.traject(n) for n in range(1, 7)])

    page = client_for(agent).get(reverse("portal:start", args=[opening.code])).content.decode()

    room_list = page.split('id="room"', 1)[1].split("</ul>", 1)[0]
    assert "Vol B.V.</strong>: Uw organisatie heeft in deze openstelling al 6 trajecten aangevraagd" in room_list
    assert "Ruimte B.V.</strong>: Uw organisatie heeft in deze openstelling 0 van ten hoogste 6" in room_list
