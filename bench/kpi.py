"""KPI reports at a million applications on PostgreSQL.

``python -m bench kpi [--size 1000000] [--runs 3] [--keep]``

Creates a dedicated database (``opensubsidie_bench_kpi``), migrates it, loads
the scheme catalogue and bulk-generates applications, audit events, units and
ledger entries with plain SQL (``INSERT … SELECT generate_series``). The daily
job then processes every day up to yesterday (``reporting.queries.snapshots``,
timed), and a busy day is added today: a few thousand applications taken into
review and decided. Then, in the same run:

- seconds for the JSON report of one scheme (``omscholing``, about a quarter
  of the applications) and of the portfolio, as the pages and the API make it
  (the snapshots, and for today the snapshots plus today's events): today,
  yesterday and a year ago;
- for each, a baseline: hand-written SQL for the same headline figures
  (today: ``GROUP BY`` over the application columns; a past date: the last
  audit event per application with ``DISTINCT ON``; lead-time percentiles,
  ledger sums), and the ratio;
- once, the same scheme report recomputed from the whole trail, and whether it
  equals the report from the snapshots;
- the peak memory (max RSS growth) of the streamed CSV export of the
  applications of the scheme and of the whole portfolio, each in a fresh
  process, to show it stays flat as the size grows.

The generated data is kept as the services would leave it: the openings'
running totals equal the ledger, and rejected applications carry their reason.
``--keep`` keeps the database, ``--reuse`` times a kept one again (it is
migrated first, so new indexes are built).

The database is dropped afterwards unless ``--keep``. Needs PostgreSQL on
127.0.0.1 (``BENCH_PG``, default ``postgres://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "opensubsidie_bench_kpi"


def _server() -> str:
    return os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server()}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _worker(mode: str, args: list[str]) -> dict:
    env = {**os.environ, "DATABASE_URL": f"{_server()}/{DB_NAME}", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "bench.kpi", "--worker", mode, *args],
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
    parser = argparse.ArgumentParser(prog="python -m bench kpi")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept bench database (no generation)")
    options = parser.parse_args(argv)
    try:
        if not options.reuse:
            _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
            _admin(f"CREATE DATABASE {DB_NAME}")
            generated = _worker("generate", [str(options.size)])
            print(
                f"generated {generated['applications']:,} applications, {generated['events']:,} audit events, "
                f"{generated['ledger']:,} ledger entries, {generated['units']:,} units in {generated['seconds']:.0f} s",
                flush=True,
            )
            built = _worker("snapshots", [])
            print(
                f"daily snapshots: {built['days']:,} days with events processed in {built['seconds']:.0f} s; "
                f"today's events added: {built['today_events']:,}",
                flush=True,
            )
        timed = _worker("time", [str(options.runs)])
        for when, how in WHEN:
            for name in ("scheme", "portfolio"):
                ours, base = timed[f"{name}_{when}"], timed[f"{name}_{when}_baseline"]
                print(
                    f"report {name:<9} {how:<34} median {ours:6.3f} s   hand-written SQL {base:6.3f} s   "
                    f"ratio {ours / base:4.2f}",
                    flush=True,
                )
        print(f"headline figures agree with the hand-written SQL: {timed['agree']}")
        print(
            f"scheme report recomputed from the whole trail: {timed['recompute_seconds']:.1f} s; "
            f"identical to the report from the snapshots: {timed['identical']}",
            flush=True,
        )
        for scope in ("scheme", "portfolio"):
            memory = _worker("export", [scope])
            print(
                f"CSV export {scope:<9} {memory['rows']:>9,} rows in {memory['seconds']:6.1f} s, "
                f"peak memory growth {memory['growth_mb']:.1f} MB (max RSS {memory['peak_mb']:.0f} MB)",
                flush=True,
            )
    finally:
        if not options.keep:
            _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    return 0


# --- in the worker process, against the bench database -------------------------------------

PROVINCES = [
    "drenthe",
    "flevoland",
    "friesland",
    "gelderland",
    "groningen",
    "limburg",
    "noord-brabant",
    "noord-holland",
    "overijssel",
    "utrecht",
    "zeeland",
    "zuid-holland",
]
SECTORS = ["ict", "techniek", "zorg", "onderwijs", "landbouw", "handel", "bouw", "overig"]


WHEN = (
    ("today", "today (snapshots + today's events)"),
    ("past", "yesterday (snapshots)"),
    ("year", "a year ago (snapshots)"),
)


def _setup():
    import django

    django.setup()


def generate(size: int) -> dict:
    _setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from applications.models import User
    from schemes.models import Opening

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_regelingen", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    user = User.objects.create(username="bench", role="applicant")
    # nothing generated happens after today: openings that opened at least 120 days ago, cut off 90 days ago
    # (a decision comes up to 71 days after the application, its payment 10 days after that)
    cutoff = timezone.now() - datetime.timedelta(days=90)
    openings = list(
        Opening.objects.filter(is_demo=False, opens_at__lt=cutoff - datetime.timedelta(days=30))
        .select_related("scheme")
        .order_by("id")
    )
    heavy = next(i for i, o in enumerate(openings) if o.code == "omscholing-2021")
    openings.insert(0, openings.pop(heavy))
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_open (idx int, id bigint, opens_at timestamptz, closes_at timestamptz, per_unit bool)"
        )
        for index, o in enumerate(openings):
            cur.execute(
                "INSERT INTO bench_open VALUES (%s, %s, %s, %s, %s)",
                [index, o.pk, o.opens_at, min(o.closes_at, cutoff), o.scheme.shape == "per_unit"],
            )
        n_orgs = max(100, size // 20)
        cur.execute(
            """
            INSERT INTO applications_organisation (kvk, name, size_class, sector, province, iban, contact_name,
                contact_email, contact_phone, is_intermediary, is_demo, created_at)
            SELECT lpad((50000000 + g)::text, 8, '0'), 'Bench ' || g, (ARRAY['small','sme','large'])[1 + g %% 3],
                   (%s::text[])[1 + (g * 7) %% 8], (%s::text[])[1 + (g * 5) %% 12], '', '', '', '', false, true, now()
            FROM generate_series(1, %s) g
            """,
            [SECTORS, PROVINCES, n_orgs],
        )
        cur.execute("SELECT min(id), max(id) FROM applications_organisation WHERE name LIKE 'Bench %%'")
        org_min, org_max = cur.fetchone()
        # 25 % in omscholing-2021, the rest spread over the other openings; outcomes by a random draw.
        cur.execute(
            """
            WITH s AS (
                SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS t, random() AS d,
                       random() AS m, random() AS o
                FROM generate_series(1, %(n)s) g
            ), p AS (
                SELECT s.*, b.id AS opening_id, b.opens_at + (b.closes_at - b.opens_at) * s.t AS created,
                       b.per_unit,
                       CASE WHEN s.r3 < 0.10 THEN 'draft' WHEN s.r3 < 0.15 THEN 'submitted'
                            WHEN s.r3 < 0.20 THEN 'in_review' WHEN s.r3 < 0.65 THEN 'granted'
                            WHEN s.r3 < 0.85 THEN 'rejected' WHEN s.r3 < 0.95 THEN 'withdrawn'
                            ELSE 'not_considered' END AS state
                FROM s JOIN bench_open b
                  ON b.idx = CASE WHEN s.r1 < 0.25 THEN 0
                                  ELSE 1 + floor(s.r2 * ((SELECT count(*) FROM bench_open) - 1))::int END
            )
            INSERT INTO applications_application (reference, opening_id, organisation_id, created_by_id, channel,
                state, version, answers, is_partnership, truthfulness_declared, amount_reserved, amount_committed,
                amount_paid, amount_recovered, created_at, updated_at, over_ceiling, suspended_days, postponed_days,
                settlement_report, rejection_reason, is_demo, demo_batch, submitted_at, complete_at, decided_at,
                decision_due, amount_requested, amount_granted)
            SELECT 'BEN-' || g, opening_id, %(org_min)s + floor(o * (%(org_max)s - %(org_min)s + 1))::bigint,
                   %(user)s, CASE WHEN m < 0.8 THEN 'employer' ELSE 'intermediary' END,
                   state, 1, '{}', false, true, 0, 0, 0, 0, created, created, false, 0, 0, '', '', true, 'bench',
                   CASE WHEN state <> 'draft' THEN created + interval '10 minutes' END,
                   CASE WHEN state <> 'draft' THEN created + interval '10 minutes' END,
                   CASE WHEN state NOT IN ('draft','submitted','in_review') THEN created + interval '1 day' * (4 + d * 67) END,
                   CASE WHEN state <> 'draft' THEN (created + interval '56 days')::date END,
                   CASE WHEN per_unit THEN 3750 ELSE round((20000 + d * 80000)::numeric, 2) END,
                   CASE WHEN state = 'granted' THEN CASE WHEN per_unit THEN 3750 ELSE round((20000 + d * 80000)::numeric, 2) END END
            FROM p
            """,
            {"n": size, "org_min": org_min, "org_max": org_max, "user": user.pk},
        )
        cur.execute(
            """
            INSERT INTO applications_unit (application_id, position, participant, occupation, occupation_sector,
                provider, cost, status, contract_extended)
            SELECT a.id, 0, 'deelnemer', 'beroep', CASE WHEN random() < 0.6 THEN 'ict' ELSE 'techniek' END,
                   'opleider', 8000, 'planned', false
            FROM applications_application a JOIN bench_open b ON b.id = a.opening_id WHERE b.per_unit
            """
        )
        event = """
            INSERT INTO applications_auditevent (application_id, actor_name, action, from_state, to_state, reason,
                data, changes, at)
            SELECT id, 'bench', %s, %s, %s, '', {data}, '{{}}', {at} FROM applications_application WHERE {where}
        """
        steps = [
            ("create", "", "draft", "'{}'", "created_at", "true"),
            ("submit", "draft", "submitted", "'{}'", "submitted_at", "state <> 'draft'"),
            (
                "start_review",
                "submitted",
                "in_review",
                "'{}'",
                "submitted_at + interval '2 days'",
                "state IN ('in_review','granted','rejected','not_considered')",
            ),
            (
                "request_supplement",
                "in_review",
                "supplement_requested",
                "'{}'",
                "submitted_at + interval '3 days'",
                "state = 'not_considered'",
            ),
            (
                "propose_grant",
                "in_review",
                "decision_proposed",
                "'{}'",
                "decided_at - interval '1 day'",
                "state IN ('granted','rejected')",
            ),
            ("approve_decision", "decision_proposed", "granted", "'{}'", "decided_at", "state = 'granted'"),
            (
                "approve_decision",
                "decision_proposed",
                "rejected",
                """jsonb_build_object('reason_code', (ARRAY['not_eligible','ceiling_reached','incomplete','other'])[1 + id %% 4])""",
                "decided_at",
                "state = 'rejected'",
            ),
            ("withdraw", "submitted", "withdrawn", "'{}'", "decided_at", "state = 'withdrawn'"),
            (
                "declare_not_considered",
                "supplement_requested",
                "not_considered",
                "'{}'",
                "decided_at",
                "state = 'not_considered'",
            ),
        ]
        for action, source, target, data, at, where in steps:
            cur.execute(event.format(data=data, at=at, where=where), [action, source, target])
        ledger = """
            INSERT INTO schemes_ledgerentry (opening_id, application_id, kind, amount, at, note)
            SELECT opening_id, id, %s, amount_requested, {at}, '' FROM applications_application WHERE {where}
        """
        for kind, at, where in [
            ("reserve", "submitted_at", "state <> 'draft'"),
            ("release", "decided_at", "state NOT IN ('draft','submitted','in_review')"),
            ("commit", "decided_at", "state = 'granted'"),
            ("pay", "decided_at + interval '10 days'", "state = 'granted'"),
        ]:
            cur.execute(ledger.format(at=at, where=where), [kind])
        _consistent(cur)
        cur.execute("SELECT count(*) FROM applications_application")
        applications = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM applications_auditevent")
        events = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM schemes_ledgerentry")
        entries = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM applications_unit")
        units = cur.fetchone()[0]
    connection.close()
    import psycopg

    with psycopg.connect(f"{_server()}/{DB_NAME}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        "applications": applications,
        "events": events,
        "ledger": entries,
        "units": units,
        "seconds": time.perf_counter() - started,
    }


def _consistent(cur) -> None:
    """What the services keep in step with the trail: the openings' running totals and the rejection reason."""
    cur.execute(
        """
        UPDATE schemes_opening o SET
            reserved = coalesce(t.reserve, 0) - coalesce(t.release, 0),
            committed = coalesce(t.commit, 0) - coalesce(t.decommit, 0),
            paid = coalesce(t.pay, 0), recovered = coalesce(t.recover, 0),
            -- a million generated applications would overrun the real ceilings (a check constraint)
            budget_ceiling = greatest(o.budget_ceiling, coalesce(t.reserve, 0) - coalesce(t.release, 0)
                                      + coalesce(t.commit, 0) - coalesce(t.decommit, 0))
        FROM (SELECT opening_id,
                     sum(amount) FILTER (WHERE kind = 'reserve') AS reserve,
                     sum(amount) FILTER (WHERE kind = 'release') AS release,
                     sum(amount) FILTER (WHERE kind = 'commit') AS commit,
                     sum(amount) FILTER (WHERE kind = 'decommit') AS decommit,
                     sum(amount) FILTER (WHERE kind = 'pay') AS pay,
                     sum(amount) FILTER (WHERE kind = 'recover') AS recover
              FROM schemes_ledgerentry GROUP BY opening_id) t
        WHERE t.opening_id = o.id
        """
    )
    cur.execute(
        """
        UPDATE applications_application a SET rejection_reason = e.data ->> 'reason_code'
        FROM applications_auditevent e
        WHERE e.application_id = a.id AND e.to_state = 'rejected' AND a.state = 'rejected'
        """
    )


BASELINE = """
WITH last AS (
    SELECT DISTINCT ON (e.application_id) e.application_id, a.organisation_id,
           CASE WHEN e.to_state = 'closed' THEN e.from_state ELSE e.to_state END AS state
    FROM applications_auditevent e JOIN applications_application a ON a.id = e.application_id
    WHERE a.opening_id = ANY(%(openings)s) AND e.at < %(end)s AND e.to_state <> e.from_state
    ORDER BY e.application_id, e.at DESC, e.id DESC
), units AS (
    SELECT application_id, count(*) AS n FROM applications_unit GROUP BY application_id
)
SELECT l.state, o.sector, count(*), sum(coalesce(u.n, 0)), count(DISTINCT l.organisation_id)
FROM last l JOIN applications_organisation o ON o.id = l.organisation_id
LEFT JOIN units u ON u.application_id = l.application_id
GROUP BY l.state, o.sector
"""
BASELINE_LEAD = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d) FROM (
    SELECT (min(e.at) FILTER (WHERE e.action IN ('approve_decision','declare_not_considered')
                              AND e.to_state IN ('granted','rejected','not_considered'))
            AT TIME ZONE 'Europe/Amsterdam')::date
           - (min(e.at) FILTER (WHERE e.action = 'submit') AT TIME ZONE 'Europe/Amsterdam')::date AS d
    FROM applications_auditevent e JOIN applications_application a ON a.id = e.application_id
    WHERE a.opening_id = ANY(%(openings)s) AND e.at < %(end)s
    GROUP BY e.application_id
) t WHERE d IS NOT NULL
"""
BASELINE_LEDGER = """
SELECT kind, sum(amount) FROM schemes_ledgerentry
WHERE opening_id = ANY(%(openings)s) AND at < %(end)s GROUP BY kind
"""


BASELINE_NOW = """
WITH units AS (
    SELECT application_id, count(*) AS n FROM applications_unit GROUP BY application_id
)
SELECT a.state, o.sector, count(*), sum(coalesce(u.n, 0)), count(DISTINCT a.organisation_id)
FROM applications_application a JOIN applications_organisation o ON o.id = a.organisation_id
LEFT JOIN units u ON u.application_id = a.id
WHERE a.opening_id = ANY(%(openings)s)
GROUP BY a.state, o.sector
"""
BASELINE_NOW_LEAD = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d) FROM (
    SELECT (decided_at AT TIME ZONE 'Europe/Amsterdam')::date - (submitted_at AT TIME ZONE 'Europe/Amsterdam')::date
           AS d FROM applications_application
    WHERE opening_id = ANY(%(openings)s) AND state IN ('granted', 'rejected', 'not_considered')
) t WHERE d IS NOT NULL
"""
BASELINE_NOW_LEDGER = """
SELECT 'commit', sum(committed) FROM schemes_opening WHERE id = ANY(%(openings)s)
UNION ALL
SELECT kind, sum(amount) FROM schemes_ledgerentry WHERE opening_id = ANY(%(openings)s) AND kind = 'settle' GROUP BY kind
"""


def _baseline(opening_ids: list[int], end, *, now: bool = False) -> dict:
    """Hand-written SQL for the headline figures: from the columns (today) or from the trail (a past date)."""
    from django.db import connection, transaction

    from reporting.queries import REPORT_WORK_MEM

    params = {"openings": opening_ids, "end": end}
    with transaction.atomic(), connection.cursor() as cur:
        # the same session settings as the report, so the comparison is fair
        cur.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        cur.execute("SET LOCAL jit = off")
        cur.execute(BASELINE_NOW if now else BASELINE, params)
        rows = cur.fetchall()
        cur.execute(BASELINE_NOW_LEAD if now else BASELINE_LEAD, params)
        lead = cur.fetchone()
        cur.execute(BASELINE_NOW_LEDGER if now else BASELINE_LEDGER, params)
        ledger = dict(cur.fetchall())
    submitted = sum(n for state, _s, n, _u, _o in rows if state != "draft")
    granted = sum(n for state, _s, n, _u, _o in rows if state == "granted")
    units = sum(u for state, _s, _n, u, _o in rows if state == "granted")
    return {
        "submitted": submitted,
        "granted": granted,
        "units": units,
        "median": round(lead[0], 1) if lead[0] is not None else None,
        "committed": ledger.get("commit"),
    }


def _traject_units(report: dict):
    """Granted trajecten: the report's units, or in the portfolio (units of several kinds) those of the trajecten."""
    units = report["units"]
    if units["granted"] is not None:
        return units["granted"]
    return (units["by_kind"].get("traject") or {}).get("granted")


def _median_seconds(fn, runs: int) -> float:
    fn()  # warm the caches once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def snapshots() -> dict:
    """The daily job over the whole history up to yesterday, then a busy day today through plain SQL."""
    _setup()
    from django.db import connection

    from reporting.queries.snapshots import catch_up

    started = time.perf_counter()
    days = catch_up()
    seconds = time.perf_counter() - started
    with connection.cursor() as cur:
        added = _busy_day(cur)
    return {"days": days, "seconds": seconds, "today_events": added}


def _busy_day(cur) -> int:
    """Today: 3.000 submitted applications taken into review, 2.000 in review granted with their money."""
    before = _count(cur, "applications_auditevent")
    cur.execute(
        "CREATE TEMP TABLE bench_started AS "
        "SELECT id FROM applications_application WHERE state = 'submitted' ORDER BY id LIMIT 3000"
    )
    cur.execute("UPDATE applications_application a SET state = 'in_review' FROM bench_started s WHERE a.id = s.id")
    cur.execute(
        """
        INSERT INTO applications_auditevent (application_id, actor_name, action, from_state, to_state, reason,
            data, changes, at)
        SELECT id, 'bench', 'start_review', 'submitted', 'in_review', '', '{}', '{}', now() FROM bench_started
        """
    )
    cur.execute(
        "CREATE TEMP TABLE bench_today AS "
        "SELECT id FROM applications_application WHERE state = 'in_review' ORDER BY id DESC LIMIT 2000"
    )
    for action, source, target in (
        ("propose_grant", "in_review", "decision_proposed"),
        ("approve_decision", "decision_proposed", "granted"),
    ):
        cur.execute(
            """
            INSERT INTO applications_auditevent (application_id, actor_name, action, from_state, to_state,
                reason, data, changes, at)
            SELECT id, 'bench', %s, %s, %s, '', '{}', '{}', now() FROM bench_today
            """,
            [action, source, target],
        )
    cur.execute(
        """
        UPDATE applications_application a SET state = 'granted', decided_at = now(),
               amount_granted = a.amount_requested
        FROM bench_today t WHERE a.id = t.id
        """
    )
    for kind in ("release", "commit"):
        cur.execute(
            """
            INSERT INTO schemes_ledgerentry (opening_id, application_id, kind, amount, at, note)
            SELECT opening_id, a.id, %s, amount_requested, now(), ''
            FROM applications_application a JOIN bench_today t ON t.id = a.id
            """,
            [kind],
        )
    _consistent(cur)
    return _count(cur, "applications_auditevent") - before


def _count(cur, table: str) -> int:
    cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a table name of our own
    return cur.fetchone()[0]


def time_reports(runs: int) -> dict:
    """Reports of today, yesterday and a year ago, each against hand-written SQL on the same data."""
    _setup()
    from django.core.management import call_command
    from django.utils import timezone

    from reporting.queries import build_report, end_of_day, resolve_scope

    call_command("migrate", verbosity=0)  # a reused database gets the newest indexes
    today = timezone.localdate()
    days = {
        "today": today,
        "past": today - datetime.timedelta(days=1),
        "year": today - datetime.timedelta(days=365),
    }
    result = {"agree": True}
    for when, day in days.items():
        end = end_of_day(day)
        now = when == "today"
        for name, (kind, code) in {"scheme": ("scheme", "omscholing"), "portfolio": ("portfolio", "all")}.items():
            scope = resolve_scope(kind, code)
            key = f"{name}_{when}"
            result[key] = _median_seconds(lambda scope=scope, day=day, end=end: build_report(scope, day, end), runs)
            result[f"{key}_baseline"] = _median_seconds(
                lambda scope=scope, end=end, now=now: _baseline(scope.opening_ids, end, now=now), runs
            )
            ours, base = build_report(scope, day, end), _baseline(scope.opening_ids, end, now=now)
            same = (
                ours["applications"]["submitted"] == base["submitted"]
                and ours["applications"]["granted"] == base["granted"]
                and _traject_units(ours) == base["units"]
                and ours["lead_time_days"]["median"] == base["median"]
            )
            if not same:
                print(f"{key}: ours {ours['applications']} {ours['lead_time_days']} base {base}", file=sys.stderr)
            result["agree"] = result["agree"] and same
    scope = resolve_scope("scheme", "omscholing")
    end = end_of_day(today)
    started = time.perf_counter()
    trail = build_report(scope, today, end, recompute=True)
    result["recompute_seconds"] = time.perf_counter() - started
    result["identical"] = json.dumps(trail) == json.dumps(build_report(scope, today, end))
    return result


def export(scope_kind: str) -> dict:
    import resource

    _setup()
    from django.utils import timezone

    from reporting.exports import application_csv_lines
    from reporting.queries import end_of_day, resolve_scope

    scope = resolve_scope(scope_kind, "omscholing" if scope_kind == "scheme" else "all")
    end = end_of_day(timezone.localdate())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows = -1
    with open(os.devnull, "w") as sink:
        for line in application_csv_lines(scope, end):
            sink.write(line)
            rows += 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        "growth_mb": (peak - before) / 1024,
        "peak_mb": peak / 1024,
    }


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        mode, rest = sys.argv[2], sys.argv[3:]
        if mode == "generate":
            print(json.dumps(generate(int(rest[0]))))
        elif mode == "snapshots":
            print(json.dumps(snapshots()))
        elif mode == "time":
            print(json.dumps(time_reports(int(rest[0]))))
        elif mode == "export":
            print(json.dumps(export(rest[0])))
    else:
        sys.exit(run(sys.argv[1:]))
