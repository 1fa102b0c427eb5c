"""Test environment defaults, set before Django reads its settings."""

import os

# The suite talks plain HTTP to the test client and the live server.
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# Tasks run in-process in tests, also when REDIS_URL points at a real broker
# (the tests marked `redis` exercise the broker themselves).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
