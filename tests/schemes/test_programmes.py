"""NGF programmes as the catalogue declares them: tranches from each award's start, gates, KPI values at a gate.

PPS (000:L1356-1366, 004:L265-267): 15 partnerships, three tranches over six years counted from each
partnership's start, the last two years only after the evaluation of 2026.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Role, Tranche
from applications.services.tranches import release_due_tranches
from schemes.models import KPIMeasurement, Opening, Scheme, TranchePlanItem, add_months
from tests import factories as f

pytestmark = pytest.mark.django_db


def moment(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def pps_award(year: int, month: int = 3, amount: str = "12000000.00"):
    """A partnership granted € 12 mln in ``year``, under four eyes, in a PPS call of that year."""
    scheme = Scheme.objects.get(code="ngf-pps")
    opening = Opening.objects.create(
        scheme=scheme,
        code=f"ngf-pps-{year}",
        name=f"Opschaling PPS {year}",
        opens_at=moment(year, 1, 1, 9),
        closes_at=moment(year, 12, 1, 17),
        budget_ceiling=Decimal("180000000.00"),
        distribution="fcfs",
    )
    lead = f.employer(f.OrganisationFactory(name=f"ROC Techniek {year}", sector="onderwijs"))
    reviewer = f.staff(Role.REVIEWER, [scheme])
    senior = f.staff(Role.SENIOR_REVIEWER, [scheme])
    app = services.create_draft(
        user=lead,
        opening=opening,
        data={"truthfulness_declared": True, "requested_amount": amount},
        now=moment(year, month, 2),
    )
    app = f.act(app, "submit", lead, now=moment(year, month, 2))
    app = f.act(app, "start_review", reviewer, now=moment(year, month, 3))
    app = f.act(app, "propose_grant", reviewer, now=moment(year, month, 5))
    app = f.act(app, "approve_decision", senior, now=moment(year, month, 10))
    return app, reviewer, senior


def test_a_pps_granted_in_2026_gets_its_tranches_in_2026_2028_and_2030_not_on_2022_and_2024(catalogue):
    app, _reviewer, _senior = pps_award(2026)
    tranches = list(app.tranches.order_by("number"))
    assert [t.planned_date for t in tranches] == [
        datetime.date(2026, 3, 10),
        datetime.date(2028, 3, 10),
        datetime.date(2030, 3, 10),
    ]
    assert [t.amount for t in tranches] == [Decimal("4000000.00")] * 3  # the equal split (an assumption)
    last = tranches[2]
    assert last.gated and last.gate.code == "evaluatie-2026"
    # reviewed once the programme's evaluation has come and the last two years are due
    assert last.review_date == datetime.date(2030, 3, 10)

    # on the day of the grant only the first tranche is paid: not three years' worth at once
    released = release_due_tranches(today=datetime.date(2026, 3, 10))
    assert [t.number for t in released] == [1]
    assert release_due_tranches(today=datetime.date(2028, 3, 9)) == []
    assert [t.number for t in release_due_tranches(today=datetime.date(2028, 3, 10))] == [2]
    assert app.tranches.get(number=3).status == Tranche.Status.PLANNED  # gated: never on its date alone


def test_a_pps_that_started_in_2023_has_its_last_two_years_reviewed_after_the_2026_evaluation(catalogue):
    app, _reviewer, _senior = pps_award(2023, month=9)
    last = app.tranches.get(number=3)
    assert last.planned_date == datetime.date(2027, 9, 10)
    assert last.review_date == datetime.date(2027, 9, 10)  # after the evaluation (end 2026), when year 5 starts


def test_a_tranche_plan_without_a_date_or_months_is_refused_in_plain_dutch(catalogue):
    item = TranchePlanItem(scheme=Scheme.objects.get(code="ngf-pps"), number=9, label="zonder datum", amount=1)
    with pytest.raises(Exception) as refused:
        item.full_clean()
    assert "maanden na de start" in str(refused.value)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime.date(2026, 3, 10), 24, datetime.date(2028, 3, 10)),
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2027, 12, 31), 2, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 8, 15), 0, datetime.date(2026, 8, 15)),
    ],
)
def test_months_after_the_start_land_on_the_same_day_or_the_months_last(start, months, expected):
    assert add_months(start, months) == expected


def test_the_kpi_values_of_a_gate_decision_are_the_programmes_kpis_and_become_this_pps_own(catalogue):
    app, reviewer, senior = pps_award(2023, month=9)
    tranche = app.tranches.get(number=3)
    Tranche.objects.filter(pk=tranche.pk).update(review_date=timezone.localdate())  # its review has come

    # free JSON is refused, naming the KPIs the programme has, and changes nothing
    for values, words in (
        ({"bereik": "40"}, "geen KPI van deze regeling"),
        ({"bedrijven": "veel"}, "geen getal"),
        ({"bedrijven": "1.600"}, "geen getal"),  # never read as 1,6
        ({"bedrijven": -3}, "geen getal"),
        ({}, "KPI-waarden"),
    ):
        with pytest.raises(services.Invalid) as refused:
            f.act(app, "propose_tranche", reviewer, {"tranche": 3, "release": True, "kpi_values": values})
        assert words in str(refused.value)
        assert not app.decisions.filter(kind="tranche_release").exists()

    values = {"bedrijven": "620", "studenten": 900, "werkenden": "240", "extra-geld": "1500000,50"}
    app = f.act(app, "propose_tranche", reviewer, {"tranche": 3, "release": True, "kpi_values": values})
    f.act(app, "approve_decision", senior)
    tranche.refresh_from_db()
    assert tranche.kpi_values == {"bedrijven": "620", "studenten": "900", "werkenden": "240", "extra-geld": "1500000.5"}
    own = {m.kpi.code: (m.value, m.kind) for m in KPIMeasurement.objects.filter(application=app).select_related("kpi")}
    assert own == {
        "bedrijven": (Decimal("620"), "additional"),
        "studenten": (Decimal("900"), "additional"),
        "werkenden": (Decimal("240"), "additional"),
        "extra-geld": (Decimal("1500000.50"), "additional"),
    }
    # the programme's own (catalogue) measurements are untouched
    assert KPIMeasurement.objects.filter(application=None, kpi__scheme__code="ngf-pps").count() == 7


def test_the_reviewer_sees_which_kpis_a_gate_decision_names_and_a_posted_unknown_code_changes_nothing(
    client, catalogue
):
    app, reviewer, _senior = pps_award(2023, month=9)
    Tranche.objects.filter(application=app, number=3).update(review_date=timezone.localdate())
    f.declare_no_conflict(app, reviewer)
    client.force_login(reviewer)
    url = reverse("review:case", args=[app.reference])
    html = client.get(url).content.decode()
    assert "KPI's van deze regeling" in html
    assert "<code>bedrijven</code> (Betrokken bedrijven (extra per jaar), bedrijven)" in html
    app.refresh_from_db()
    response = client.post(
        reverse("review:act", args=[app.reference]),
        {
            "action": "propose_tranche",
            "version": app.version,
            "tranche": "3",
            "release": "1",
            "kpi_values": "bereik=40",
        },
        follow=True,
    )
    assert "geen KPI van deze regeling" in response.content.decode()
    assert not app.decisions.filter(kind="tranche_release").exists()
    assert app.tranches.get(number=3).status == Tranche.Status.PLANNED
