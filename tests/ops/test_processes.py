"""The Procfile's processes, started as a hosting platform starts them (``sh -c`` with the environment)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app as celery_app
from ops.logs import request_id

from .test_email import free_port

PROCFILE = Path(settings.BASE_DIR) / "Procfile"


def procfile() -> dict[str, str]:
    processes = {}
    for line in PROCFILE.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.startswith("#"):
            processes[name.strip()] = command.strip()
    return processes


def environment(tmp_path, **extra) -> dict[str, str]:
    """A production environment (DEBUG off, a real secret) with an SQLite database of its own."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "LOG_FORMAT"}}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        SECRET_KEY="a-real-secret-" + "x" * 60,
        ALLOWED_HOSTS="subsidie.example.nl,127.0.0.1",
        SECURE_SSL_REDIRECT="1",
        CELERY_TASK_ALWAYS_EAGER="0",
        **extra,
    )
    return env


@contextlib.contextmanager
def started(command: str, env: dict, log: Path):
    with log.open("w") as out:
        process = subprocess.Popen(
            ["sh", "-c", f"exec {command}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def json_lines(log: Path) -> list[dict]:
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def wait_for(condition, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def get(url: str, **headers):
    request = urllib.request.Request(url, headers={"Host": "subsidie.example.nl", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError:
        return None, {}, b""


def test_the_procfile_names_every_process():
    processes = procfile()
    assert set(processes) == {"release", "web", "worker", "beat"}
    assert "python manage.py migrate --noinput" in processes["release"]
    assert "manage.py grant_runtime_role" in processes["release"]
    assert processes["web"].startswith("gunicorn config.wsgi:application")
    assert "-A config worker" in processes["worker"]
    assert "--prefetch-multiplier 1" in processes["worker"]
    assert "-A config beat" in processes["beat"]


def test_release_then_web_serve_the_probes_and_the_metrics(tmp_path):
    processes = procfile()
    port = free_port()
    env = environment(
        tmp_path,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        METRICS_TOKEN="token-of-this-test-1234",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    release = subprocess.run(
        ["sh", "-c", processes["release"]], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert release.returncode == 0, release.stdout + release.stderr

    log = tmp_path / "web.log"
    base = f"http://127.0.0.1:{port}"
    with started(processes["web"], env, log):
        status, headers, body = wait_for(lambda: (answer := get(f"{base}/gezondheid/live/"))[0] and answer)
        assert status == 200, body  # plain HTTP, not redirected to HTTPS
        assert json.loads(body) == {"status": "ok", "checks": {}}
        status, _headers, body = get(f"{base}/gezondheid/klaar/")
        assert status == 200, body

        status, headers, _body = get(f"{base}/metrics", **{"X-Request-ID": "probe-from-the-test"})
        assert status == 401 and headers["X-Request-ID"] == "probe-from-the-test"

        # the two gunicorn workers' counters, gathered, and the figures from the database; counted from a
        # first reading, as the probes while gunicorn started may have been answered after we gave up on them
        def live_probes() -> float:
            status, _headers, body = get(f"{base}/metrics", Authorization="Bearer token-of-this-test-1234")
            assert status == 200
            text = body.decode()
            assert "opensubsidie_metrics_database_up 1.0" in text
            live = [
                line
                for line in text.splitlines()
                if line.startswith("django_http_requests_total_by_view_transport_method_total")
                and "health-live" in line
            ]
            assert live
            return float(live[0].rsplit(" ", 1)[1])

        before = live_probes()
        assert before >= 1
        for _ in range(6):
            assert get(f"{base}/gezondheid/live/")[0] == 200
        assert live_probes() == before + 6

        logged = wait_for(lambda: [r for r in json_lines(log) if r.get("request_id") == "probe-from-the-test"], 10)
        assert logged[0]["message"] == "Unauthorized: /metrics"


@pytest.mark.redis
def test_worker_and_beat_start_and_log_json(tmp_path):
    processes = procfile()
    env = environment(tmp_path, REDIS_URL=os.environ["REDIS_URL"])
    name = f"ops-test-{uuid.uuid4().hex[:8]}@localhost"

    worker_log = tmp_path / "worker.log"
    with started(f"{processes['worker']} --hostname {name}", env, worker_log):
        ready = wait_for(lambda: [r for r in json_lines(worker_log) if r["message"] == f"{name} ready."], 60)
        assert ready[0]["logger"] == "celery.apps.worker"
        replies = celery_app.control.ping(destination=[name], timeout=5)
        assert replies == [{name: {"ok": "pong"}}]
        # a task queued during a request: the worker's lines name the task and the request
        token, eager = request_id.set(f"req-{name[:17]}"), celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = False
        try:
            sent = celery_app.send_task("applications.tasks.ping", args=["hallo"])
        finally:
            request_id.reset(token)
            celery_app.conf.task_always_eager = eager
        done = wait_for(
            lambda: [r for r in json_lines(worker_log) if r.get("task_id") == sent.id and "succeeded" in r["message"]],
            30,
        )
        assert done[0]["task_name"] == "applications.tasks.ping"
        assert done[0]["request_id"] == f"req-{name[:17]}"

    beat_log = tmp_path / "beat.log"
    env["BEAT_SCHEDULE"] = str(tmp_path / "celerybeat-schedule")
    with started(processes["beat"], env, beat_log):
        wait_for(lambda: [r for r in json_lines(beat_log) if r["message"] == "beat: Starting..."], 60)


def test_every_environment_variable_is_documented():
    """What the settings, gunicorn's settings and the Procfile read from the environment is in docs/deployment.md."""
    base = Path(settings.BASE_DIR)
    doc = (base / "docs" / "deployment.md").read_text()
    names = set(re.findall(r'\benv(?:_bool|_list)?\("([A-Z0-9_]+)"', (base / "config" / "settings.py").read_text()))
    names |= set(
        re.findall(r"""os\.environ\.get\(["']([A-Z0-9_]+)["']""", (base / "config" / "gunicorn.conf.py").read_text())
    )
    names |= set(re.findall(r"\$\{([A-Z0-9_]+)", PROCFILE.read_text()))
    assert {"SECRET_KEY", "METRICS_TOKEN", "LOG_FORMAT", "EMAIL_TIMEOUT", "PORT", "WORKER_CONCURRENCY"} <= names
    assert sorted(name for name in names if f"`{name}`" not in doc) == []
