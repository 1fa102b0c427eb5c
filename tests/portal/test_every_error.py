"""Every error at once: in its place and in the summary, and the amount panel promises nothing meanwhile."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


def step_url(app, step):
    return reverse("portal:step", args=[app.reference, step])


def summary_links(page: str) -> list[str]:
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="(#[^"]+)"', summary)


def amount_shown(page: str) -> str:
    return re.search(r'id="amount-value">([^<]*)<', page).group(1)


def test_a_negative_cost_an_empty_name_and_a_cost_of_five_are_three_errors_at_once(wclient, werkgever, opening):
    app = f.draft(opening, werkgever)
    data = f.unit_rows({**f.traject(1), "cost": "-100"}, {**f.traject(2), "participant": "", "cost": "5"})
    data["action"] = "next"

    page = wclient.post(step_url(app, "trajecten"), data).content.decode()

    assert summary_links(page) == ["#id_units-0-cost", "#id_units-1-participant", "#id_units-1-cost"]
    assert re.search(r'id="id_units-0-cost-error"><p>Een bedrag kan niet negatief zijn.', page)
    assert re.search(r'id="id_units-1-participant-error"><p>Dit veld is verplicht.', page)
    assert re.search(r'id="id_units-1-cost-error"><p>Traject 2 kost € 5,00; elk traject moet minstens', page)
    assert amount_shown(page) == "—"
    assert "Nog niet te berekenen" in page
    # nothing of it saved: the draft keeps its two good trajecten
    assert list(app.units.values_list("participant", flat=True)) == ["J. Jansen 1", "J. Jansen 2"]


def test_while_a_traject_is_half_typed_the_recalculated_amount_promises_nothing(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(f.traject(1), {**f.traject(2), "participant": ""})
    data["action"] = "recalc"

    page = wclient.post(step_url(app, "trajecten"), data).content.decode()

    assert amount_shown(page) == "—"
    assert 'id="error-summary"' not in page  # typing is not yet an error


def test_valid_trajecten_show_the_amount_with_its_calculation(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[])
    data = f.unit_rows(f.traject(1), f.traject(2))
    data["action"] = "recalc"

    page = wclient.post(step_url(app, "trajecten"), data).content.decode()

    assert amount_shown(page) == "€ 7.500,00"
    assert "2 × € 3.750,00 per traject = € 7.500,00" in page


def test_a_saved_draft_below_the_minimum_shows_why_instead_of_an_amount(wclient, werkgever, opening):
    app = f.draft(opening, werkgever, units=[f.traject(1, "5000")])

    page = wclient.get(step_url(app, "trajecten")).content.decode()

    assert amount_shown(page) == "—"
    assert "Traject 1 kost € 5.000,00; elk traject moet minstens € 7.500,00 kosten." in page


def test_share_of_costs_shows_a_wrong_line_and_costs_below_the_minimum_together(client_for, db):
    opening = f.open_opening(f.slim_scheme())
    user = f.employer()
    app = f.draft(opening, user)
    data = f.unit_rows({"description": "Cursus", "amount": "1000"}, prefix="cost_lines")
    data.update({"action": "next", "project_end_date": ""})

    page = client_for(user).post(step_url(app, "kosten"), data).content.decode()

    assert "#id_project_end_date" in summary_links(page)
    assert "De subsidiabele kosten zijn € 1.000,00; ze moeten minstens € 5.000,00 zijn." in page
    assert amount_shown(page) == "—"
