"""Schemathesis against the API's own OpenAPI schema: no request an employer or a reviewer can make is a 500.

The schema is served by the app itself (``/api/schema/``) and every operation in it is called with requests
that Schemathesis generates from it (bounded: ``MAX_EXAMPLES`` per operation), through the WSGI application
on the test database, once with an employer's token and once with a reviewer's (DRF ``Authorization: Token``).
The database holds the real catalogue and a few applications of our own in several states; a generated
reference, code or id is swapped for a real one most of the time, so that the bodies reach the services and
not only the 404. Each response must pass Schemathesis's checks: not a server error, a status and a body the
schema documents.
"""

from __future__ import annotations

import hashlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from applications.models import Role
from config.wsgi import application as wsgi_application
from schemes.loader import load_catalogue, read_catalogue
from tests import factories as f
from tests.factories import act

MAX_EXAMPLES = 50


@pytest.fixture
def world(db):
    """The catalogue, an open Omscholing and SLIM opening, an employer's drafts and submissions, a reviewer."""
    load_catalogue(read_catalogue())
    oms = f.omscholing_scheme(code="oms-schemathesis", intermediaries_allowed=True)
    slim = f.slim_scheme(code="slim-schemathesis")
    oms_open, slim_open = f.open_opening(oms), f.open_opening(slim)
    employer = f.employer(f.OrganisationFactory(name="Schemathesis B.V."), username="werkgever-schemathesis")
    reviewer = f.staff(Role.REVIEWER, [oms, slim], username="behandelaar-schemathesis")
    draft = f.draft(oms_open, employer)
    submitted = f.submitted(oms_open, employer, units=[f.traject(1)])
    in_review = f.submitted(slim_open, employer)
    act(in_review, "start_review", reviewer, {})
    return {
        "tokens": {
            "employer": f.api_token(employer),
            "reviewer": f.api_token(reviewer),
        },
        "reference": [draft.reference, submitted.reference, in_review.reference],
        "code": [oms_open.code, slim_open.code, oms.code, "all"],
        "id": [1],
    }


def _real(name: str, generated, world):
    """A real value for a path parameter three times in four, chosen by the generated one (reproducible)."""
    known = world.get(name)
    if not known:
        return generated
    digest = hashlib.sha256(str(generated).encode()).digest()
    if digest[0] % 4 == 0:
        return generated
    return known[digest[1] % len(known)]


@pytest.fixture
def connection_kept():
    """The WSGI handler closes the connection after each request; the test's transaction must outlive it.

    As Django's own test client does, for as long as the test runs.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_request_of_an_employer_or_a_reviewer_is_a_server_error(world, connection_kept):
    # Schemathesis's pytest plugin (schemathesis.pytest.from_fixture) does not run on pytest 9: each
    # operation is a Hypothesis test of its own here, and every failure is gathered before the verdict.
    api = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_application)
    failures, operations = [], 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            for name in ("reference", "code", "id"):
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = _real(name, case.path_parameters[name], world)
            for token in world["tokens"].values():
                case.call_and_validate(
                    headers={"Authorization": f"Token {token}", "Accept-Language": "nl"},
                    # It reads the real token we send as auth it generated, and a 200 as auth ignored; who
                    # may call what, signed in or not, is tested per role in tests/applications/test_roles.py.
                    # And a schema-valid body may still be refused (400, 403, 409): an opening that does not
                    # exist, an amount under the scheme's minimum. What must never happen is a 500.
                    excluded_checks=[ignored_auth, positive_data_acceptance],
                )

        try:
            call()
        except Exception as exc:  # noqa: BLE001 - every operation's failure is reported together
            failures.append(f"{operation.method.upper()} {operation.path}:\n{exc}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
