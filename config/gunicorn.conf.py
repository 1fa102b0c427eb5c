"""gunicorn's settings for the web process (``Procfile``: web); docs/deployment.md.

Every value can be overridden on the command line or with ``GUNICORN_CMD_ARGS``.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# 2 per core; sync workers measured fastest (make bench).
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# A request that runs longer is a bug: the worker is replaced. Letters and reports are Celery's work.
timeout = 30
graceful_timeout = 30
# gunicorn's own messages on stderr, beside the application's JSON lines; no access log of its own:
# the load balancer logs each request with its X-Request-ID.
errorlog = "-"


def _multiprocess_dir() -> Path | None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(directory) if directory else None


def on_starting(server):
    """The workers' shared metrics files start empty: counts of processes of an earlier start are stale."""
    directory = _multiprocess_dir()
    if directory:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if _multiprocess_dir():
        multiprocess.mark_process_dead(worker.pid)
