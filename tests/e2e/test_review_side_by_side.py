"""The case screen side by side: the application on the left, the assessment on the right on a wide screen,
one above the other on a phone without scrolling sideways; the second reviewer reads the first reviewer's
checks, scores and note before approving, once they too declared no conflict of interest.

Run alone with ``pytest -m browser``; Playwright drives Debian's Chromium.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.states import State
from tests import factories as f
from tests.e2e.conftest import login
from tests.e2e.test_phone import AXE, RUN_AXE, SIDEWAYS

pytestmark = pytest.mark.browser

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
BOX = "sel => { const r = document.querySelector(sel).getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; }"


def box(page, selector: str) -> tuple[float, float, float, float]:
    return tuple(page.evaluate(BOX, selector))


def axe_finds_nothing(page) -> None:
    if AXE.exists():
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(RUN_AXE) == [], page.url


@pytest.fixture
def proposed(transactional_db):
    """A SLIM tender application, checked, scored and proposed for a grant by the first reviewer."""
    scheme = f.slim_scheme(code="slim-naast-elkaar")
    opening = f.open_opening(scheme, distribution="tender", code="slim-naast-elkaar-nu")
    reviewer = f.reviewer([scheme], username="eerste-behandelaar")
    senior = f.senior([scheme], username="tweede-behandelaar")
    app = f.act(f.submitted(opening, f.employer(username="werkgever-naast-elkaar")), "start_review", reviewer)
    services.record_assessment(
        application=app,
        user=reviewer,
        checklist={"kvk": True, "activity": True, "budget": False, "de_minimis": True, "one_per_window": True},
        scores={
            key: {"score": score, "justification": f"Onderbouwing {key}."}
            for key, score in (("innovation", 8), ("effect", 7), ("quality", 6), ("reach", 9))
        },
        note="Begroting nagevraagd: de offerte van de opleider volgt.",
    )
    # a tender grants after its ranking: the window closes, one reviewer proposes the ranking, another approves it
    type(opening).objects.filter(pk=opening.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    opening.refresh_from_db()
    f.run_allocation(opening, reviewer, f.reviewer([scheme], username="derde-behandelaar"))
    f.act(app, "propose_grant", reviewer, {"note": "Voldoet, score 7,5."})
    return {"app": app, "senior": senior}


def test_the_senior_reads_the_first_assessment_beside_the_application_and_approves(live_server, proposed, page):
    app, senior = proposed["app"], proposed["senior"]
    page.set_viewport_size(WIDE)
    login(page, live_server, senior)
    page.goto(live_server.url + reverse("review:case", args=[app.reference]))

    # side by side: the application's file on the left, the assessment on the right, their tops level
    file_left, file_right, file_top, _ = box(page, "#aanvraag")
    assessment_left, assessment_right, assessment_top, _ = box(page, "#beoordelen")
    assert file_right <= assessment_left and assessment_right <= WIDE["width"]
    assert abs(file_top - assessment_top) < 2
    assert box(page, "#h-inhoud")[1] <= assessment_left  # the application's content is in the left column
    assert assessment_left < box(page, "#h-beoordeling")[0] < assessment_right

    # before the senior's own declaration: the colleague's checks, scores and note stay hidden
    assessment = page.locator("#beoordeling")
    assert "Onderbouwing innovation." not in assessment.inner_text()
    assert "Begroting nagevraagd" not in page.content()
    page.get_by_label("Ik heb geen belang bij deze aanvrager").check()
    page.get_by_role("button", name="Verklaring vastleggen").click()

    text = page.locator("#beoordeling").inner_text()
    assert "Beoordeling van eerste-behandelaar" in text
    assert "niet in orde: De begroting is realistisch en de kosten zijn subsidiabel." in text
    assert "in orde: De aanvrager staat ingeschreven bij de KVK" in text
    assert "Onderbouwing reach." in text and "Totaalscore: 7,50" in text
    assert "Begroting nagevraagd: de offerte van de opleider volgt." in text
    # and the approval sits in the same column, below what it rests on
    approve = page.get_by_role("button", name="Besluit goedkeuren (tweede behandelaar)")
    approve_box = approve.bounding_box()
    assert approve_box["x"] >= assessment_left
    assert approve_box["y"] > box(page, ".os-colleague")[3]
    axe_finds_nothing(page)

    # on a phone: one column, the application first, nothing scrolls sideways
    page.set_viewport_size(PHONE)
    page.reload()
    file_left, file_right, _, file_bottom = box(page, "#aanvraag")
    assessment_left, _, assessment_top, _ = box(page, "#beoordelen")
    assert assessment_top >= file_bottom and abs(file_left - assessment_left) < 1
    assert page.evaluate(SIDEWAYS) == {"page": 0, "inner": []}
    axe_finds_nothing(page)

    approve.click()
    app.refresh_from_db()
    assert app.state == State.GRANTED
    assert app.decisions.get().approved_by == senior


def test_a_question_from_the_case_screen_is_answered_on_a_phone(live_server, transactional_db, page):
    scheme = f.omscholing_scheme(code="omscholing-berichten")
    reviewer = f.reviewer([scheme], username="vragende-behandelaar")
    employer = f.employer(username="antwoordende-werkgever")
    app = f.act(f.submitted(f.open_opening(scheme), employer), "start_review", reviewer)

    page.set_viewport_size(WIDE)
    login(page, live_server, reviewer)
    page.goto(live_server.url + reverse("review:case", args=[app.reference]))
    page.fill("#id_message_text", "Wilt u de offerte voor werknemer 1 nasturen?")
    page.get_by_role("button", name="Bericht versturen").click()
    assert "de aanvrager krijgt er een e-mail over" in page.content()
    assert box(page, "#berichten")[0] >= box(page, "#beoordelen")[0]  # the thread is on the assessment's side

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    login(page, live_server, employer)
    page.goto(live_server.url + reverse("portal:detail", args=[app.reference]))
    thread = page.locator("#berichten")
    assert "Wilt u de offerte voor werknemer 1 nasturen?" in thread.inner_text()
    page.fill("#id_message_text", "De offerte is onderweg.")
    page.get_by_role("button", name="Bericht versturen").click()
    assert "De offerte is onderweg." in page.locator("#berichten").inner_text()
    assert page.evaluate(SIDEWAYS) == {"page": 0, "inner": []}
    axe_finds_nothing(page)
    assert [m.text for m in app.messages.all()] == [
        "Wilt u de offerte voor werknemer 1 nasturen?",
        "De offerte is onderweg.",
    ]
