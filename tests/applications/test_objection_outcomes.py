"""An objection's outcome takes effect (Awb 7:11), with the ledger after it: a revocation undone and its recovery
cancelled, a lower settlement fixed anew with its balance, a rejection decided again, a grant taken back and
rejected leaving nothing booked; unfounded and inadmissible change nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time

from applications.errors import Invalid
from applications.models import Letter, Objection, Payment, Tranche
from applications.states import State
from tests.factories import (
    OpeningFactory,
    SchemeFactory,
    act,
    decide_objection,
    granted,
    pay,
    pdf_text,
    rejected,
    senior,
    team_for,
)

pytestmark = pytest.mark.django_db

E = Decimal


def due(app, kind) -> list[Decimal]:
    return [p.amount for p in app.payments.filter(kind=kind, status=Payment.Status.DUE)]


def ledger(app) -> tuple:
    app.refresh_from_db()
    app.opening.refresh_from_db()
    return app.amount_committed, app.opening.committed, app.opening.reserved


def object_and_decide(app, team, data):
    act(app, "lodge_objection", team["employer"], {"reason": "Ik ben het er niet mee eens."})
    data = {"note": "Zie de hoorzitting.", **data}
    return decide_objection(app, data, team["objection_handler"], team["objection_approver"])


def test_upheld_against_a_revocation_the_grant_returns_and_the_recovery_is_cancelled(
    django_capture_on_commit_callbacks,
):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    pay(app, team["payer"], team["checker"])
    act(app, "revoke", team["reviewer"], {"ground": "4:48-b", "reason": "Het contract is niet verlengd."})
    app = act(app, "approve_decision", team["senior"])
    assert app.state == State.REVOKED
    assert due(app, Payment.Kind.RECOVERY) == [E("7500.00")]
    assert ledger(app) == (E("0.00"), E("0.00"), E("0.00"))
    with django_capture_on_commit_callbacks(execute=True):
        app = object_and_decide(app, team, {"outcome": "upheld"})
    assert app.state == State.GRANTED  # the state before the revocation
    assert due(app, Payment.Kind.RECOVERY) == []
    assert ledger(app) == (E("7500.00"), E("7500.00"), E("0.00"))
    assert app.objections.get().outcome == Objection.Outcome.UPHELD
    text = pdf_text(Letter.objects.get(application=app, kind="objection_decision"))
    assert "gegrond" in text and "De terugvordering van € 7.500,00 vervalt" in text


def test_partly_upheld_against_a_lower_settlement_a_new_settlement_with_a_new_balance():
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    pay(app, team["payer"], team["checker"])  # € 7.500 paid
    units = list(app.units.values_list("id", flat=True))
    act(app, "request_settlement", team["employer"], {"units_completed": units[:1]})
    act(app, "propose_settlement", team["reviewer"], {"note": "Eén traject niet afgerond."})
    app = act(app, "approve_settlement", team["senior"])
    assert app.amount_settled == E("3750.00") and due(app, Payment.Kind.RECOVERY) == [E("3750.00")]
    with pytest.raises(Invalid, match="nieuwe vastgestelde bedrag"):
        object_and_decide(app, team, {"outcome": "partly_upheld", "amount": "9000.00"})  # above the grant
    app.refresh_from_db()
    assert app.objections.get().outcome == Objection.Outcome.PENDING  # nothing changed
    app = decide_objection(
        app,
        {"outcome": "partly_upheld", "amount": "5625.00", "note": "Half."},
        team["objection_handler"],
        team["objection_approver"],
    )
    assert app.state == State.SETTLED
    assert app.amount_settled == E("5625.00")
    assert due(app, Payment.Kind.RECOVERY) == [E("1875.00")]  # 7.500 paid, 5.625 owed
    assert ledger(app)[:2] == (E("5625.00"), E("5625.00"))
    assert app.objections.get().outcome == Objection.Outcome.PARTLY_UPHELD


def test_upheld_against_a_rejection_the_application_is_decided_again_and_granted():
    team = team_for()
    app = rejected(team["opening"], team["employer"], team["reviewer"], team["senior"])
    assert ledger(app) == (E("0.00"), E("0.00"), E("0.00"))
    app = object_and_decide(app, team, {"outcome": "upheld"})
    assert app.state == State.IN_REVIEW and app.rejection_reason == ""
    act(app, "propose_grant", team["objection_handler"], {"note": "Alsnog."})
    app = act(app, "approve_decision", senior([team["opening"].scheme]))  # not the senior who rejected (7:5)
    assert app.state == State.GRANTED
    assert ledger(app)[:2] == (E("7500.00"), E("7500.00"))
    assert due(app, Payment.Kind.ADVANCE) == [E("7500.00")]


def test_a_grant_taken_back_on_objection_and_then_rejected_leaves_nothing_booked():
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"], units=1)
    assert ledger(app)[:2] == (E("3750.00"), E("3750.00")) and due(app, Payment.Kind.ADVANCE) == [E("3750.00")]
    app = object_and_decide(app, team, {"upheld": True})  # the older form of the same outcome
    assert app.state == State.IN_REVIEW
    act(app, "propose_rejection", team["objection_handler"], {"reason_code": "not_eligible", "note": "Toch niet."})
    app = act(app, "approve_decision", senior([team["opening"].scheme]))  # not the senior who granted (7:5)
    assert app.state == State.REJECTED
    assert ledger(app) == (E("0.00"), E("0.00"), E("0.00"))  # not € 3.750 committed
    assert due(app, Payment.Kind.ADVANCE) == []  # and no advance due on a rejected application
    assert app.amount_granted is None


@pytest.mark.parametrize("outcome", ["unfounded", "inadmissible"])
def test_unfounded_or_inadmissible_leaves_the_decision_and_the_money_as_they_were(outcome):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    before = ledger(app)
    app = object_and_decide(app, team, {"outcome": outcome})
    assert app.state == State.GRANTED
    assert ledger(app) == before and due(app, Payment.Kind.ADVANCE) == [E("7500.00")]
    expected = {"unfounded": Objection.Outcome.DISMISSED, "inadmissible": Objection.Outcome.INADMISSIBLE}
    assert app.objections.get().outcome == expected[outcome]


def test_an_outcome_that_is_not_one_of_the_four_is_refused():
    team = team_for()
    app = rejected(team["opening"], team["employer"], team["reviewer"], team["senior"])
    with pytest.raises(Invalid, match="gegrond, deels gegrond, ongegrond of niet-ontvankelijk"):
        object_and_decide(app, team, {"outcome": "misschien"})
    app.refresh_from_db()
    assert app.state == State.REJECTED


def test_a_withheld_tranche_is_a_decision_with_its_letter_and_an_objection_that_releases_it(
    django_capture_on_commit_callbacks,
):
    with freeze_time("2024-03-04 10:00:00+01:00"):
        team = team_for(OpeningFactory(scheme=SchemeFactory(programme=True)))
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
        app.tranches.all().delete()
        Tranche.objects.create(
            application=app, number=1, label="Start", amount=E("400000.00"), planned_date=datetime.date(2024, 4, 1)
        )
        gated = Tranche.objects.create(
            application=app,
            number=2,
            label="Na KPI-beoordeling",
            amount=E("600000.00"),
            planned_date=datetime.date(2025, 4, 1),
            gated=True,
            review_kind="KPI-beoordeling",
            review_date=datetime.date(2025, 3, 3),
        )
    assert ledger(app)[0] == E("1000000.00")
    with freeze_time("2025-03-03 12:00:00+01:00"), django_capture_on_commit_callbacks(execute=True):
        kpis = {"bereik": "40", "instroom": "12"}
        data = {"tranche": 2, "release": False, "kpi_values": kpis, "note": "Het bereik is 40 van de beoogde 100."}
        act(app, "propose_tranche", team["reviewer"], data)
        app = act(app, "approve_decision", team["senior"])
    assert app.state == State.GRANTED
    gated.refresh_from_db()
    assert gated.status == Tranche.Status.WITHHELD
    assert ledger(app)[0] == E("400000.00")
    assert app.objection_due == datetime.date(2025, 4, 14)  # six weeks: its own objection term
    text = pdf_text(Letter.objects.get(application=app, kind="tranche_withheld"))
    assert "€ 600.000,00" in text and "niet vrij" in text
    assert "Bereik: 40 deelnemers" in text and "Het bereik is 40 van de beoogde 100" in text
    assert "bezwaar" in text and "14 april 2025" in text
    with freeze_time("2025-03-20 12:00:00+01:00"):
        app = object_and_decide(app, team, {"outcome": "upheld"})
    assert app.state == State.GRANTED  # the grant stands; the tranche is released
    gated.refresh_from_db()
    assert gated.status == Tranche.Status.RELEASED
    assert ledger(app)[0] == E("1000000.00")
    assert app.payments.get(tranche=gated, status=Payment.Status.DUE).amount == E("600000.00")
    assert app.objections.get().decision.kind == "tranche_withhold"


# --- revocation and change (4:48 before, 4:49 after the settlement), and the ground of a lower settlement (4:46) ---


def test_a_grant_changed_to_a_lower_amount_on_a_4_48_ground_recovers_the_difference_and_cites_it(
    django_capture_on_commit_callbacks,
):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    pay(app, team["payer"], team["checker"])  # € 7.500 paid
    with pytest.raises(Invalid, match="4:48-a, 4:48-b, 4:48-c, 4:48-d"):
        act(app, "revoke", team["reviewer"], {"ground": "4:49-a", "reason": "Na de vaststelling?"})
    with pytest.raises(Invalid, match="minder dan € 7.500,00"):
        act(app, "revoke", team["reviewer"], {"ground": "4:48-a", "amount": "9000", "reason": "x"})
    data = {"ground": "4:48-a", "amount": "3750.00", "reason": "Eén werknemer is niet met de omscholing begonnen."}
    act(app, "revoke", team["reviewer"], data)
    with django_capture_on_commit_callbacks(execute=True):
        app = act(app, "approve_decision", team["senior"])
    assert app.state == State.GRANTED  # changed, not revoked
    assert app.amount_granted == E("3750.00")
    assert ledger(app)[:2] == (E("3750.00"), E("3750.00"))
    assert due(app, Payment.Kind.RECOVERY) == [E("3750.00")]
    text = pdf_text(Letter.objects.get(application=app, kind="revocation"))
    assert "Wij wijzigen de verlening" in text and "€ 3.750,00" in text
    assert "artikel 4:48, eerste lid, onder a" in text and "niet of niet geheel plaatsgevonden" in text
    # an objection against the change, upheld: the amount before it returns and the recovery lapses
    app = object_and_decide(app, team, {"outcome": "upheld"})
    assert app.state == State.GRANTED and app.amount_granted == E("7500.00")
    assert due(app, Payment.Kind.RECOVERY) == [] and ledger(app)[:2] == (E("7500.00"), E("7500.00"))


def test_after_the_settlement_a_revocation_rests_on_4_49_and_a_lower_settlement_cites_its_4_46_ground(
    django_capture_on_commit_callbacks,
):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    pay(app, team["payer"], team["checker"])
    units = list(app.units.values_list("id", flat=True))
    act(app, "request_settlement", team["employer"], {"units_completed": units[:1]})
    act(app, "propose_settlement", team["reviewer"], {"note": "Eén traject niet afgerond."})
    with django_capture_on_commit_callbacks(execute=True):
        app = act(app, "approve_settlement", team["senior"])
    assert app.decisions.get(kind="settlement").reason_code == "4:46-a"
    settlement = pdf_text(Letter.objects.get(application=app, kind="settlement"))
    assert "artikel 4:46, tweede lid, onder a" in settlement
    with pytest.raises(Invalid, match="artikel 4:49 Awb"):
        act(app, "revoke", team["reviewer"], {"ground": "4:48-b", "reason": "Voor de vaststelling?"})
    data = {"ground": "4:49-c", "reason": "Het contract is na de vaststelling toch niet verlengd."}
    act(app, "revoke", team["reviewer"], data)
    with django_capture_on_commit_callbacks(execute=True):
        app = act(app, "approve_decision", team["senior"])
    assert app.state == State.REVOKED and app.amount_settled == E("0.00")
    text = pdf_text(Letter.objects.get(application=app, kind="revocation"))
    assert "Wij trekken de vaststelling" in text and "artikel 4:49, eerste lid, onder c" in text
