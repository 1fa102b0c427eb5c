from django.conf import settings


def test_the_suite_runs_over_plain_http():
    assert settings.SECURE_SSL_REDIRECT is False
