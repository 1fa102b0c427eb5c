"""The hosting team's side: probes, metrics, logs, SMTP and the process list."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def application(opening):
    """A submitted application: its receipt is owed (an outbox row), never delivered (no commit in the test)."""
    return f.submitted(opening, f.employer())
