"""Server files in letters: an administrator's template can never make a letter embed a file or fetch a URL.

The attack that worked: a letter template edited in the admin with
``<link rel="attachment" href="file:///…/templates/letters/%2e%2e/…/etc/passwd">``
made WeasyPrint attach the server's files (``/proc/self/environ`` carried the
secret key and the database URL) to a PDF sent to an applicant.
"""

from __future__ import annotations

import http.server
import io
import threading

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from applications import letters, outbox
from applications.letters.rendering import TEMPLATE_DIR
from applications.models import Letter, LetterTemplate, Outbox
from tests.factories import submitted, team_for

pytestmark = pytest.mark.django_db

HIDDEN = "/etc/passwd"


class Listener:
    """A web server on loopback that records every request it gets: a letter must send it none."""

    def __init__(self):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                outer.requests.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"body { color: red }")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def attacks(port: int) -> dict[str, str]:
    folder = TEMPLATE_DIR.resolve()
    up = "%2e%2e/" * (len(folder.parts) + 1)
    return {
        "absolute": f'<link rel="attachment" href="file://{HIDDEN}">',
        "relative": '<link rel="attachment" href="../../../../../../../etc/passwd">',
        "percent-encoded": f'<link rel="attachment" href="file://{folder}/{up}etc/passwd">',
        "environment": '<link rel="attachment" href="file:///proc/self/environ">',
        "data": '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
        "loopback": f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">',
        "css import": f"<p style=\"background: url('http://127.0.0.1:{port}/bg.png')\">x</p>",
        "object": f'<object data="file://{HIDDEN}"></object>',
    }


@pytest.mark.parametrize("name", list(attacks(0)))
def test_the_admin_refuses_a_template_that_fetches_anything(client, name, listener):
    admin = get_user_model().objects.create_superuser("beheerder-x", "b@example.nl", "geheim-wachtwoord-1")
    client.force_login(admin)
    body = "<p>Geachte {{ contact_name }},</p>" + attacks(listener.port)[name]
    response = client.post(
        reverse("admin:applications_lettertemplate_add"), {"kind": "receipt", "subject": "Ontvangen", "body": body}
    )
    assert response.status_code == 200 and "Een brief haalt niets van buiten" in response.content.decode()
    assert not LetterTemplate.objects.exists() and listener.requests == []


@pytest.mark.parametrize("name", list(attacks(0)))
def test_a_template_that_got_past_the_admin_still_embeds_and_fetches_nothing(
    name, listener, django_capture_on_commit_callbacks
):
    """Written straight into the database (an old row, a restore): the fetcher refuses and the letter fails loudly."""
    team = team_for()
    LetterTemplate.objects.create(
        kind="receipt", scheme=None, subject="Ontvangen {{ reference }}", body="<p>x</p>" + attacks(listener.port)[name]
    )
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    letter = Letter.objects.get(application=app)
    if name == "relative":  # without a base URL a relative reference is never even tried: nothing attached
        assert letter.status == Letter.Status.RENDERED
        assert not PdfReader(io.BytesIO(letter.file.read())).attachments
    else:
        assert letter.status == Letter.Status.FAILED and "a letter embeds only its own assets" in letter.error
        assert not letter.file
        row = Outbox.objects.get(application=app)
        assert row.status == Outbox.Status.OWED and "a letter embeds only its own assets" in row.last_error
    assert listener.requests == []


@pytest.mark.parametrize(
    "text",
    [
        '{% include "/etc/passwd" %}',
        '{% extends "base.html" %}',
        "{% load static %}",
        "{% debug %}",
        "{{ organisation_name|safe }}",
        "{% filter safe %}{{ organisation_name }}{% endfilter %}",
        "{% url 'admin:index' %}",
        "{% csrf_token %}",
    ],
)
def test_a_letter_text_reaches_nothing_outside_its_own_context(text):
    assert letters.refusal(text)
    with pytest.raises(Exception):  # noqa: B017,PT011 (a syntax error of the sandbox, whichever one)
        letters.sandboxed(text)


def test_the_sandbox_still_writes_the_letters_we_ship():
    for kind in LetterTemplate.Kind.values:
        assert letters.refusal(letters.default_body(kind)) is None, kind
        assert letters.refusal(letters.DEFAULT_SUBJECTS[kind]) is None, kind


def test_an_applicant_s_words_stay_text_in_the_letter(listener, django_capture_on_commit_callbacks):
    team = team_for()
    organisation = team["employer"].organisation
    organisation.name = (
        f'Bouw <img src="file://{HIDDEN}"><link rel="stylesheet" href="http://127.0.0.1:{listener.port}/">'
    )
    organisation.save()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    letter = Letter.objects.get(application=app)
    assert letter.status == Letter.Status.RENDERED
    html, _subject = letters.render_html(letter)
    assert "&lt;img src=" in html and '<img src="file' not in html
    assert listener.requests == []


def test_the_fetcher_serves_our_own_stylesheet_by_name_and_nothing_else(listener):
    assert letters.rendering.asset_for("asset:letter.css").name == "letter.css"
    for url in [*attacks(listener.port).values(), "asset:../settings.py", f"file://{TEMPLATE_DIR}/letter.css"]:
        with pytest.raises(ValueError):
            letters.rendering.asset_for(url)


def test_a_fixed_template_delivers_the_failed_letter(django_capture_on_commit_callbacks):
    team = team_for()
    template = LetterTemplate.objects.create(
        kind="receipt", scheme=None, subject="Ontvangen", body=f'<link rel="attachment" href="file://{HIDDEN}">'
    )
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(team["opening"], team["employer"])
    template.body = "<p>Wij hebben uw aanvraag {{ reference }} ontvangen.</p>"
    template.save()
    row = Outbox.objects.get(application=app)
    assert outbox.retry(row) == Outbox.Status.DONE
    assert Letter.objects.get(application=app).status == Letter.Status.RENDERED
