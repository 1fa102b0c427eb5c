"""The reporting tests' story: a small Omscholing-like opening in March 2024 (see story.py)."""

from __future__ import annotations

import pytest

from .story import Story


@pytest.fixture
def story(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return Story().build()
