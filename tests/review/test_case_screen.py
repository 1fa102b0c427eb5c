"""The case screen and its actions, four eyes in the UI, and who may enter the workspace at all."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import letters, services
from applications.models import Decision, InternalNote, Letter, Mandate, Role
from applications.states import State
from tests.factories import (
    OpeningFactory,
    OrganisationFactory,
    SchemeFactory,
    UserFactory,
    day_ended,
    declare_no_conflict,
    employer,
    submitted,
)
from tests.factories import act as staff_act

pytestmark = pytest.mark.django_db


def case_url(app):
    return reverse("review:case", args=[app.reference])


def act(client, app, action, **data):
    app.refresh_from_db()
    return client.post(
        reverse("review:act", args=[app.reference]), {"action": action, "version": app.version, **data}, follow=True
    )


def declare(client, app):
    """The case screen's declaration of no conflict of interest, before any act on the case."""
    client.post(reverse("review:conflict", args=[app.reference]), {"conflict": "no"})


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_case_screen_shows_the_file_the_computation_the_checks_and_the_deadlines(client, opening, team):
    app = submitted(opening, team["employer"], units=2)
    client.force_login(team["reviewer"])
    html = client.get(case_url(app)).content.decode()
    assert app.organisation.name in html and app.organisation.kvk in html
    assert "Werknemer 1" in html and "Techniek Academie" in html
    assert "2 × € 3.750,00 per traject = € 7.500,00" in html
    assert "KVK-nummer" in html and "IBAN" in html and "in orde" in html
    assert "Uiterste beslisdatum" in html
    assert 'value="start_review"' not in html and "Verklaar eerst" in html  # not before the declaration
    declare(client, app)
    html = client.get(case_url(app)).content.decode()
    assert 'value="start_review"' in html and "In behandeling nemen" in html
    assert "Verlening voorstellen" not in html  # not before start_review
    assert "concept aangemaakt" in html and "ingediend" in html  # the audit trail, in words


def test_the_case_screen_says_why_a_grant_waits_until_the_day_of_completeness_has_ended(client, opening, team):
    app = submitted(opening, team["employer"])  # complete today, first come, first served
    client.force_login(team["reviewer"])
    declare(client, app)
    act(client, app, "start_review")

    html = client.get(case_url(app)).content.decode()
    assert 'value="propose_grant"' not in html
    assert "Nog niet: deze stap wacht op de verdeling" in html and "de dag waarop de aanvraag volledig werd" in html
    assert 'value="propose_rejection"' in html  # what may be done today still can

    day_ended(app)
    html = client.get(case_url(app)).content.decode()
    assert 'value="propose_grant"' in html and "wacht op de verdeling" not in html


def test_a_reviewer_declares_no_conflict_assesses_and_proposes_a_grant(client, opening, team):
    app = submitted(opening, team["employer"])
    client.force_login(team["reviewer"])
    html = client.get(case_url(app)).content.decode()
    assert "Verklaar eerst" in html
    response = act(client, app, "start_review")
    assert "belangenverstrengeling" in messages_of(response)
    app.refresh_from_db()
    assert app.state == State.SUBMITTED

    declare(client, app)
    act(client, app, "start_review")
    html = client.get(case_url(app)).content.decode()
    assert "tekortberoep" in html  # the per-unit checklist
    client.post(
        reverse("review:assess", args=[app.reference]),
        {"check_kvk": "on", "check_diploma": "on", "note": "Diploma's gezien."},
    )
    assessment = app.assessments.get(reviewer=team["reviewer"])
    assert assessment.checklist["kvk"] is True and assessment.checklist["contract"] is False

    day_ended(app)  # first come, first served: a grant waits until the day of completeness has ended
    response = act(client, app, "propose_grant", note="Voldoet.")
    app.refresh_from_db()
    assert app.state == State.DECISION_PROPOSED
    assert app.pending_decision().amount == Decimal("7500.00")


def test_a_tender_is_scored_per_criterion_each_with_a_justification(client, team):

    opening = OpeningFactory(scheme=SchemeFactory(code="mkbidee-test", slim=True), distribution="tender")
    team["reviewer"].schemes.add(opening.scheme)
    app = submitted(opening, team["employer"])
    client.force_login(team["reviewer"])
    declare(client, app)
    act(client, app, "start_review")
    missing = client.post(reverse("review:assess", args=[app.reference]), {"score_innovation": "8"}, follow=True)
    assert "niet compleet" in messages_of(missing)
    scores = {"innovation": "8", "effect": "7", "quality": "6", "reach": "9"}
    data = {f"score_{k}": v for k, v in scores.items()} | {f"why_{k}": f"Onderbouwing {k}" for k in scores}
    client.post(reverse("review:assess", args=[app.reference]), data)
    assessment = app.assessments.get(reviewer=team["reviewer"])
    assert assessment.score == Decimal("7.50")
    assert assessment.scores["reach"] == {"score": "9", "justification": "Onderbouwing reach"}


def test_four_eyes_the_proposer_is_never_offered_approval_and_is_refused_if_forced(client, opening, team):
    """A senior reviewer who proposes a decision cannot approve it; another senior can."""
    sanne = team["senior"]
    other_senior = UserFactory(role=Role.SENIOR_REVIEWER, username="pieter", schemes=[opening.scheme])
    app = submitted(opening, team["employer"])
    client.force_login(sanne)
    declare(client, app)
    act(client, app, "start_review")
    day_ended(app)
    act(client, app, "propose_grant", note="Voldoet.")

    html = client.get(case_url(app)).content.decode()
    assert "u heeft dit besluit zelf voorgesteld" in html
    assert 'value="approve_decision"' not in html
    listing = client.get(reverse("review:decisions")).content.decode()
    assert "eigen voorstel" in listing
    assert 'name="decision"' not in listing

    forced = act(client, app, "approve_decision")
    assert "Vier ogen" in messages_of(forced)
    decision = app.decisions.get()
    bulk = client.post(reverse("review:decide"), {"decision": [decision.pk], "verdict": "approve"}, follow=True)
    assert "Vier ogen" in messages_of(bulk)
    app.refresh_from_db()
    assert app.state == State.DECISION_PROPOSED

    client.force_login(other_senior)
    assert 'value="approve_decision"' not in client.get(case_url(app)).content.decode()  # not before declaring
    declare(client, app)
    assert 'value="approve_decision"' in client.get(case_url(app)).content.decode()
    client.post(reverse("review:decide"), {"decision": [decision.pk], "verdict": "approve"})
    app.refresh_from_db()
    decision.refresh_from_db()
    assert app.state == State.GRANTED
    assert decision.approved_by == other_senior and decision.proposed_by == sanne


def test_a_second_reviewer_approves_a_selection_and_returns_another_with_a_note(client, opening, team):
    bart, sanne = team["reviewer"], team["senior"]
    apps = []
    for _ in range(3):
        app = submitted(opening, employer())
        staff_act(app, "start_review", bart)
        staff_act(app, "propose_grant", bart, {"note": "Voldoet."})
        apps.append(declare_no_conflict(app, sanne))
    client.force_login(sanne)
    ids = [a.pending_decision().pk for a in apps]
    client.post(reverse("review:decide"), {"decision": ids[:2], "verdict": "approve"})
    no_note = client.post(reverse("review:decide"), {"decision": ids[2:], "verdict": "return"}, follow=True)
    assert "waarom" in messages_of(no_note)
    client.post(reverse("review:decide"), {"decision": ids[2:], "verdict": "return", "note": "Offerte ontbreekt."})
    states = [a.__class__.objects.get(pk=a.pk).state for a in apps]
    assert states == [State.GRANTED, State.GRANTED, State.IN_REVIEW]
    assert Decision.objects.get(pk=ids[2]).return_note == "Offerte ontbreekt."


def test_a_reviewer_cannot_approve_at_all(client, opening, team):
    bart = team["reviewer"]
    app = submitted(opening, team["employer"])
    other = UserFactory(role=Role.REVIEWER, username="kees", schemes=[opening.scheme])
    staff_act(app, "start_review", other)
    services.declare_conflict_of_interest(application=app, user=other, conflict=False)
    staff_act(app, "propose_grant", other, {})
    client.force_login(bart)
    assert 'value="approve_decision"' not in client.get(case_url(app)).content.decode()
    assert "Alleen een tweede behandelaar" in client.get(reverse("review:decisions")).content.decode()


def test_an_invalid_action_shows_the_reason_and_changes_nothing(client, opening, team):
    app = submitted(opening, team["employer"])
    client.force_login(team["reviewer"])
    declare(client, app)
    act(client, app, "start_review")
    response = act(client, app, "request_supplement", reason="", due_days="5")
    assert "Vul 'reason' in" in messages_of(response)
    response = act(client, app, "request_supplement", reason="Offerte ontbreekt.", due_days="500")
    assert "1 tot 90 dagen" in messages_of(response)
    app.refresh_from_db()
    assert app.state == State.IN_REVIEW and not app.supplement_requests.exists()


def test_internal_notes_intent_and_reply_and_a_letter_retry(
    client, opening, team, monkeypatch, django_capture_on_commit_callbacks
):

    app = submitted(opening, team["employer"])
    client.force_login(team["reviewer"])
    declare(client, app)
    client.post(reverse("review:note", args=[app.reference]), {"text": "Gebeld met de werkgever."})
    assert InternalNote.objects.get(application=app).author == team["reviewer"]

    monkeypatch.setattr(
        letters.rendering, "render_pdf", lambda html: (_ for _ in ()).throw(RuntimeError("printer stuk"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("review:intent", args=[app.reference]),
            {
                "proposed": "rejection",
                "reason_code": "not_eligible",
                "reason": "Geen tekortberoep.",
                "reply_days": "14",
            },
        )
    letter = Letter.objects.get(application=app, kind="intent")
    html = client.get(case_url(app)).content.decode()
    assert "printer stuk" in html and "Opnieuw maken" in html
    monkeypatch.undo()
    client.post(reverse("review:letter-retry", args=[app.reference, letter.pk]))
    letter.refresh_from_db()
    assert letter.status == Letter.Status.RENDERED
    pdf = client.get(reverse("review:letter", args=[app.reference, letter.pk]))
    assert pdf["Content-Type"] == "application/pdf"

    client.post(
        reverse("review:intent-reply", args=[app.reference]), {"reply": "Telefonisch: het is wel een tekortberoep."}
    )
    assert app.events.filter(action="intent_reply").get().reason.startswith("Telefonisch")


def test_allocation_screen_records_a_preview_and_a_second_reviewer_runs_the_proposed_lottery(client, team):
    opening = OpeningFactory(
        scheme=team["reviewer"].schemes.get(), distribution="lottery", budget_ceiling=Decimal("15000.00")
    )
    apps = [submitted(opening, employer()) for _ in range(3)]
    opening.__class__.objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(team["reviewer"])
    url = reverse("review:allocation", args=[opening.code])

    preview = client.post(url, {"step": "preview"}).content.decode()
    assert "Voorbeeld" in preview and all(a.reference in preview for a in apps)
    assert "past niet onder het plafond" in preview  # 3 × € 7.500 over € 15.000
    assert opening.allocations.get().status == "preview"  # the preview is on record
    seed = opening.lottery_seeds.get()
    assert seed.digest in preview and seed.seed not in preview  # committed, not yet shown

    client.post(url, {"step": "propose", "seed": "mijn-geluksgetal"})  # a typed seed is not the draw's
    proposal = opening.allocations.get(status="proposed")
    assert proposal.seed == seed.seed and proposal.run_by == team["reviewer"]
    page = client.get(url).content.decode()
    assert "een andere behandelaar van de regeling keurt uw voorstel goed" in page and 'value="approve"' not in page
    refused = client.post(url, {"step": "approve", "allocation": proposal.pk}, follow=True).content.decode()
    assert "Vier ogen" in refused and not opening.allocations.filter(status="approved").exists()
    assert all(a.amount_reserved == 0 or a.amount_reserved == Decimal("7500.00") for a in apps)

    client.force_login(team["senior"])
    client.post(url, {"step": "approve", "allocation": proposal.pk})
    run = opening.allocations.get(status="approved")
    assert run.pk == proposal.pk and run.approved_by == team["senior"] and run.summary["granted"] == 2
    page = client.get(url).content.decode()
    assert seed.seed in page and "De verdeling is uitgevoerd" in page and 'value="propose"' not in page


ROUTES = [
    ("review:queue", []),
    ("review:decisions", []),
]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.INTERMEDIARY, Role.PROGRAM_MANAGER])
def test_every_reviewer_page_is_refused_to_applicants_intermediaries_and_program_managers(client, opening, team, role):
    app = submitted(opening, team["employer"])
    letter = Letter.objects.create(application=app, kind="receipt", key=f"test:{app.pk}")
    organisation = (
        team["employer"].organisation if role == Role.APPLICANT else OrganisationFactory(is_intermediary=True)
    )
    user = UserFactory(
        role=role, organisation=organisation if role != Role.PROGRAM_MANAGER else None, schemes=[opening.scheme]
    )
    if role == Role.INTERMEDIARY:
        Mandate.objects.create(principal=app.organisation, agent=organisation, valid_from="2020-01-01")
    client.force_login(user)
    ref = app.reference
    gets = [
        reverse("review:queue"),
        reverse("review:decisions"),
        reverse("review:case", args=[ref]),
        reverse("review:allocation", args=[opening.code]),
        reverse("review:letter", args=[ref, letter.pk]),
        reverse("review:document", args=[ref, 1]),
    ]
    posts = [
        (reverse("review:queue"), {"application": [app.pk], "take": "1"}),
        (reverse("review:decide"), {"decision": [1], "verdict": "approve"}),
        (reverse("review:act", args=[ref]), {"action": "start_review"}),
        (reverse("review:conflict", args=[ref]), {"conflict": "no"}),
        (reverse("review:assess", args=[ref]), {}),
        (reverse("review:note", args=[ref]), {"text": "x"}),
        (reverse("review:intent", args=[ref]), {"reason": "x", "proposed": "rejection", "reply_days": 14}),
        (reverse("review:intent-reply", args=[ref]), {"reply": "x"}),
        (reverse("review:letter-retry", args=[ref, letter.pk]), {}),
        (reverse("review:allocation", args=[opening.code]), {"step": "propose"}),
    ]
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    app.refresh_from_db()
    assert app.state == State.SUBMITTED and app.assigned_to is None
    assert not InternalNote.objects.exists() and not opening.allocations.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, opening):
    response = client.get(reverse("review:queue"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_reviewer_of_another_scheme_does_not_find_the_application(client, opening, team):
    app = submitted(opening, team["employer"])
    outsider = UserFactory(role=Role.REVIEWER, username="buiten", schemes=[SchemeFactory(code="ander")])
    client.force_login(outsider)
    assert client.get(case_url(app)).status_code == 404
    assert client.post(reverse("review:act", args=[app.reference]), {"action": "start_review"}).status_code == 404
    assert client.get(reverse("review:allocation", args=[opening.code])).status_code == 403
