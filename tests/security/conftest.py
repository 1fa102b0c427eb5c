"""Fixtures of the security tests: signed-in clients for the portal and tokens for the API."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def client_for():
    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return signed_in
