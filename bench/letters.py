"""Letters in bulk: milliseconds per PDF, and 1.000 letters through two Celery workers.

``python -m bench letters [--count 1000] [--samples 30] [--keep]``

Creates a dedicated database (``opensubsidie_bench_letters``), migrates it and
submits ``--count`` Omscholing applications through the services, with the
letters held back. Then, in the same run:

- baseline: WeasyPrint rendering a minimal one-line HTML document to PDF/UA;
- ms per PDF for a receipt and for a grant (two pages, tables), rendered by
  ``letters.render_pdf`` only, and the whole ``issue_for_event`` (context,
  template, PDF, storage, e-mail) in-process; medians, and ratios to the baseline;
- wall time for ``--count`` receipts through Celery: two workers
  (``celery -A config worker -c 1``, twice) against Redis (database 14,
  ``BENCH_REDIS_URL``), from the first task queued to the last letter stored;
  and how that compares with count × median / 2 (perfect parallelism).

Every letter is checked afterwards: rendered, one per key, none failed.
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
DB_NAME = "opensubsidie_bench_letters"


def _server() -> str:
    return os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _redis() -> str:
    return os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server()}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _env(with_redis: bool) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"{_server()}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "b" * 60,
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS") or "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "ERROR",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MEDIA_ROOT": f"/tmp/{DB_NAME}-media",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    if with_redis:
        env["REDIS_URL"] = _redis()
    return env


def _worker(mode: str, args: list[str], *, with_redis: bool = False) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.letters", "--worker", mode, *args],
        cwd=ROOT,
        env=_env(with_redis),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {mode} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(_redis()).flushdb()


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench letters")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args(argv)
    celery_workers: list[subprocess.Popen] = []
    try:
        _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
        _admin(f"CREATE DATABASE {DB_NAME}")
        made = _worker("setup", [str(options.count)])
        print(f"set up {made['applications']:,} submitted applications in {made['seconds']:.0f} s", flush=True)
        timed = _worker("time", [str(options.samples)])
        base = timed["baseline_ms"]
        print(f"baseline: WeasyPrint, one-line HTML to PDF/UA   median {base:7.1f} ms", flush=True)
        for name, label in (
            ("receipt_pdf", "receipt, HTML to PDF/UA"),
            ("grant_pdf", "grant (2 pages), HTML to PDF/UA"),
            ("receipt_issue", "receipt, issue_for_event end to end"),
            ("grant_issue", "grant, issue_for_event end to end"),
        ):
            print(f"{label:<40} median {timed[name]:7.1f} ms   ratio {timed[name] / base:5.1f}", flush=True)

        _flush_redis()
        env = _env(with_redis=True)
        for n in range(2):
            celery_workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "config",
                        "worker",
                        "-c",
                        "1",
                        "-n",
                        f"bench-letters-{n}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "-l",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        bulk = _worker("bulk", [str(options.count)], with_redis=True)
        ideal = options.count * timed["receipt_issue"] / 2 / 1000
        print(
            f"{bulk['letters']:,} receipts with 2 Celery workers: {bulk['seconds']:.1f} s "
            f"({bulk['seconds'] * 1000 / max(1, bulk['letters']):.0f} ms a letter; "
            f"perfect parallelism would be {ideal:.1f} s, ratio {bulk['seconds'] / ideal:.2f})",
            flush=True,
        )
        print(
            f"check: {bulk['rendered']:,} rendered, {bulk['failed']} failed, {bulk['duplicates']} duplicate keys, "
            f"{bulk['emails']:,} e-mailed once",
            flush=True,
        )
    finally:
        for process in celery_workers:
            process.terminate()
        for process in celery_workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        try:
            _flush_redis()
        except Exception:
            pass
        if not options.keep:
            _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    return 0


# --- in the worker process ------------------------------------------------------------------------


def _setup_django():
    import django

    django.setup()


def setup(count: int) -> dict:
    _setup_django()
    import datetime
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    from applications import services, tasks
    from applications.models import Organisation, Role, User
    from schemes.models import Opening, Scheme

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_regelingen", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    tasks.dispatch_after_event = lambda event_id: None  # letters are made later, when timed
    scheme = Scheme.objects.get(code="omscholing")
    now = timezone.now()
    opening = Opening.objects.create(
        scheme=scheme,
        code="omscholing-bench",
        name="Omscholingsregeling (bench)",
        opens_at=now - datetime.timedelta(days=2),
        closes_at=now + datetime.timedelta(days=30),
        budget_ceiling=Decimal("100000000.00"),
        distribution="fcfs",
    )
    reviewer = services.create_user(username="bench-behandelaar", role=Role.REVIEWER, schemes=[scheme])
    senior = services.create_user(username="bench-senior", role=Role.SENIOR_REVIEWER, schemes=[scheme])
    today = timezone.localdate()
    unit = {
        "participant": "J. Jansen",
        "occupation": "Software-ontwikkelaar",
        "occupation_sector": "ict",
        "provider": "Techniek Academie",
        "cost": "8000.00",
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=270)).isoformat(),
        "contract_end_date": (today + datetime.timedelta(days=600)).isoformat(),
    }
    for i in range(count + 40):
        org = Organisation.objects.create(
            kvk=f"{40000000 + i:08d}",
            name=f"Werkgever {i} B.V.",
            contact_name="J. de Vries",
            contact_email=f"w{i}@x.nl",
        )
        user = User.objects.create(username=f"werkgever-{i}", role=Role.APPLICANT, organisation=org)
        # a first come, first served grant waits until the day of completeness has ended: those granted came yesterday
        at = now - datetime.timedelta(days=1) if i >= count else None
        app = services.create_draft(
            user=user,
            opening=opening,
            data={"truthfulness_declared": True, "units": [unit, {**unit, "participant": "P. Bakker"}]},
            now=at,
        )
        services.perform(app, "submit", user, now=at)
        if i >= count:  # the last 40 are granted, for the grant letter timings
            services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
            services.perform(app, "start_review", reviewer)
            services.perform(app, "propose_grant", reviewer, {"note": "Voldoet aan de voorwaarden."})
            services.declare_conflict_of_interest(application=app, user=senior, conflict=False)
            services.perform(app, "approve_decision", senior)
    return {"applications": count + 40, "seconds": time.perf_counter() - started}


def time_letters(samples: int) -> dict:
    _setup_django()
    from weasyprint import HTML

    from applications import letters
    from applications.models import AuditEvent, Letter

    def median_ms(fn, n):
        values = []
        for _ in range(n):
            began = time.perf_counter()
            fn()
            values.append((time.perf_counter() - began) * 1000)
        return statistics.median(values)

    HTML(string="<p>warm</p>").write_pdf(pdf_variant="pdf/ua-1")
    baseline = median_ms(
        lambda: HTML(string='<html lang="nl"><title>t</title><p>Eén regel.</p></html>').write_pdf(
            pdf_variant="pdf/ua-1"
        ),
        samples,
    )
    grants = list(AuditEvent.objects.filter(action="approve_decision").order_by("id")[:samples])
    receipts = list(AuditEvent.objects.filter(action="submit").order_by("-id")[: samples + len(grants)])
    receipts = [e for e in receipts if e.application_id not in {g.application_id for g in grants}][:samples]

    def pdf_only(event):
        spec = letters.spec_for_event(event)
        letter = Letter(
            application=event.application, kind=spec.kind, key=spec.key, event=event, decision=spec.decision
        )
        html, _subject = letters.render_html(letter)
        return lambda: letters.render_pdf(html)

    result = {"baseline_ms": baseline}
    result["receipt_pdf"] = median_ms(pdf_only(receipts[0]), samples)
    result["grant_pdf"] = median_ms(pdf_only(grants[0]), samples)
    for name, events in (("receipt_issue", receipts), ("grant_issue", grants)):
        values = []
        for event in events:
            began = time.perf_counter()
            letters.issue_for_event(event)
            values.append((time.perf_counter() - began) * 1000)
        result[name] = statistics.median(values)
    Letter.objects.filter(application_id__in=[e.application_id for e in receipts]).delete()
    return result


def bulk(count: int) -> dict:
    _setup_django()
    from django.db.models import Count

    from applications import tasks
    from applications.models import AuditEvent, Letter

    events = list(
        AuditEvent.objects.filter(action="submit")
        .exclude(application__letters__isnull=False)
        .order_by("id")
        .values_list("pk", flat=True)[:count]
    )
    began = time.perf_counter()
    for event_id in events:
        tasks.after_event.delay(event_id)
    deadline = time.time() + 1800
    keys = [
        f"receipt:application:{a}"
        for a in AuditEvent.objects.filter(pk__in=events).values_list("application_id", flat=True)
    ]
    while time.time() < deadline:
        done = Letter.objects.filter(key__in=keys).exclude(status=Letter.Status.PENDING).count()
        if done >= len(events):
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - began
    letters_ = Letter.objects.filter(key__in=keys)
    duplicates = Letter.objects.values("application_id", "kind").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "letters": letters_.count(),
        "seconds": seconds,
        "rendered": letters_.filter(status=Letter.Status.RENDERED).count(),
        "failed": letters_.filter(status=Letter.Status.FAILED).count(),
        "duplicates": duplicates,
        "emails": letters_.filter(emailed_at__isnull=False).count(),
    }


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        mode, rest = sys.argv[2], sys.argv[3:]
        if mode == "setup":
            out = setup(int(rest[0]))
        elif mode == "time":
            out = time_letters(int(rest[0]))
        else:
            out = bulk(int(rest[0]))
        print(json.dumps(out))
