"""Real processes to break: a Redis, gunicorn and a Celery worker of our own, on free ports.

Used by the fault tests (``tests/faults``) and by ``python -m bench faults``.
Nothing here touches the shared Redis or PostgreSQL: the Redis is started here
(no persistence, like the measured incident), the web server and the worker are
subprocesses pointed at the database and the Redis they are given, and every
one of them is killed by its own process group at the end.
"""

from __future__ import annotations

import email
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, every: float = 0.1, what: str = "a condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


class Process:
    """A subprocess in a process group of its own, killed as a whole."""

    process: subprocess.Popen | None = None

    def _spawn(self, command: list[str], env: dict | None = None, log: Path | None = None) -> None:
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (kept open for the process's life)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean shutdown, no acknowledgements, no flushing."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self.process = None

    stop = kill


class Redis(Process):
    """A Redis of our own that keeps nothing on disk: killed, it forgets every queued message."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        self._spawn([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        wait_for(self.ping, timeout=20, what=f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def queued(self, queue: str = "celery") -> int:
        """Messages waiting in a Celery queue (LLEN), or -1 when Redis does not answer."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(f"LLEN {queue}\r\n".encode())
                return int(conn.recv(64)[1:].split(b"\r\n")[0])
        except OSError:
            return -1


def environment(*, database_url: str, redis_url: str, media_root: Path, mail_dir: Path, **extra: str) -> dict:
    """The settings of a server or worker of ours: production-like, with short outbox and broker timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REDIS_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        DEBUG="0",
        SECRET_KEY="fault-tests-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        DB_CONN_MAX_AGE="600",
        MEDIA_ROOT=str(media_root),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        # minutes in production, seconds here: the sweep every second, rows owed for 2 s, leases of 5 s
        OUTBOX_SWEEP_SECONDS="1",
        OUTBOX_SWEEP_AFTER_SECONDS="2",
        OUTBOX_LEASE_SECONDS="5",
        CELERY_VISIBILITY_TIMEOUT="10",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


class Gunicorn(Process):
    """The web application in gunicorn: sync workers, each with its own persistent database connection."""

    def __init__(self, env: dict, *, workers: int = 2, log: Path | None = None):
        self.env, self.workers, self.log = env, workers, log
        self.port = free_port()

    def start(self) -> Gunicorn:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        self._spawn(command, self.env, self.log)
        wait_for(lambda: self.request("GET", "/")[0] == 200, timeout=60, every=0.3, what="gunicorn to answer")
        return self

    def request(self, method: str, path: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            conn.close()
        except OSError:
            return 0, {}
        try:
            return response.status, json.loads(raw or b"{}")
        except ValueError:
            return response.status, {}


class Worker(Process):
    """A Celery worker with its beat (the outbox sweep), one process at a time: killed, it takes nothing with it."""

    def __init__(self, env: dict, *, name: str = "faults", log: Path | None = None):
        self.env, self.name, self.log = env, name, log

    def start(self) -> Worker:
        schedule = Path(self.env["MEDIA_ROOT"]).parent / f"beat-{self.name}"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--schedule",
            str(schedule),
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--hostname",
            f"{self.name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ]
        self._spawn(command, self.env, self.log)
        return self


def mails(mail_dir: Path) -> list[email.message.Message]:
    """Every e-mail the file backend wrote (one file per connection, messages separated by a line of dashes)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        for chunk in path.read_text(encoding="utf-8", errors="replace").split("-" * 79):
            if chunk.strip():
                found.append(email.message_from_string(chunk.strip()))
    return found
