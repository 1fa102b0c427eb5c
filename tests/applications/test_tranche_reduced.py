"""A reduced tranche is a decision (Awb 4:37, 6:7): a programme's conditional tranche released at a lower amount
after its KPI review, with reasons and four eyes; only the lower amount is paid and the rest leaves the commitment;
its own letter with the amount, the reasons, the objection clause and term; an upheld objection pays the rest.
After every step the ledger reconciles."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time

from applications import reconcile, services
from applications.errors import Forbidden, Invalid
from applications.models import Decision, Letter, Objection, Payment, Tranche
from applications.states import State
from tests.factories import OpeningFactory, SchemeFactory, act, decide_objection, granted, pay, pdf_text, team_for

pytestmark = pytest.mark.django_db

E = Decimal
KPIS = {"bereik": "6000", "instroom": "18,5"}
REASONS = "Het bereik is 60 van de beoogde 100 scholen: 60 procent van de tranche."


def ledger(app) -> tuple:
    app.refresh_from_db()
    app.opening.refresh_from_db()
    return app.amount_committed, app.opening.committed, app.amount_paid, app.opening.paid


def due(app) -> list[Decimal]:
    return [p.amount for p in app.payments.filter(kind=Payment.Kind.TRANCHE, status=Payment.Status.DUE)]


@pytest.fixture
def programme(django_capture_on_commit_callbacks):
    """A PPS-like programme award of € 1.000.000 on 4 March 2024, all of it one tranche gated by a KPI review on
    3 March 2025."""
    with freeze_time("2024-03-04 10:00:00+01:00"), django_capture_on_commit_callbacks(execute=True):
        team = team_for(OpeningFactory(scheme=SchemeFactory(programme=True)))
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
        app.tranches.all().delete()
        tranche = Tranche.objects.create(
            application=app,
            number=1,
            label="Na KPI-beoordeling",
            amount=E("1000000.00"),
            planned_date=datetime.date(2025, 4, 1),
            gated=True,
            review_kind="KPI-beoordeling",
            review_date=datetime.date(2025, 3, 3),
        )
    assert ledger(app) == (E("1000000.00"), E("1000000.00"), E("0.00"), E("0.00"))
    return team, app, tranche


def propose_reduction(app, team, amount, **extra):
    data = {"tranche": 1, "release": True, "amount": amount, "kpi_values": KPIS, "note": REASONS, **extra}
    return act(app, "propose_tranche", team["reviewer"], data)


def test_a_tranche_of_a_million_reduced_to_600_000_pays_600_000_and_releases_400_000_with_its_letter(
    programme, django_capture_on_commit_callbacks
):
    team, app, tranche = programme
    with freeze_time("2025-03-03 12:00:00+01:00"), django_capture_on_commit_callbacks(execute=True):
        propose_reduction(app, team, "600000.00")
        decision = app.decisions.get(status=Decision.Status.PROPOSED)
        assert (decision.kind, decision.amount) == (Decision.Kind.TRANCHE_REDUCE, E("600000.00"))
        assert ledger(app)[0] == E("1000000.00") and due(app) == []  # nothing until a second reviewer approves
        with pytest.raises(Forbidden, match="Vier ogen"):
            services.perform(app, "approve_decision", team["reviewer"])
        app = act(app, "approve_decision", team["senior"])
    assert app.state == State.GRANTED
    tranche.refresh_from_db()
    assert tranche.status == Tranche.Status.RELEASED
    assert (tranche.withheld_amount, tranche.released_amount) == (E("400000.00"), E("600000.00"))
    assert due(app) == [E("600000.00")]  # only the reduced amount is paid
    assert ledger(app) == (E("600000.00"), E("600000.00"), E("0.00"), E("0.00"))  # the rest leaves the commitment
    assert app.objection_due == datetime.date(2025, 4, 14)  # its own six weeks to object
    assert reconcile.run() == []

    text = pdf_text(Letter.objects.get(application=app, kind="tranche_reduced"))
    assert f"Verlaging van tranche 1, {app.reference}" in text
    assert "gedeeltelijk vrij" in text and "u ontvangt € 600.000,00 in plaats van € 1.000.000,00" in text
    assert "Het verschil van € 400.000,00 houden wij in" in text
    # each KPI by its name, the figure the Dutch way, with its unit
    assert REASONS in text and "Bereik: 6.000 deelnemers" in text and "techniek: 18,5 leerlingen" in text
    assert "bezwaar" in text and "14 april 2025" in text  # the objection clause and its term

    pay(app, team["payer"], team["checker"])
    assert ledger(app) == (E("600000.00"), E("600000.00"), E("600000.00"), E("600000.00"))
    assert reconcile.run() == []


def test_an_upheld_objection_against_the_reduction_pays_the_other_400_000(
    programme, django_capture_on_commit_callbacks
):
    team, app, tranche = programme
    with freeze_time("2025-03-03 12:00:00+01:00"), django_capture_on_commit_callbacks(execute=True):
        propose_reduction(app, team, "600000.00")
        app = act(app, "approve_decision", team["senior"])
        pay(app, team["payer"], team["checker"])
    with freeze_time("2025-03-20 12:00:00+01:00"), django_capture_on_commit_callbacks(execute=True):
        act(app, "lodge_objection", team["employer"], {"reason": "De scholen van het tweede jaar telt u niet mee."})
        assert app.objections.get().decision.kind == Decision.Kind.TRANCHE_REDUCE
        data = {"outcome": "upheld", "note": "Met het tweede jaar is het bereik gehaald."}
        app = decide_objection(app, data, team["objection_handler"], team["objection_approver"])
    assert app.state == State.GRANTED
    tranche.refresh_from_db()
    assert (tranche.status, tranche.withheld_amount) == (Tranche.Status.RELEASED, E("0.00"))
    assert due(app) == [E("400000.00")]  # the rest, next to the € 600.000 already paid
    assert ledger(app) == (E("1000000.00"), E("1000000.00"), E("600000.00"), E("600000.00"))
    assert app.objections.get().outcome == Objection.Outcome.UPHELD
    assert reconcile.run() == []
    text = pdf_text(Letter.objects.get(application=app, kind="objection_decision"))
    assert "gegrond" in text and "Wij geven tranche 1 alsnog vrij: wij betalen u € 400.000,00" in text

    pay(app, team["payer"], team["checker"])
    assert ledger(app) == (E("1000000.00"), E("1000000.00"), E("1000000.00"), E("1000000.00"))
    assert reconcile.run() == []


def test_partly_upheld_raises_the_reduced_tranche_to_the_amount_given(programme, django_capture_on_commit_callbacks):
    team, app, tranche = programme
    with freeze_time("2025-03-03 12:00:00+01:00"), django_capture_on_commit_callbacks(execute=True):
        propose_reduction(app, team, "600000.00")
        app = act(app, "approve_decision", team["senior"])
    with freeze_time("2025-03-20 12:00:00+01:00"), django_capture_on_commit_callbacks(execute=True):
        act(app, "lodge_objection", team["employer"], {"reason": "Ten minste 80 scholen."})
        data = {"outcome": "partly_upheld", "amount": "500000.00", "note": "Lager dan wat al is vrijgegeven?"}
        with pytest.raises(Invalid, match="meer dan € 600.000,00 en ten hoogste € 1.000.000,00"):
            decide_objection(app, data, team["objection_handler"], team["objection_approver"])
        assert ledger(app)[0] == E("600000.00") and due(app) == [E("600000.00")]  # nothing changed
        data = {"outcome": "partly_upheld", "amount": "800000.00", "note": "Het bereik is 80 scholen."}
        app = decide_objection(app, data, team["objection_handler"], team["objection_approver"])
    tranche.refresh_from_db()
    assert (tranche.released_amount, tranche.withheld_amount) == (E("800000.00"), E("200000.00"))
    assert sorted(due(app)) == [E("200000.00"), E("600000.00")]
    assert ledger(app)[:2] == (E("800000.00"), E("800000.00"))
    assert reconcile.run() == []


OUTSIDE = "meer dan € 0 en minder dan de tranche (€ 1.000.000,00)"


@pytest.mark.parametrize(
    ("amount", "release", "expected"),
    [
        ("0", True, OUTSIDE),
        ("-5", True, "niet negatief"),
        ("1000000.00", True, OUTSIDE),
        ("1250000.00", True, OUTSIDE),
        ("600000.00", False, "Een lager bedrag geeft u vrij: kies 'vrijgeven'"),
    ],
)
def test_a_reduction_to_nothing_to_the_whole_or_more_or_with_withholding_is_refused_and_changes_nothing(
    programme, amount, release, expected
):
    team, app, tranche = programme
    with freeze_time("2025-03-03 12:00:00+01:00"):
        with pytest.raises(Invalid) as refused:
            propose_reduction(app, team, amount, release=release)
    assert expected in refused.value.detail
    tranche.refresh_from_db()
    assert tranche.status == Tranche.Status.PLANNED and not app.decisions.filter(kind__startswith="tranche").exists()
    assert ledger(app)[0] == E("1000000.00") and due(app) == []
    assert reconcile.run() == []


def test_a_reduction_without_reasons_is_refused(programme):
    team, app, tranche = programme
    with freeze_time("2025-03-03 12:00:00+01:00"), pytest.raises(Invalid, match="redenen van de verlaging"):
        propose_reduction(app, team, "600000.00", note="")
    assert not app.decisions.filter(kind=Decision.Kind.TRANCHE_REDUCE).exists()
