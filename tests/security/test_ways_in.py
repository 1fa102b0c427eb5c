"""Ways in (security finding 8): lockout, throttles, the second factor for staff, idle staff sessions, API tokens.

Each test replays what an attacker did or would do, through the login page and the API as they would.
"""

from __future__ import annotations

import base64
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from freezegun import freeze_time
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from applications.api.authentication import FailedTokenThrottle
from applications.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


# --- lockout (django-axes) ----------------------------------------------------------------------------------


def test_sixty_wrong_passwords_then_the_right_one_does_not_sign_in():
    employer = f.employer(username="doelwit")
    attacker = Client(REMOTE_ADDR="203.0.113.9")

    for attempt in range(60):
        response = f.sign_in(attacker, "doelwit", f"raden-{attempt}")
        assert response.status_code in (200, 429)
    response = f.sign_in(attacker, "doelwit", f.PASSWORD)

    assert response.status_code == 429
    assert "Inloggen is tijdelijk geblokkeerd" in response.content.decode()
    assert signed_in_as(attacker) is None
    assert attacker.get("/mijn/").status_code == 302  # still a stranger
    employer.refresh_from_db()
    assert employer.check_password(f.PASSWORD)  # nothing about the account changed


def test_the_fifth_wrong_password_locks_and_the_fourth_does_not():
    f.employer(username="bijna")
    client = Client(REMOTE_ADDR="203.0.113.10")
    for attempt in range(4):
        assert f.sign_in(client, "bijna", f"fout-{attempt}").status_code == 200
    assert f.sign_in(client, "bijna", f.PASSWORD).status_code == 302  # four mistakes are human

    other = Client(REMOTE_ADDR="203.0.113.11")
    for attempt in range(5):
        f.sign_in(other, "bijna", f"fout-{attempt}")
    assert f.sign_in(other, "bijna", f.PASSWORD).status_code == 429


def test_a_lockout_from_one_address_does_not_lock_the_employer_out_from_the_office():
    f.employer(username="kantoor")
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    for attempt in range(10):
        f.sign_in(attacker, "kantoor", f"fout-{attempt}")

    office = Client(REMOTE_ADDR="192.0.2.20")
    assert f.sign_in(office, "kantoor", f.PASSWORD).status_code == 302
    assert signed_in_as(office) is not None


def test_the_admin_has_no_password_form_of_its_own():
    response = Client().get("/beheer/login/?next=/beheer/applications/")

    assert response.status_code == 302
    assert response["Location"].startswith("/inloggen/?next=")
    posted = Client().post("/beheer/login/", {"username": "beheerder", "password": "x"})
    assert posted.status_code == 302 and posted["Location"].startswith("/inloggen/")


# --- the second factor for staff ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.PROGRAM_MANAGER, Role.ADMINISTRATOR], ids=lambda r: r.value
)
def test_a_staff_password_alone_reaches_nothing_but_setting_up_the_code(role):
    user = f.staff(role, username=f"nieuw-{role.value}", is_staff=role == Role.ADMINISTRATOR)
    client = Client()

    response = f.sign_in(client, user.username)
    assert response.status_code == 302
    for page in ("/behandeling/", "/rapportages/", "/beheer/", "/start/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == "/inloggen/tweestapsverificatie/instellen/"
    assert client.get("/api/v1/applications/").status_code == 403


def test_setting_up_the_app_then_signing_in_with_its_code_and_a_recovery_code_once():
    reviewer = f.reviewer([f.omscholing_scheme()], username="anne")
    client = Client()
    f.sign_in(client, "anne")

    setup = "/inloggen/tweestapsverificatie/instellen/"
    page = client.get(setup)
    assert "authenticator-app" in page.content.decode()
    page = client.post(setup, {"setup_view-current_step": "welcome"})
    secret = page.context["secret_key"]
    assert "QR-code" in page.content.decode() and secret in page.content.decode()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    wrong = client.post(setup, {"setup_view-current_step": "generator", "generator-token": "000000"})
    assert "Deze code klopt niet" in wrong.content.decode() or wrong.context["wizard"]["form"].errors
    done = client.post(setup, {"setup_view-current_step": "generator", "generator-token": f"{totp(key):06d}"})
    assert done.status_code == 302 and done["Location"] == "/inloggen/tweestapsverificatie/ingesteld/"
    assert client.get("/behandeling/").status_code == 200  # set up and verified in this session

    codes = client.post("/inloggen/tweestapsverificatie/herstelcodes/")
    assert codes.status_code == 302
    recovery = [t.token for t in StaticDevice.objects.get(user=reviewer).token_set.all()]
    assert len(recovery) == 10

    # Next morning: the password alone is not enough; a wrong code neither; the app's code is.
    morning = Client()
    asked = f.sign_in(morning, "anne")
    assert asked.status_code == 200 and "code van zes cijfers" in asked.content.decode()
    assert signed_in_as(morning) is None
    wrong = morning.post("/inloggen/", {"login_view-current_step": "token", "token-otp_token": "123456"})
    assert "Deze code klopt niet" in wrong.content.decode() and signed_in_as(morning) is None
    device = f.authenticator(reviewer)
    with freeze_time(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)):
        right = morning.post("/inloggen/", {"login_view-current_step": "token", "token-otp_token": f.code_now(device)})
        assert right.status_code == 302 and morning.get("/behandeling/").status_code == 200

    # Phone lost: a recovery code signs in once.
    for attempt, expected in ((1, 302), (2, 200)):
        lost = Client()
        f.sign_in(lost, "anne")
        lost.post("/inloggen/", {"login_view-current_step": "token", "wizard_goto_step": "backup"})
        used = lost.post("/inloggen/", {"login_view-current_step": "backup", "backup-otp_token": recovery[0]})
        assert used.status_code == expected, attempt
    assert len(StaticDevice.objects.get(user=reviewer).token_set.all()) == 9


def test_an_employer_signs_in_with_the_password_alone():
    f.employer(username="werkgever-zonder-app")
    client = Client()
    assert f.sign_in(client, "werkgever-zonder-app").status_code == 302
    assert client.get("/mijn/").status_code == 200


def test_a_staff_session_without_the_second_step_is_ended_not_served():
    reviewer = f.reviewer([f.omscholing_scheme()], username="twee-browsers")
    first = Client()
    f.sign_in(first, "twee-browsers")  # no app yet: signed in, but only to set it up
    assert signed_in_as(first) is not None
    f.authenticator(reviewer)  # meanwhile set up in another browser

    response = first.get("/behandeling/")

    assert response.status_code == 302 and response["Location"] == "/inloggen/?next=/behandeling/"
    assert signed_in_as(first) is None


# --- idle staff sessions --------------------------------------------------------------------------------------


def test_a_staff_session_ends_after_fifteen_idle_minutes_and_an_employers_does_not(settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 15
    start = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)
    reviewer = f.reviewer([f.omscholing_scheme()], username="koffie")
    employer = f.employer(username="werkgever-koffie")
    with freeze_time(start) as clock:
        staff, applicant = Client(), Client()
        staff.force_login(reviewer)
        applicant.force_login(employer)
        clock.tick(datetime.timedelta(minutes=14))
        assert staff.get("/behandeling/").status_code == 200  # a request restarts the clock
        clock.tick(datetime.timedelta(minutes=14))
        assert staff.get("/behandeling/").status_code == 200
        clock.tick(datetime.timedelta(minutes=16))
        response = staff.get("/behandeling/?state=submitted")
        assert response.status_code == 302
        assert response["Location"] == "/inloggen/?next=/behandeling/%3Fstate%3Dsubmitted"
        assert signed_in_as(staff) is None
        assert "15 minuten niets hebt gedaan" in staff.get(response["Location"]).content.decode()
        assert applicant.get("/mijn/").status_code == 200  # an employer's form may take longer


# --- API tokens ------------------------------------------------------------------------------------------------


def test_create_api_token_prints_the_token_once_on_its_last_line_and_stores_only_a_digest():
    employer = f.employer(username="koppeling")
    out = io.StringIO()

    call_command("create_api_token", "koppeling", "--expires-days", "30", stdout=out)

    token = out.getvalue().splitlines()[-1]
    stored = AuthToken.objects.get(user=employer)
    assert len(token) == 64 and token not in (stored.digest, stored.token_key)
    assert stored.token_key == token[: len(stored.token_key)] and len(stored.token_key) < 20
    assert stored.expiry.date() == (stored.created + datetime.timedelta(days=30)).date()
    assert APIClient().get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert "geldig tot en met" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["niemand"], "Er is geen actieve gebruiker niemand."),
        (["koppeling2", "--expires-days", "0"], "Een token is 1 tot 366 dagen geldig."),
        (["koppeling2", "--expires-days", "5000"], "Een token is 1 tot 366 dagen geldig."),
    ],
)
def test_create_api_token_refuses_what_it_cannot_do_and_makes_nothing(args, message):
    f.employer(username="koppeling2")
    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", *args, stdout=io.StringIO())
    assert not AuthToken.objects.exists()


def test_an_expired_token_is_refused_and_says_so():
    employer = f.employer(username="oud-token")
    token = f.api_token(employer, days=1)
    with freeze_time(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)):
        response = APIClient().get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
    assert "verlopen" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Token " + "a" * 64, "Token " + "é" * 10, "Token", "Token a b"])
def test_a_made_up_token_is_a_401(header):
    f.api_token(f.employer(username="echt-token"))
    response = APIClient().get("/api/v1/applications/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert "results" not in response.json() and response.json()["detail"]  # a reason, and nobody's applications


# --- throttles ---------------------------------------------------------------------------------------------------


def test_guessing_tokens_is_throttled_per_address(monkeypatch):
    monkeypatch.setattr(FailedTokenThrottle, "THROTTLE_RATES", {"token_failure": "5/minute"})
    token = f.api_token(f.employer(username="geraden"))
    guesser = APIClient(REMOTE_ADDR="203.0.113.50")

    answers = [guesser.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {n:064d}").status_code for n in range(7)]

    assert answers == [401] * 5 + [429] * 2
    # past the rate even a right token waits at that address; elsewhere it works
    assert guesser.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 429
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.51")
    assert elsewhere.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    with freeze_time(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=2)):
        assert guesser.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_anonymous_requests_are_throttled_per_address(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "1000/minute"})
    client = APIClient(REMOTE_ADDR="203.0.113.60")
    assert [client.get("/api/v1/schemes/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert APIClient(REMOTE_ADDR="203.0.113.61").get("/api/v1/schemes/").status_code == 200


def test_a_token_holder_is_throttled_per_user(monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"anon": "1000/minute", "user": "3/minute"})
    employer = f.employer(username="druk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(employer)}")
    answers = [client.get("/api/v1/applications/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
