"""Faults: Redis, a worker and database connections break under load; what is owed is still delivered.

Creates a fresh PostgreSQL database, starts a Redis of its own (no persistence),
gunicorn and a Celery worker with its beat (the outbox sweep every second), and:

1. measures submissions with Redis up, then with Redis killed: the median
   latency of each and their ratio (the aim: Redis down costs at most twice);
2. brings Redis back empty — every prompt queued while it was up is gone — starts
   the worker and times how long until every owed letter and e-mail is delivered;
3. kills the worker (SIGKILL, its whole process group) while it renders, starts
   another and times how long until the rest is delivered;
4. terminates every database connection of the web server and counts the 500s after.

Printed: letters owed and delivered, letters and e-mails per key (each exactly
once), seconds to recover, latencies and the ratio, and the reconciliation.
The sweep runs every second here (every minute in production) and leases last
5 s (2 minutes): the recovery times scale with those settings.

    python -m bench faults [--count 20] [--postgres postgres://…/postgres] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DB_NAME = "opensubsidie_bench_faults"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="submissions per phase (default 20)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create the benchmark database on",
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    return parser.parse_args(argv)


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _recreate(server_url: str) -> str:
    import psycopg

    with psycopg.connect(_with_db(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return _with_db(server_url, DB_NAME)


def _drop(server_url: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _setup_django(db_url: str, media: Path) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=db_url, MEDIA_ROOT=str(media))
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "b" * 60)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.pop("REDIS_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)


def _data(count: int) -> dict:
    """One open Omscholing-like opening, employers with an e-mail address and an API token each."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone
    from knox.models import AuthToken

    from applications.models import Organisation, Role, User
    from schemes.models import Opening, Scheme

    scheme = Scheme.objects.create(
        code="faults",
        name="Omscholing (storingen)",
        reference_prefix="FLT",
        owner="Benchmark",
        executing_agency="RVO",
        shape="per_unit",
        unit_label="traject",
        unit_amount=Decimal("3750.00"),
        min_unit_cost=Decimal("7500.00"),
        max_units_per_applicant=6,
    )
    now = timezone.now()
    Opening.objects.create(
        scheme=scheme,
        code="faults",
        name="Omscholing (storingen), openstelling",
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=1),
        budget_ceiling=Decimal("10000000.00"),
        distribution="fcfs",
    )
    tokens = []
    for i in range(count):
        org = Organisation.objects.create(
            kvk=f"{71000000 + i:08d}", name=f"Werkgever {i} B.V.", contact_email=f"werkgever{i}@example.nl"
        )
        user = User.objects.create(username=f"storing{i}", role=Role.APPLICANT, organisation=org, password="!")
        tokens.append(AuthToken.objects.create(user=user, expiry=datetime.timedelta(days=1))[1])
    return {"opening": "faults", "tokens": tokens}


def _submit(web, opening: str, token: str) -> tuple[int, float, str]:
    body = {
        "opening": opening,
        "submit": True,
        "truthfulness_declared": True,
        "units": [
            {
                "participant": "J. Jansen",
                "occupation": "Software-ontwikkelaar",
                "occupation_sector": "ict",
                "provider": "Techniek Academie",
                "cost": "7500.00",
            }
        ],
    }
    started = time.perf_counter()
    status, answer = web.request("POST", "/api/v1/applications/", body, token=token)
    return status, (time.perf_counter() - started) * 1000, answer.get("reference", "")


def _phase(web, data: dict, tokens: list[str]) -> tuple[list[float], list[int], list[str]]:
    latencies, statuses, references = [], [], []
    for token in tokens:
        status, ms, reference = _submit(web, data["opening"], token)
        latencies.append(ms)
        statuses.append(status)
        references.append(reference)
    return latencies, statuses, references


def _owed(references: list[str]) -> list[str]:
    from applications.models import Outbox

    return list(Outbox.objects.filter(application__reference__in=references).values_list("key", flat=True))


def _delivered(keys: list[str]) -> int:
    from applications.models import Outbox

    return Outbox.objects.filter(key__in=keys, status=Outbox.Status.DONE).count()


def _until_delivered(keys: list[str], timeout: float = 300) -> float:
    from tests.faults.processes import wait_for

    started = time.monotonic()
    wait_for(lambda: _delivered(keys) == len(keys), timeout=timeout, every=0.2, what="every owed letter")
    return time.monotonic() - started


def _once(keys: list[str], mail_dir: Path) -> tuple[bool, int, int]:
    from applications.models import Letter
    from tests.faults.processes import mails

    letter_keys = [k.removeprefix("letter:") for k in keys]
    letters = Counter(Letter.objects.filter(key__in=letter_keys).values_list("key", flat=True))
    subjects = Counter(str(m["Subject"]) for m in mails(mail_dir))
    references = Letter.objects.filter(key__in=letter_keys).values_list("application__reference", flat=True)
    sent = [subjects.get(f"Nieuwe brief over uw aanvraag {ref}", 0) for ref in references]
    exactly_once = set(letters.values()) <= {1} and len(letters) == len(keys) and set(sent) <= {1}
    return exactly_once, len(letters), sum(sent)


def run(argv: list[str]) -> int:  # noqa: PLR0915 (one scenario after the other, printed as it goes)
    args = _arguments(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    db_url = _recreate(args.postgres)
    _setup_django(db_url, workdir / "media")

    from django.db import connection

    from applications import reconcile
    from tests.faults.processes import Gunicorn, Redis, Worker, environment

    data = _data(args.count * 3 + 12)
    tokens = iter(data["tokens"])
    redis = Redis().start()
    env = environment(database_url=db_url, redis_url=redis.url, media_root=workdir / "media", mail_dir=workdir / "mail")
    web = Gunicorn(env, log=workdir / "gunicorn.log").start()
    workers: list[Worker] = []
    failures = 0
    try:
        up, up_status, up_refs = _phase(web, data, [next(tokens) for _ in range(args.count)])
        redis.kill()
        down, down_status, down_refs = _phase(web, data, [next(tokens) for _ in range(args.count)])
        ratio = statistics.median(down) / statistics.median(up)
        print(
            f"redis up     {args.count} submissions: median {statistics.median(up):7.1f} ms, answers {Counter(up_status)}"
        )
        print(
            f"redis down   {args.count} submissions: median {statistics.median(down):7.1f} ms, answers {Counter(down_status)}"
        )
        print(f"ratio        redis down ÷ redis up = {ratio:.2f}  (aim ≤ 2.00: {'yes' if ratio <= 2 else 'NO'})")
        failures += ratio > 2 or set(up_status) != {201} or set(down_status) != {201}

        keys = _owed(up_refs + down_refs)
        redis.start()  # empty: the prompts queued while it was up are gone
        print(f"redis back   empty ({redis.queued()} queued); {len(keys)} letters owed, {_delivered(keys)} delivered")
        workers.append(Worker(env, name="first", log=workdir / "worker.log").start())
        seconds = _until_delivered(keys)
        once, letters, mails = _once(keys, workdir / "mail")
        print(
            f"recovered    {_delivered(keys)}/{len(keys)} delivered in {seconds:.1f} s after the worker started; "
            f"{letters} letters, {mails} e-mails, each exactly once: {'yes' if once else 'NO'}"
        )
        failures += not once

        workers[-1].kill()
        _, statuses, refs = _phase(web, data, [next(tokens) for _ in range(12)])
        keys = _owed(refs)
        workers.append(Worker(env, name="second", log=workdir / "worker.log").start())
        from applications.models import Letter
        from tests.faults.processes import wait_for

        wait_for(
            lambda: Letter.objects.filter(key__in=[k.removeprefix("letter:") for k in keys], status="pending").exists(),
            timeout=120,
            every=0.02,
            what="a letter in the making",
        )
        workers[-1].kill()
        before = _delivered(keys)
        workers.append(Worker(env, name="third", log=workdir / "worker.log").start())
        seconds = _until_delivered(keys)
        once, letters, mails = _once(keys, workdir / "mail")
        print(
            f"worker kill  killed mid-render with {before}/{len(keys)} delivered; the next worker delivered the "
            f"rest in {seconds:.1f} s; {letters} letters, {mails} e-mails, each exactly once: {'yes' if once else 'NO'}"
        )
        failures += not once

        token = data["tokens"][0]
        for _ in range(4):
            web.request("GET", "/api/v1/applications/", token=token)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            terminated = cursor.fetchone()[0]
        answers = Counter(web.request("GET", "/api/v1/applications/", token=token)[0] for _ in range(20))
        print(f"database     {terminated} connections terminated; the 20 requests after: {dict(answers)}")
        failures += set(answers) != {200}

        findings = reconcile.run()
        print(f"reconcile    {len(findings)} findings" + "".join(f"\n  - {f.subject}: {f.detail}" for f in findings))
        failures += bool(findings)
    finally:
        for process in (*workers, web, redis):
            process.kill()
        connection.close()
        if not args.keep:
            _drop(args.postgres)
    print("all held" if not failures else f"{failures} aim(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
