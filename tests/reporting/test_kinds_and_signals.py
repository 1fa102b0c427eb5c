"""A program manager reads trajecten as trajecten and samenwerkingsverbanden as samenwerkingsverbanden."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

import tests.factories as f
from applications.models import Role
from demo import replay
from reporting.queries import kpi_report
from schemes.models import Scheme

from .story import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def replayed(catalogue):
    replay.load_replay()


def test_the_portfolio_counts_trajecten_and_samenwerkingsverbanden_apart(client, replayed):
    report = kpi_report("portfolio", "all")
    # 19.000 trajecten of the Omscholingsregeling and 15 samenwerkingsverbanden of the PPS are no 19.015 of anything
    trajecten = report["units"]["by_kind"]["traject"]
    assert trajecten == {**trajecten, "requested": 142, "granted": 99, "target": 19000, "uptake_pct": 0.52}
    assert 0 < trajecten["completed"] < 99 and trajecten["realised_pct"] < 0.52  # the replay's settlements
    pps = report["units"]["by_kind"]["samenwerkingsverband"]
    assert pps == {**pps, "granted": 0, "completed": 0, "target": 15, "uptake_pct": 0.0}
    assert report["units"]["unit"] is None and report["units"]["granted"] is None and report["units"]["target"] is None
    assert "19015" not in json.dumps(report)
    # pillar 2 holds trajecten (Omscholing), projecten (SLIM, MKB!dee) and aanvragers: each its own total
    pillar = next(g for name, g in report["groups"]["by_pillar"].items() if name.startswith("2."))
    assert pillar["units"]["granted"] is None and {"traject", "project"} <= set(pillar["units"]["by_kind"])
    # only the trajecten have data: the warning counts them alone (schemes without data add no other kind),
    # the granted ones less those the settlement reported cancelled
    assert pillar["early_warning"]["projected_units"] == 99 - trajecten["cancelled"]
    # one scheme has one kind: its figures stand as before, with their kind
    scheme = report["groups"]["by_scheme"]["omscholing"]["units"]
    assert scheme["unit"] == "traject" and scheme["granted"] == 99 and scheme["target"] == 19000
    assert kpi_report("scheme", "omscholing")["units"]["unit"] == "traject"

    admin = make_user("beheer", Role.ADMINISTRATOR)
    client.force_login(admin)
    html = client.get(reverse("reporting:dashboard")).content.decode()
    assert "19015" not in html and "19.015" not in html
    assert "99 / 19.000 (0,52 %) traject" in html and "0 / 15 (0,00 %) samenwerkingsverband" in html
    assert "Eenheid: traject." in html
    assert "Eenheden verleend (traject)" in html and "Eenheden verleend (samenwerkingsverband)" in html

    response = client.get(reverse("reporting:figures-export", args=["portfolio", "all", "csv"]))
    text = response.content.decode("utf-8-sig")
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(text), delimiter=";")}
    illustrative = "illustratief — niet uit de evaluatie"
    assert rows["units.by_kind.traject.granted"] == ["eenheden (traject) verleend", "99", "", ""]
    assert rows["units.by_kind.traject.completed"][:2] == ["eenheden (traject) afgerond", str(trajecten["completed"])]
    assert rows["units.by_kind.traject.completed"][3] == illustrative  # the replay made up the course
    assert rows["units.by_kind.samenwerkingsverband.target"][:2] == ["eenheden (samenwerkingsverband) doel", "15"]
    assert rows["units.granted"][:2] == ["eenheden verleend", ""]


def test_mkbidee_without_data_shows_geen_gegevens_and_a_closed_opening_is_judged_on_its_result(client, replayed):
    # MKB!dee closed in 2021 and went up in SLIM: no application was ever loaded. No data is no alarm.
    mkbidee = kpi_report("scheme", "mkbidee")["early_warning"]
    assert mkbidee["level"] == "no_data" and mkbidee["projected_pct"] is None
    assert {o["level"] for o in mkbidee["openings"]} == {"no_data"}

    # omscholing-2021 closed on 1 December 2021; on 15 December some applications were still undecided.
    december = kpi_report("opening", "omscholing-2021", "2021-12-15")
    early = december["early_warning"]
    assert december["applications"]["open"] > 0
    assert early["openings"][0]["basis"] == "result"
    assert early["projected_units"] == december["units"]["granted"]  # what was granted, not granted + still open
    # while it was open it was a projection of its pace
    assert (
        kpi_report("opening", "omscholing-2021", "2021-09-15")["early_warning"]["openings"][0]["basis"] == "projection"
    )

    # the scheme today: the 2021 opening on its result (99 granted of 9.000, less the trajecten the
    # settlements reported cancelled: red), the 2022 opening has no data
    today = kpi_report("scheme", "omscholing")
    scheme = today["early_warning"]
    levels = {o["opening"]: (o["basis"], o["level"]) for o in scheme["openings"]}
    assert levels == {"omscholing-2021": ("result", "red"), "omscholing-2022": (None, "no_data")}
    assert scheme["level"] == "red" and scheme["projected_units"] == 99 - today["units"]["cancelled"]

    client.force_login(make_user("beheer", Role.ADMINISTRATOR))
    html = client.get(reverse("reporting:dashboard")).content.decode()
    summary = html[html.index('id="samenvatting"') : html.index('class="os-toc"')]
    mkb = summary[summary.index("MKB!dee") :]
    assert 'os-level--no_data">geen gegevens</span>' in mkb[:300]
    assert "Geen gegevens:" in mkb
    html = client.get(reverse("reporting:scheme", args=["mkbidee"])).content.decode()
    assert 'os-warning os-warning--no_data">' in html and "<strong>Geen gegevens</strong>" in html


def test_the_reports_name_the_demo_openings_they_leave_out(client, catalogue, capsys):
    omscholing = Scheme.objects.get(code="omscholing")
    f.OpeningFactory(scheme=omscholing, code="omscholing-demo", name="Omscholing (demo)", is_demo=True)

    scheme = kpi_report("scheme", "omscholing")
    assert "omscholing-demo" not in [o["code"] for o in scheme["openings"]]
    assert scheme["excluded_openings"] == [
        {"code": "omscholing-demo", "name": "Omscholing (demo)", "scheme": "omscholing", "reason": "demo"}
    ]
    assert [o["code"] for o in kpi_report("portfolio", "all")["excluded_openings"]] == ["omscholing-demo"]
    assert kpi_report("opening", "omscholing-demo")["excluded_openings"] == []  # its own report counts it

    client.force_login(make_user("beheer", Role.ADMINISTRATOR))
    link = f'<a class="rvo-link" href="{reverse("reporting:opening", args=["omscholing-demo"])}">Omscholing (demo)</a>'
    for url in (reverse("reporting:dashboard"), reverse("reporting:scheme", args=["omscholing"])):
        html = client.get(url).content.decode()
        assert "Niet meegeteld, want demo-openstellingen:" in html and link in html
    call_command("kpi_report", "omscholing", "--scope", "scheme", "--format", "table")
    assert "niet meegeteld (demo): omscholing-demo" in capsys.readouterr().out
