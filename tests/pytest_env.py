"""Test environment defaults, set before Django reads its settings."""

import os

# The suite talks plain HTTP to the test client and the live server.
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# Tasks run in-process in tests, also when REDIS_URL points at a real broker
# (the tests marked `redis` exercise the broker themselves).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# Production settings refuse the development secret and an empty host list: the suite has its own.
os.environ.setdefault("SECRET_KEY", "test-suite-only-" + "s" * 60)
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
# The local OpenID provider (identity/devprovider.py) plays eHerkenning and the staff IdP in the tests.
os.environ.setdefault("DEV_IDENTITY_PROVIDER", "1")
