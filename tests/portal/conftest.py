"""Fixtures of the portal tests: an Omscholing opening, its team, and signed-in clients."""

from __future__ import annotations

import pytest
from django.test import Client

from applications.models import Role

from . import factories as f


@pytest.fixture
def oms(db):
    return f.omscholing()


@pytest.fixture
def opening(oms):
    return f.open_opening(oms)


@pytest.fixture
def reviewer(oms):
    return f.staff(Role.REVIEWER, [oms], username="behandelaar-portaal")


@pytest.fixture
def senior(oms):
    return f.staff(Role.SENIOR_REVIEWER, [oms], username="senior-portaal")


@pytest.fixture
def werkgever(db):
    return f.employer(f.OrganisationFactory(name="Bouwbedrijf De Vries B.V."), username="werkgever-portaal")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return signed_in


@pytest.fixture
def wclient(werkgever):
    return signed_in(werkgever)
