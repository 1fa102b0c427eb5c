"""The cast of the lifecycle tests: a scheme's team and its employers."""

from __future__ import annotations

import pytest

from applications.models import Role

from . import factories as f


@pytest.fixture
def omscholing(db):
    return f.omscholing_scheme()


@pytest.fixture
def opening(omscholing):
    """An Omscholing-like opening, open now, with room for plenty of trajecten."""
    return f.open_opening(omscholing)


@pytest.fixture
def reviewer(omscholing):
    return f.staff(Role.REVIEWER, [omscholing], username="behandelaar")


@pytest.fixture
def senior(omscholing):
    return f.staff(Role.SENIOR_REVIEWER, [omscholing], username="senior")


@pytest.fixture
def senior2(omscholing):
    return f.staff(Role.SENIOR_REVIEWER, [omscholing], username="senior2")


@pytest.fixture
def werkgever(db):
    return f.employer(f.OrganisationFactory(name="Bouwbedrijf De Vries B.V."), username="werkgever")
