"""Settings as a fresh process reads them from its environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings


def fresh_settings(*names: str, **env: str):
    """The named settings as a fresh process reads them from ``env`` (on top of this one's environment,
    less the variables under test); the finished process itself when the settings refused to load."""
    tested = {"DEBUG", "LOG_FORMAT", "EMAIL_BACKEND", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT"}
    environment = {k: v for k, v in os.environ.items() if k not in tested}
    code = f"import django, json; django.setup(); from django.conf import settings; print(json.dumps([getattr(settings, n) for n in {list(names)!r}]))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    return json.loads(done.stdout) if done.returncode == 0 else done
