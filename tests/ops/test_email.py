"""Real e-mail through SMTP: a local aiosmtpd server receives what Django sends, through the normal flow too."""

from __future__ import annotations

import email
import socket
import time
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import send_mail

from tests.factories import employer, submitted

from .fresh import fresh_settings


class Inbox:
    """An aiosmtpd handler that keeps every message it is handed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 and the settings of production pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()


def test_django_sends_through_smtp(smtp_server, settings):
    sent = send_mail(
        "Open Subsidie — proef",
        "Dit is een proefbericht.",
        settings.DEFAULT_FROM_EMAIL,
        ["werkgever@example.nl"],
        fail_silently=False,
    )
    assert sent == 1
    [(sender, recipients, message)] = smtp_server.messages
    assert recipients == ["werkgever@example.nl"]
    assert sender == "noreply@opensubsidie.example"
    assert subject(message) == "Open Subsidie — proef"


@pytest.mark.django_db
def test_a_submission_announces_its_receipt_by_smtp(smtp_server, opening, django_capture_on_commit_callbacks):
    applicant = employer()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(opening, applicant)
    recipient = app.organisation.contact_email or applicant.email
    received = [(rcpt, message) for _sender, rcpt, message in smtp_server.messages if rcpt == [recipient]]
    assert len(received) == 1, smtp_server.messages
    message = received[0][1]
    assert subject(message) == f"Nieuwe brief over uw aanvraag {app.reference}"
    assert app.reference in message.get_payload(decode=True).decode()


def test_a_silent_smtp_server_fails_the_send_within_the_timeout(settings):
    """A server that takes the connection and never greets: the send gives up after EMAIL_TIMEOUT (the outbox retries)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
        settings.EMAIL_TIMEOUT = 1
        started = time.monotonic()
        with pytest.raises(OSError):  # socket.timeout is an OSError
            send_mail("x", "y", None, ["werkgever@example.nl"], fail_silently=False)
        assert time.monotonic() - started < 4


def test_production_sends_by_smtp_and_make_run_to_the_console():
    smtp, console = "django.core.mail.backends.smtp.EmailBackend", "django.core.mail.backends.console.EmailBackend"
    assert fresh_settings("EMAIL_BACKEND", "EMAIL_TIMEOUT", DEBUG="0") == [smtp, 10]
    assert fresh_settings("EMAIL_BACKEND", DEBUG="1") == [console]
    assert fresh_settings("EMAIL_USE_SSL", "EMAIL_PORT", EMAIL_USE_SSL="1", EMAIL_PORT="465") == [True, 465]
    both = fresh_settings("EMAIL_BACKEND", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert both.returncode != 0 and "set one, not both" in both.stderr
