"""Production guards: no start on a known secret, no demo users in production, strong passwords, a CSP, no CDN."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse

from applications.models import User
from tests import factories as f
from tests.factories import reviewer, submitted, team_for


def settings_in_a_fresh_process(*names: str, **env: str):
    """The named settings as a new process reads them from ``env``; the finished process when it refused."""
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "BEHIND_PROXY"}}
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps([getattr(settings, n, None) for n in {list(names)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    return json.loads(done.stdout) if done.returncode == 0 else done


REAL = {"SECRET_KEY": "a-real-secret-" + "x" * 60, "ALLOWED_HOSTS": "subsidie.example.nl"}


@pytest.mark.parametrize(
    "env, refusal",
    [
        ({"ALLOWED_HOSTS": "subsidie.example.nl"}, "SECRET_KEY"),
        ({**REAL, "SECRET_KEY": "django-insecure-open-subsidie-development-only"}, "SECRET_KEY"),
        ({**REAL, "SECRET_KEY": "kort"}, "SECRET_KEY"),
        ({"SECRET_KEY": REAL["SECRET_KEY"]}, "ALLOWED_HOSTS"),
        ({**REAL, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_on_a_known_secret_or_without_its_host_names(env, refusal):
    done = settings_in_a_fresh_process("SECRET_KEY", DEBUG="0", **env)
    assert isinstance(done, subprocess.CompletedProcess) and done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and refusal in done.stderr


def test_production_starts_with_a_real_secret_and_development_with_nothing():
    assert settings_in_a_fresh_process("DEBUG", DEBUG="0", **REAL) == [False]
    assert settings_in_a_fresh_process("DEBUG", "ALLOWED_HOSTS", DEBUG="1")[1] == [
        "localhost",
        "127.0.0.1",
        "[::1]",
        "testserver",
    ]


def test_the_forwarded_proto_header_is_trusted_only_behind_a_configured_proxy():
    assert settings_in_a_fresh_process("SECURE_PROXY_SSL_HEADER", DEBUG="0", **REAL) == [None]
    assert settings_in_a_fresh_process("SECURE_PROXY_SSL_HEADER", DEBUG="0", BEHIND_PROXY="1", **REAL) == [
        ["HTTP_X_FORWARDED_PROTO", "https"]
    ]


@pytest.mark.django_db
def test_demo_users_are_never_seeded_with_debug_off():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.filter(username__in=["werkgever", "beheerder"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["12345678", "beheerder", "kort", "wachtwoord"])
def test_create_user_refuses_a_weak_password(password):
    with pytest.raises(CommandError):
        call_command("create_user", "beheerder", "--role", "administrator", "--password", password)
    assert not User.objects.filter(username="beheerder").exists()


@pytest.mark.django_db
def test_create_user_takes_a_strong_password():
    call_command("create_user", "beheerder", "--role", "administrator", "--password", "Lang-en-sterk-wachtwoord-2026!")
    assert User.objects.get(username="beheerder").check_password("Lang-en-sterk-wachtwoord-2026!")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


@pytest.mark.django_db
def test_every_page_carries_a_csp_without_inline_script_and_has_none(catalogue):
    team = team_for()
    app = submitted(team["opening"], team["employer"])
    pages = [
        (None, "/"),
        (None, reverse("login")),
        (None, "/api/docs/"),
        (None, "/api/redoc/"),
        (team["employer"], reverse("portal:home")),
        (team["employer"], reverse("portal:detail", args=[app.reference])),
        (team["reviewer"], reverse("review:queue")),
        (team["reviewer"], reverse("review:case", args=[app.reference])),
    ]
    for user, path in pages:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        scripts = re.search(r"script-src ([^;]*)", policy).group(1)
        assert scripts.split() == ["'self'"], (path, policy)
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert not INLINE_SCRIPT.search(response.content.decode()), path


@pytest.mark.django_db
def test_the_api_documentation_comes_from_our_own_static_files():
    for path in ("/api/docs/", "/api/redoc/"):
        html = Client().get(path).content.decode()
        assert "drf_spectacular_sidecar" in html, path
        assert "cdn" not in html.lower() and "@latest" not in html and "https://" not in html.split("</head>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["//elders.example/oogst", "https://elders.example/", "/\\elders.example", "javascript:alert(1)"]
)
def test_the_review_queue_sends_nobody_to_another_site(target):
    team = team_for()
    app = submitted(team["opening"], team["employer"])
    client = Client()
    client.force_login(team["reviewer"])
    response = client.post(reverse("review:queue"), {"application": [app.pk], "take": "1", "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("review:queue")
    app.refresh_from_db()
    assert app.assigned_to == team["reviewer"]
    other = reviewer([team["opening"].scheme])
    response = client.post(
        reverse("review:queue"),
        {"application": [app.pk], "reviewer": other.pk, "next": "/behandeling/?state=submitted"},
    )
    assert response["Location"] == "/behandeling/?state=submitted"


@pytest.mark.django_db
def test_with_debug_on_the_demo_is_seeded_once_and_its_users_log_in(catalogue):
    with override_settings(DEBUG=True):
        call_command("seed_demo")
        call_command("seed_demo")  # idempotent
    for username in ("werkgever", "intermediair", "behandelaar", "senior", "programmamanager", "beheerder"):
        response = f.sign_in(Client(), username, "opensubsidie")
        assert response.status_code == 302 and "/inloggen/" not in response["Location"], username
    assert User.objects.filter(username="werkgever").count() == 1
