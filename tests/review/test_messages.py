"""Messages with the applicant on the case: a thread in the file, e-mailed as a link, in the audit trail.

A reviewer asks the employer a question from the case screen, the employer reads it under "Mijn aanvragen"
and answers there; each message owes one e-mail to the other side that links to the thread and never carries
its text; each is an audit event with its text. Staff write only after declaring no conflict of interest, and
only on their schemes; an applicant only on its own organisation's applications (or with a mandate).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from applications import outbox, retention, services
from applications.models import AuditEvent, Message, Notification, Outbox, Role
from tests import factories as f

pytestmark = pytest.mark.django_db

QUESTION = "Kunt u de offerte van Techniek Academie voor werknemer 2 nasturen? Het BSN hoort er niet in."
ANSWER = "De offerte van Techniek Academie is gisteren per post verstuurd."


def case_url(app) -> str:
    return reverse("review:case", args=[app.reference])


def detail_url(app) -> str:
    return reverse("portal:detail", args=[app.reference])


def mails_about(app) -> list:
    return [m for m in mail.outbox if app.reference in m.subject and "bericht" in m.subject]


def test_a_reviewer_asks_a_question_and_the_employer_answers_in_the_portal(
    client, opening, team, django_capture_on_commit_callbacks
):
    bart, employer = team["reviewer"], team["employer"]
    app = f.in_review(opening, employer, bart)
    mail.outbox.clear()

    client.force_login(bart)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("review:message", args=[app.reference]), {"text": QUESTION})
    question = Message.objects.get(application=app)
    assert (question.author, question.direction, question.text) == (bart, "to_applicant", QUESTION)
    event = AuditEvent.objects.get(application=app, action="message_to_applicant")
    assert event.reason == QUESTION and event.data == {"message": question.pk} and event.actor == bart
    assert event.from_state == event.to_state == "in_review"
    assert QUESTION in client.get(case_url(app)).content.decode()

    # the employer is told by e-mail: a link to the thread, not the question
    (announcement,) = mails_about(app)
    assert announcement.to == [employer.organisation.contact_email]
    assert f"{settings.SITE_URL}/mijn/aanvragen/{app.reference}/#berichten" in announcement.body
    assert "Techniek Academie" not in announcement.body and "BSN" not in announcement.body
    assert Outbox.objects.get(event=event).status == Outbox.Status.DONE

    client.force_login(employer)
    page = client.get(detail_url(app)).content.decode()
    thread = page.split('id="berichten"')[1].split("</section>")[0]
    assert QUESTION in thread and "<strong>Behandelaar</strong>" in thread  # not a colleague's name
    assert f"<strong>{bart.username}</strong>" not in thread
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:messages", args=[app.reference]), {"text": ANSWER})
    answer = Message.objects.get(application=app, direction="from_applicant")
    assert answer.author == employer and answer.text == ANSWER
    assert AuditEvent.objects.get(application=app, action="message_from_applicant").reason == ANSWER

    # the reviewer of the case is told, with a link to the case screen
    reply_mail = mails_about(app)[-1]
    assert reply_mail.to == [bart.email]
    assert f"/behandeling/aanvragen/{app.reference}/#berichten" in reply_mail.body and ANSWER not in reply_mail.body

    client.force_login(bart)
    thread = client.get(case_url(app)).content.decode()
    assert thread.index(QUESTION) < thread.index(ANSWER)
    assert [m.direction for m in app.messages.all()] == ["to_applicant", "from_applicant"]


def test_a_message_is_e_mailed_once_however_often_its_delivery_is_tried(
    opening, team, django_capture_on_commit_callbacks
):
    app = f.in_review(opening, team["employer"], team["reviewer"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.messages.post_message(application=app, user=team["reviewer"], text=QUESTION)
    row = Outbox.objects.get(application=app, kind=Outbox.Kind.MESSAGE)
    assert row.key == f"message:event:{row.event_id}"
    outbox.retry(row)  # an administrator's retry of a row already delivered
    outbox.deliver(row.key)
    assert len(mails_about(app)) == 1
    assert Notification.objects.filter(event=row.event).count() == 1


def test_a_reviewer_writes_only_after_declaring_no_conflict_of_interest(client, opening, team):
    bart = team["reviewer"]
    app = f.submitted(opening, team["employer"])
    client.force_login(bart)
    page = client.get(case_url(app)).content.decode()
    assert 'name="text"' not in page.split('id="berichten"')[1].split("</section>")[0]
    assert "Verklaar eerst" in page
    refused = client.post(reverse("review:message", args=[app.reference]), {"text": QUESTION}, follow=True)
    assert "Verklaar eerst" in " ".join(str(m) for m in refused.context["messages"])
    assert not Message.objects.exists() and not AuditEvent.objects.filter(action__startswith="message_").exists()

    services.declare_conflict_of_interest(application=app, user=bart, conflict=True)
    with pytest.raises(services.Forbidden, match="belangenverstrengeling"):
        services.messages.post_message(application=app, user=bart, text=QUESTION)

    senior = team["senior"]
    f.declare_no_conflict(app, senior)
    client.force_login(senior)
    client.post(reverse("review:message", args=[app.reference]), {"text": QUESTION})
    assert Message.objects.get().author == senior


def test_an_empty_message_or_one_on_a_draft_is_refused_and_changes_nothing(client, opening, team):
    employer = team["employer"]
    draft = f.draft(opening, employer)
    with pytest.raises(services.Conflict, match="concept"):
        services.messages.post_message(application=draft, user=employer, text=ANSWER)
    app = f.submitted(opening, employer)
    client.force_login(employer)
    response = client.post(reverse("portal:messages", args=[app.reference]), {"text": "   "}, follow=True)
    assert "Schrijf een bericht" in " ".join(str(m) for m in response.context["messages"])
    assert 'id="berichten"' not in client.get(detail_url(draft)).content.decode()
    assert not Message.objects.exists() and not Outbox.objects.filter(kind=Outbox.Kind.MESSAGE).exists()


def test_an_intermediary_with_a_mandate_answers_and_no_other_organisation_reads_the_thread(client, team):
    opening = f.open_opening(f.slim_scheme(code="slim-berichten"))
    employer, bart = team["employer"], f.reviewer([opening.scheme], username="slim-behandelaar")
    app = f.in_review(opening, employer, bart)
    services.messages.post_message(application=app, user=bart, text=QUESTION)
    fund = f.intermediary(username="opleidingsfonds")
    f.mandate(employer.organisation, fund.organisation, [opening.scheme])
    client.force_login(fund)
    assert QUESTION in client.get(detail_url(app)).content.decode()
    client.post(reverse("portal:messages", args=[app.reference]), {"text": ANSWER})
    assert Message.objects.get(direction="from_applicant").author == fund

    other_employer = f.employer(username="concurrent")
    other_reviewer = f.reviewer([f.slim_scheme(code="slim-elders")], username="behandelaar-elders")
    for outsider in (other_employer, f.intermediary(username="fonds-zonder-machtiging"), other_reviewer):
        client.force_login(outsider)
        if outsider.is_case_worker:
            read, write = case_url(app), reverse("review:message", args=[app.reference])
        else:
            read, write = detail_url(app), reverse("portal:messages", args=[app.reference])
        assert client.get(read).status_code == 404
        assert client.post(write, {"text": "Ik lees mee."}).status_code == 404
    assert Message.objects.count() == 2


def test_the_api_reads_and_writes_the_thread_under_the_same_rules(opening, team):
    employer, bart = team["employer"], team["reviewer"]
    app = f.in_review(opening, employer, bart)
    url = f"/api/v1/applications/{app.reference}/messages/"
    staff, applicant, manager = APIClient(), APIClient(), APIClient()
    staff.force_authenticate(bart)
    applicant.force_authenticate(employer)
    manager.force_authenticate(f.staff(Role.PROGRAM_MANAGER, [opening.scheme], username="pm"))

    posted = staff.post(url, {"text": QUESTION}, format="json")
    assert posted.status_code == 201 and posted.json()["direction"] == "to_applicant"
    assert applicant.post(url, {"text": ANSWER}, format="json").status_code == 201
    seen = applicant.get(url).json()
    assert [(m["author"], m["text"]) for m in seen] == [("behandelaar", QUESTION), (employer.username, ANSWER)]
    assert [m["author"] for m in staff.get(url).json()] == [bart.username, employer.username]

    assert applicant.post(url, {"text": ""}, format="json").status_code == 400
    assert manager.get(url).status_code == 404 and manager.post(url, {"text": "?"}, format="json").status_code == 404
    undeclared = APIClient()
    undeclared.force_authenticate(team["senior"])
    refused = undeclared.post(url, {"text": QUESTION}, format="json")
    assert refused.status_code == 403 and "Verklaar eerst" in refused.json()["detail"]
    assert app.messages.count() == 2 and app.events.filter(action__startswith="message_").count() == 2


def test_the_messages_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = schema["paths"]["/api/v1/applications/{reference}/messages/"]
    assert set(operations) >= {"get", "post"}
    assert "201" in operations["post"]["responses"] and "409" in operations["post"]["responses"]


def test_after_the_retention_term_a_message_keeps_that_it_was_sent_not_what_it_said(opening, team):
    app = f.in_review(opening, team["employer"], team["reviewer"])
    services.messages.post_message(application=app, user=team["reviewer"], text=QUESTION)
    retention.anonymise(app)
    message = Message.objects.get(application=app)
    assert message.text != QUESTION and message.direction == "to_applicant"
    assert QUESTION not in AuditEvent.objects.get(application=app, action="message_to_applicant").reason
