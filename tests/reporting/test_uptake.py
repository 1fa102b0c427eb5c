"""Uptake as the target means it: trajecten requested → granted → started → completed → vastgesteld.

The target of the Omscholingsregeling counts trajecten that happened. What
became of each granted traject is what the employer reports when asking for
the settlement (vaststelling): begun or not, completed or not.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from applications import clocks, services
from applications.errors import Invalid
from applications.models import Role, Unit
from reporting.queries import build_report, end_of_day, kpi_report, resolve_scope
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    opening = f.OpeningFactory(omscholing=True, target_units=100)
    return f.team_for(opening)


def granted_three(team):
    return f.granted(team["opening"], team["employer"], team["reviewer"], team["senior"], units=3)


def settle_request(app, team, *, completed, started=None):
    data = {"units_completed": completed, "report": "Twee klaar, één niet begonnen."}
    if started is not None:
        data["units_started"] = started
    return f.act(app, "request_settlement", team["employer"], data)


def units_of(team, as_of=None) -> dict:
    return kpi_report("opening", team["opening"].code, as_of)["units"]


def test_three_granted_one_cancelled_two_completed(team):
    app = granted_three(team)
    first, second, third = app.units.values_list("id", flat=True)
    before = units_of(team)
    assert (before["requested"], before["granted"], before["started"], before["completed"]) == (3, 3, 0, 0)
    assert before["uptake_pct"] == 3.0 and before["realised_pct"] == 0.0

    app = settle_request(app, team, completed=[first, second])
    units = units_of(team)
    assert units == {
        **units,
        "requested": 3,
        "granted": 3,
        "started": 2,
        "completed": 2,
        "settled": 0,  # reported, not yet vastgesteld
        "cancelled": 1,
        "reported": 3,
        "uptake_pct": 3.0,
        "realised_pct": 2.0,
    }
    assert Unit.objects.get(pk=third).status == Unit.Status.CANCELLED

    app = f.act(app, "propose_settlement", team["reviewer"])
    f.act(app, "approve_settlement", team["senior"])
    report = kpi_report("opening", team["opening"].code)
    assert report["units"]["settled"] == 2
    assert [(s["step"], s["count"]) for s in report["unit_funnel"]] == [
        ("requested", 3),
        ("granted", 3),
        ("started", 2),
        ("completed", 2),
        ("settled", 2),
    ]
    assert report["unit_funnel"][3]["pct_of_target"] == 2.0 and report["unit_funnel"][2]["pct_of_requested"] == 66.67
    assert report["illustrative"] is None  # real data: nothing made up
    # the cancelled traject will not happen: the pace counts the two that did
    warning = report["early_warning"]["openings"][0]
    fraction = warning["elapsed_pct"] / 100
    assert warning["projected_units"] == round(2 / fraction)


def test_a_drop_out_who_began_counts_as_started_not_completed(team):
    app = granted_three(team)
    first, second, third = app.units.values_list("id", flat=True)
    settle_request(app, team, completed=[first], started=[second])
    units = units_of(team)
    assert (units["granted"], units["started"], units["completed"], units["cancelled"]) == (3, 2, 1, 2)
    assert app.events.get(action="request_settlement").data["units_started"] == sorted([first, second])


def test_the_snapshots_and_the_trail_agree_on_the_units(team):
    app = granted_three(team)
    first, *_rest = app.units.values_list("id", flat=True)
    settle_request(app, team, completed=[first])
    day = clocks.local_date()
    scope = resolve_scope("scheme", team["opening"].scheme.code)
    now = build_report(scope, day, end_of_day(day), recompute=False)
    trail = build_report(scope, day, end_of_day(day), recompute=True)
    assert json.dumps(now) == json.dumps(trail)
    assert now["units"]["completed"] == 1 and now["units"]["cancelled"] == 2


@pytest.mark.parametrize("started", ["twee", [True], [{"id": 1}], [999999]])
def test_a_bad_list_of_started_trajecten_is_refused_and_changes_nothing(team, started):
    app = granted_three(team)
    first, *_rest = app.units.values_list("id", flat=True)
    with pytest.raises(Invalid) as refused:
        settle_request(app, team, completed=[first], started=started)
    assert "units_started" in refused.value.errors
    app.refresh_from_db()
    assert app.state == "granted" and not app.units.exclude(status=Unit.Status.PLANNED).exists()
    assert units_of(team)["reported"] == 0


def test_the_api_the_scheme_page_and_the_export_show_the_trajecten_from_request_to_settlement(client, team):
    app = granted_three(team)
    first, second, _third = app.units.values_list("id", flat=True)
    app = settle_request(app, team, completed=[first, second])
    app = f.act(app, "propose_settlement", team["reviewer"])
    f.act(app, "approve_settlement", team["senior"])
    scheme = team["opening"].scheme
    manager = f.staff(Role.PROGRAM_MANAGER, schemes=[scheme])
    client.force_login(manager)

    units = client.get(f"/api/v1/reports/scheme/{scheme.code}/").json()["units"]
    assert (units["requested"], units["granted"], units["started"], units["completed"], units["settled"]) == (
        3,
        3,
        2,
        2,
        2,
    )

    html = client.get(reverse("reporting:scheme", args=[scheme.code])).content.decode()
    tiles = html[html.index('class="os-tiles"') : html.index("</ul>", html.index('class="os-tiles"'))]
    assert "afgerond: 2 (2,00 % van het doel)" in tiles and "illustratief" not in tiles
    funnel = html[html.index("Trechter van eenheden") :]
    for label, count in (("aangevraagd", 3), ("verleend", 3), ("gestart", 2), ("afgerond", 2), ("vastgesteld", 2)):
        assert f'<th scope="row">{label}</th><td>{count}</td>' in funnel, label

    export = client.get(reverse("reporting:figures-export", args=["scheme", scheme.code, "csv"]))
    rows = {row[0]: row for row in csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";")}
    assert rows["units.started"][1:3] == ["eenheden gestart (gemeld bij de vaststelling)", "2"]
    assert rows["units.realised_pct"][1:3] == ["afgerond van het doel (%)", "2,0"]


def test_trajecten_reported_as_begun_count_as_started_long_before_the_settlement(team):
    """The target is about omscholing that happens: an employer reports two of three trajecten begun in
    the spring, the third in the autumn; the scheme's funnel shows them started while the grant runs."""
    app = granted_three(team)
    first, second, third = app.units.values_list("id", flat=True)
    assert units_of(team)["started"] == 0  # nobody said anything yet: not counted as started
    app = f.act(app, "report_start", team["employer"], {"units_started": [first, second]})
    assert app.state == "granted" and app.events.latest("id").data == {"units_started": [first, second]}
    assert set(app.units.filter(status=Unit.Status.STARTED).values_list("id", flat=True)) == {first, second}
    units = units_of(team)
    assert units["started"] == 2 and units["completed"] == 0 and units["reported"] == 0
    # a later report names only the third: the event keeps all three, the count never goes down
    app = f.act(app, "report_start", team["employer"], {"units_started": [third]})
    assert app.events.latest("id").data == {"units_started": [first, second, third]}
    assert units_of(team)["started"] == 3
    # at the settlement the settlement request's answer takes over
    settle_request(app, team, completed=[first], started=[first, second])
    units = units_of(team)
    assert units["started"] == 2 and units["completed"] == 1 and units["reported"] == 3


@pytest.mark.parametrize("started", [[], "twee", [999999], None])
def test_a_start_report_naming_nothing_or_a_stranger_is_refused_and_changes_nothing(team, started):
    app = granted_three(team)
    events = app.events.count()
    with pytest.raises(Invalid) as refused:
        f.act(app, "report_start", team["employer"], {"units_started": started})
    assert "units_started" in refused.value.errors
    assert app.events.count() == events and not app.units.filter(status=Unit.Status.STARTED).exists()


def test_the_employer_reports_a_start_in_the_portal_and_a_scheme_for_costs_has_no_such_button(client, team):
    app = granted_three(team)
    first, second, _third = app.units.values_list("id", flat=True)
    client.force_login(team["employer"])
    url = reverse("portal:action", args=[app.reference, "report_start"])
    page = client.get(url).content.decode()
    assert "Geef aan welke trajecten zijn begonnen" in page and "Afgerond" not in page
    response = client.post(url, {"version": app.version, f"unit-{first}-started": "on", f"unit-{second}-started": "on"})
    assert response.status_code == 302
    assert units_of(team)["started"] == 2
    # nothing ticked: a clear message, nothing recorded
    app.refresh_from_db()
    events = app.events.count()
    page = client.post(url, {"version": app.version}).content.decode()
    assert "Kies de trajecten die zijn begonnen." in page and app.events.count() == events
    # the button is there while the grant runs; a scheme that grants for costs, not trajecten, has none
    assert "report_start" in services.available_actions(app, team["employer"])
    app.opening.scheme.shape = "share_of_costs"
    assert "report_start" not in services.available_actions(app, team["employer"])
