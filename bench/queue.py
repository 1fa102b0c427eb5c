"""The reviewer queue at a million applications on PostgreSQL.

``python -m bench queue [--size 1000000] [--requests 40] [--keep]``

Creates a dedicated database (``opensubsidie_bench_queue``), migrates it, loads
the scheme catalogue and bulk-generates applications with plain SQL
(``INSERT … SELECT generate_series``) in three steps: 1.000, 100.000 and
``--size``. At each size it requests the real queue view (``review:queue``, with
Django's test Client, logged in as a reviewer of every scheme) and reports:

- server time, median and p95, of the default view (the work in progress,
  sorted by decision due, with the counts per state) and of a filtered,
  sorted view (one scheme, state in review, unassigned, due within 30 days,
  sorted by arrival), and of a deep page (the keyset cursor of page 2);
- the number of SQL queries per page (it must not grow with the size);
- the baseline: a bare ``SELECT … ORDER BY decision_due LIMIT 50`` on the same
  table through the same connection, and the ratio.

About 30 % of the applications are work in progress, the rest decided, as in a
scheme that has run for some years. The database is dropped afterwards unless
``--keep``. PostgreSQL on 127.0.0.1 (``BENCH_PG``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "opensubsidie_bench_queue"


def _server() -> str:
    return os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server()}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _worker(mode: str, args: list[str]) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"{_server()}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "b" * 60,
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS") or "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "bench.queue", "--worker", mode, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {mode} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench queue")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per view and size (default 40)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    sizes = [s for s in (1_000, 100_000) if s < options.size] + [options.size]
    try:
        _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
        _admin(f"CREATE DATABASE {DB_NAME}")
        _worker("setup", [])
        print(f"{'size':>10}  {'view':<10} {'median':>9} {'p95':>9} {'queries':>8}  baseline median  ratio", flush=True)
        for size in sizes:
            generated = _worker("generate", [str(size)])
            timed = _worker("time", [str(options.requests)])
            print(
                f"{generated['total']:>10,}  generated +{generated['added']:,} in {generated['seconds']:.0f} s",
                flush=True,
            )
            base = timed["baseline_median_ms"]
            for view in ("default", "filtered", "page2"):
                row = timed[view]
                print(
                    f"{generated['total']:>10,}  {view:<10} {row['median_ms']:7.1f} ms {row['p95_ms']:7.1f} ms "
                    f"{row['queries']:>8}  {base:10.2f} ms  {row['median_ms'] / base:8.1f}",
                    flush=True,
                )
    finally:
        if not options.keep:
            _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    return 0


# --- in the worker process, against the bench database ----------------------------------------


def _setup_django():
    import django

    django.setup()


def setup() -> dict:
    _setup_django()
    from django.core.management import call_command

    from applications.models import Organisation, Role, User
    from schemes.models import Scheme

    call_command("migrate", verbosity=0)
    call_command("load_regelingen", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    schemes = list(Scheme.objects.all())
    applicant = User.objects.create(username="bench-aanvrager", role=Role.APPLICANT)
    for n in range(20):
        reviewer = User.objects.create(username=f"bench-behandelaar-{n}", role=Role.REVIEWER, email=f"b{n}@x.nl")
        reviewer.schemes.set(schemes)
    Organisation.objects.bulk_create(
        Organisation(kvk=f"{60000000 + i:08d}", name=f"Bench {i} B.V.", is_demo=True) for i in range(20000)
    )
    return {"applicant": applicant.pk}


def generate(target: int) -> dict:
    _setup_django()
    from django.db import connection
    from django.db.models import Min

    from applications.models import Application, Organisation, User
    from schemes.models import Opening

    started = time.perf_counter()
    have = Application.objects.count()
    add = max(0, target - have)
    openings = [o.pk for o in Opening.objects.order_by("id")]
    orgs = Organisation.objects.aggregate(lo=Min("id"))["lo"]
    reviewers = list(User.objects.filter(username__startswith="bench-behandelaar-").values_list("pk", flat=True))
    applicant = User.objects.get(username="bench-aanvrager").pk
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH s AS (
                SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4
                FROM generate_series(%(start)s, %(end)s) g
            ), p AS (
                SELECT s.*, (%(openings)s::bigint[])[1 + (g %% array_length(%(openings)s::bigint[], 1))] AS opening_id,
                    CASE WHEN r1 < 0.08 THEN 'submitted' WHEN r1 < 0.18 THEN 'in_review'
                         WHEN r1 < 0.22 THEN 'supplement_requested' WHEN r1 < 0.25 THEN 'decision_proposed'
                         WHEN r1 < 0.28 THEN 'settlement_requested' WHEN r1 < 0.30 THEN 'settlement_proposed'
                         WHEN r1 < 0.62 THEN 'granted' WHEN r1 < 0.77 THEN 'rejected' WHEN r1 < 0.82 THEN 'withdrawn'
                         WHEN r1 < 0.85 THEN 'not_considered' WHEN r1 < 0.93 THEN 'settled' ELSE 'closed' END AS state
                FROM s
            ), q AS (
                SELECT p.*, CASE WHEN state IN ('submitted','in_review','supplement_requested','decision_proposed')
                                 THEN now() - interval '1 day' * (r2 * 70)
                                 ELSE now() - interval '1 day' * (80 + r2 * 2000) END AS complete
                FROM p
            )
            INSERT INTO applications_application (reference, opening_id, organisation_id, created_by_id, channel,
                state, version, answers, is_partnership, truthfulness_declared, amount_reserved, amount_committed,
                amount_paid, amount_recovered, created_at, updated_at, over_ceiling, suspended_days, postponed_days,
                settlement_report, rejection_reason, is_demo, demo_batch, submitted_at, complete_at, queue_position,
                decision_due, amount_requested, assigned_to_id)
            SELECT 'BQ-' || lpad(g::text, 8, '0'), opening_id, %(org)s + (g %% 20000), %(applicant)s, 'employer',
                   state, 1, '{}', false, true, 0, 0, 0, 0, complete, complete, false, 0, 0, '', '', true, 'bench',
                   complete, complete, g, (complete + interval '56 days')::date, round((3750 + r3 * 20000)::numeric, 2),
                   CASE WHEN state = 'submitted' OR r4 < 0.3 THEN NULL
                        ELSE (%(reviewers)s::bigint[])[1 + (g %% array_length(%(reviewers)s::bigint[], 1))] END
            FROM q
            """,
            {
                "start": have + 1,
                "end": have + add,
                "openings": openings,
                "org": orgs,
                "applicant": applicant,
                "reviewers": reviewers,
            },
        )
        cur.execute(
            """
            INSERT INTO applications_supplementrequest (application_id, reason, requested_by_id, requested_on,
                due_date, answer, days_suspended)
            SELECT id, 'Offerte ontbreekt', %(reviewer)s, (complete_at)::date + 5, (complete_at)::date + 19, '', 0
            FROM applications_application
            WHERE state = 'supplement_requested' AND id > (SELECT coalesce(max(application_id), 0)
                                                           FROM applications_supplementrequest)
            """,
            {"reviewer": reviewers[0]},
        )
        cur.execute("VACUUM ANALYZE applications_application")
        cur.execute("VACUUM ANALYZE applications_supplementrequest")
    return {"total": have + add, "added": add, "seconds": time.perf_counter() - started}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def time_views(requests: int) -> dict:
    _setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from applications.models import User
    from schemes.models import Scheme

    setup_test_environment()  # the test client then records the template context

    user = User.objects.get(username="bench-behandelaar-0")
    client = Client()
    client.force_login(user)
    url = reverse("review:queue")
    scheme = Scheme.objects.get(code="omscholing")
    views = {
        "default": {},
        "filtered": {"scheme": scheme.pk, "state": "in_review", "assigned": "none", "due_within": 30, "sort": "queue"},
    }
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    cursor = first.context["page"].next_cursor
    views["page2"] = {"after": cursor}
    result: dict = {}
    for name, params in views.items():
        for _ in range(3):
            client.get(url, params)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200
        query_count = len(queries)  # read now: the log is cleared by the next request
        timings = []
        for _ in range(requests):
            began = time.perf_counter()
            client.get(url, params)
            timings.append((time.perf_counter() - began) * 1000)
        result[name] = {
            "median_ms": statistics.median(timings),
            "p95_ms": _percentile(timings, 95),
            "queries": query_count,
            "rows": len(response.context["page"].rows),
        }
    baseline = []
    with connection.cursor() as cur:
        for _ in range(requests):
            began = time.perf_counter()
            cur.execute(
                "SELECT id, reference, state, decision_due FROM applications_application "
                "ORDER BY decision_due, id LIMIT 50"
            )
            cur.fetchall()
            baseline.append((time.perf_counter() - began) * 1000)
    result["baseline_median_ms"] = statistics.median(baseline)
    return result


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        mode, rest = sys.argv[2], sys.argv[3:]
        if mode == "setup":
            out = setup()
        elif mode == "generate":
            out = generate(int(rest[0]))
        else:
            out = time_views(int(rest[0]))
        print(json.dumps(out))
