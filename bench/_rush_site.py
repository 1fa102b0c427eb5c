"""The rush benchmark's site: the real settings and URLs plus one bare baseline endpoint.

Only the benchmark starts gunicorn with ``DJANGO_SETTINGS_MODULE=bench._rush_site``;
the production URLs never carry the baseline. ``python -m bench._rush_site setup``
fills a fresh benchmark database and prints the opening and the API tokens as JSON.
"""

from __future__ import annotations

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench._rush_site"
# the rush measures the application, not the HTTPS redirect in front of it
SECURE_SSL_REDIRECT = False
# every answer says how many SQL statements it took (X-Queries), for the queries per submission
MIDDLEWARE = ["bench._rush_site.count_queries", *MIDDLEWARE]  # noqa: F405

BASELINE_TABLE = "bench_rush_baseline"
OPENING_CODE = "bench-rush"
# the one-request flow ("submit": true) fills an opening of its own, with the same ceiling
OPENING_CODE_ONE = "bench-rush-een"


def count_queries(get_response):
    """Count the statements this request sends to the database (BEGIN and COMMIT included)."""
    from django.db import connection

    def middleware(request):
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        # BEGIN and COMMIT of a transaction go through the connection, not a cursor: two per commit
        commit = connection._commit

        def committing():
            nonlocal count
            count += 2
            return commit()

        connection._commit = committing  # this thread's connection only
        try:
            with connection.execute_wrapper(counting):
                response = get_response(request)
        finally:
            del connection._commit
        response["X-Queries"] = str(count)
        return response

    return middleware


def baseline(request):
    """Insert one row and answer: the least any POST that writes can cost here."""
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BASELINE_TABLE} (payload) VALUES (%s) RETURNING id", [request.body.decode()[:200]]
        )
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


def _urlpatterns():
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    return [
        path("bench/baseline/", csrf_exempt(baseline)),
        path("", include("config.urls")),
    ]


def setup(count: int, organisations: int) -> dict:
    """A scheme shaped like Omscholing, one open fcfs opening whose ceiling covers half, users with tokens."""
    import datetime
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone
    from knox.models import AuthToken

    from applications.models import Organisation, Role, User
    from schemes.models import Opening, Scheme

    unit_amount = Decimal("3750.00")
    with transaction.atomic():
        scheme = Scheme.objects.create(
            code=OPENING_CODE,
            name="Omscholing (benchmark)",
            reference_prefix="RUSH",
            owner="Benchmark",
            executing_agency="Benchmark",
            shape="per_unit",
            unit_label="traject",
            unit_amount=unit_amount,
            min_unit_cost=Decimal("7500.00"),
            max_units_per_applicant=6,
            advance_pct=Decimal("100"),
        )
        now = timezone.now()
        opening, opening_one = (
            Opening.objects.create(
                scheme=scheme,
                code=code,
                name=f"Omscholing (benchmark), openingsdag ({code})",
                opens_at=now - datetime.timedelta(hours=1),
                closes_at=now + datetime.timedelta(days=1),
                budget_ceiling=unit_amount * (count // 2),
                distribution="fcfs",
            )
            for code in (OPENING_CODE, OPENING_CODE_ONE)
        )
        orgs = Organisation.objects.bulk_create(
            Organisation(kvk=f"{70000000 + i:08d}", name=f"Werkgever {i} B.V.") for i in range(organisations)
        )
        users = User.objects.bulk_create(
            User(username=f"rush{i}", role=Role.APPLICANT, organisation=org, password="!") for i, org in enumerate(orgs)
        )
        tokens = [AuthToken.objects.create(user=user, expiry=datetime.timedelta(days=1))[1] for user in users]
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), "
                "payload text NOT NULL)"
            )
    return {
        "opening": opening.code,
        "opening_id": opening.pk,
        "opening_one": opening_one.code,
        "opening_one_id": opening_one.pk,
        "ceiling": str(opening.budget_ceiling),
        "unit_amount": str(unit_amount),
        "tokens": tokens,
    }


def __getattr__(name):  # urlpatterns only when Django asks for them, after settings are loaded
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


if __name__ == "__main__":
    import json
    import os
    import sys

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench._rush_site"
    import django

    django.setup()
    count, organisations = int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(setup(count, organisations)))
