"""A program manager reads trajecten as trajecten and samenwerkingsverbanden as samenwerkingsverbanden."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from applications.models import Role
from demo import replay
from reporting.queries import kpi_report

from .story import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def replayed(catalogue):
    replay.load_replay()


def test_the_portfolio_counts_trajecten_and_samenwerkingsverbanden_apart(client, replayed):
    report = kpi_report("portfolio", "all")
    # 19.000 trajecten of the Omscholingsregeling and 15 samenwerkingsverbanden of the PPS are no 19.015 of anything
    assert report["units"]["by_kind"]["traject"] == {"granted": 99, "target": 19000, "uptake_pct": 0.52}
    assert report["units"]["by_kind"]["samenwerkingsverband"] == {"granted": 0, "target": 15, "uptake_pct": 0.0}
    assert report["units"]["unit"] is None and report["units"]["granted"] is None and report["units"]["target"] is None
    assert "19015" not in json.dumps(report)
    # pillar 2 holds trajecten (Omscholing), projecten (SLIM, MKB!dee) and aanvragers: each its own total
    pillar = next(g for name, g in report["groups"]["by_pillar"].items() if name.startswith("2."))
    assert pillar["units"]["granted"] is None and {"traject", "project"} <= set(pillar["units"]["by_kind"])
    assert pillar["early_warning"]["projected_units"] is None  # the warning weighs the money instead
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
    rows = {key: (label, value) for key, label, value in csv.reader(io.StringIO(response.content.decode()))}
    assert rows["units.by_kind.traject.granted"] == ("eenheden (traject) verleend", "99")
    assert rows["units.by_kind.samenwerkingsverband.target"] == ("eenheden (samenwerkingsverband) doel", "15")
    assert rows["units.granted"] == ("eenheden verleend", "")
