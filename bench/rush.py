"""Opening-day rush: thousands of submissions over HTTP against one fcfs ceiling.

Creates a fresh PostgreSQL database, migrates it, opens two fcfs openings whose
ceilings cover half of the submissions each, and starts gunicorn (gthread) on a
free port. Many client threads then each create a draft (POST
/api/v1/applications/) and submit it (POST .../actions/submit/) with their
organisation's API token: the two-request flow, the figure the issue asks for.
Then the same count again in one request each (``"submit": true`` in the POST,
one transaction) against the second opening.
Printed per flow: throughput, latency (median, p95) of a whole submission, the
server's CPU and the SQL statements per submission; the same for a bare
endpoint that inserts one row (the baseline, served by the same gunicorn from
``bench._rush_site``), the ratio, and the invariants checked afterwards in the
database: the ceiling never exceeded, every accepted submission stored with its
reference and queue position, none lost, every one over the ceiling marked.

The machine is shared: throughput and latency move with whatever else runs; the
CPU per submission (gunicorn + the benchmark database's backends) is the steady
figure to compare changes with.

    python -m bench rush [--count 2000] [--clients 16] [--workers 4] [--threads 1] [--flow both|two|one]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "opensubsidie_bench_rush"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench rush", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="submissions (default 2000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--organisations", type=int, default=200, help="employers with a token (default 200)")
    # one thread per process: on 2 cores, threads of one process only add GIL hand-overs (more CPU per
    # submission, and the opening's lock holder waits for the GIL while the others queue behind the lock)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1)")
    parser.add_argument(
        "--flow",
        choices=("both", "two", "one"),
        default="both",
        help='two requests per submission (draft, then submit), one ("submit": true), or both (default)',
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create the benchmark database on",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="broker for the letters queued on commit ('' runs them in-process)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    return parser.parse_args(argv)


# --- the database -------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _query(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


# --- the server ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(db_url: str, redis_url: str, workers: int, threads: int) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench._rush_site",
        DATABASE_URL=db_url,
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-" + "b" * 60,
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        DB_CONN_MAX_AGE="600",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _start_gunicorn(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--preload",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start (exit {server.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("POST", "/bench/baseline/", body=b"warm-up")
            if conn.getresponse().status == 201:
                conn.close()
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


# --- CPU spent by the server, whatever else runs on the machine -----------------------------


def _cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of gunicorn (master and workers) and of the benchmark database's backends."""
    tick = os.sysconf("SC_CLK_TCK")
    python = postgres = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(entry) == server_pid or int(fields[1]) == server_pid:
            python += seconds
        elif cmdline.startswith("postgres:") and f" {DB_NAME} " in cmdline:
            postgres += seconds
    return python, postgres


# --- the clients ---------------------------------------------------------------------


class Client:
    """One keep-alive connection; JSON in and out."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    queries = 0  # SQL statements the server reported (X-Queries) for this client's requests

    def post(self, path: str, body: dict | bytes, token: str | None = None) -> tuple[int, dict]:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                self.queries += int(response.getheader("X-Queries") or 0)
                return response.status, (json.loads(data) if data else {})
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed an idle keep-alive connection: reconnect once, never resend a
                # request the server may have received (that one is reported as lost instead)
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def _drive(port: int, count: int, clients: int, job) -> tuple[float, list[float], list, int]:
    """Run ``job(client, i)`` for i in range(count) on ``clients`` threads.

    Returns the wall time, the latencies, the outcomes and the SQL statements the server reported.
    """
    lock = threading.Lock()
    queries = [0]
    next_index = iter(range(count))
    latencies: list[float] = [0.0] * count
    outcomes: list = [None] * count
    start_line = threading.Barrier(clients + 1)

    def worker():
        client = Client(port)
        start_line.wait()
        try:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                began = time.perf_counter()
                try:
                    outcomes[i] = job(client, i)
                except Exception as exc:  # reported, and counted as lost
                    outcomes[i] = exc
                latencies[i] = time.perf_counter() - began
        finally:
            client.close()
            with lock:
                queries[0] += client.queries

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, outcomes, queries[0]


def _unit(n: int) -> dict:
    return {
        "participant": f"J. Jansen {n}",
        "occupation": "DevOps-engineer",
        "occupation_sector": "ict",
        "provider": "Hogeschool Utrecht",
        "cost": "8000.00",
        "start_date": "2027-01-04",
        "end_date": "2027-07-02",
        "contract_end_date": "2029-01-01",
    }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _figures(label: str, wall: float, latencies: list[float], count: int) -> float:
    rate = count / wall
    print(
        f"{label:<12} {count:>6} in {wall:6.2f} s = {rate:7.1f}/s   "
        f"latency median {statistics.median(latencies) * 1000:6.1f} ms   p95 {_percentile(latencies, 95) * 1000:6.1f} ms",
        flush=True,
    )
    return rate


# --- the run --------------------------------------------------------------------------


def run(argv: list[str]) -> int:
    args = _arguments(argv)
    db_url = _with_db(args.postgres, DB_NAME)
    env = _environment(db_url, args.redis, args.workers, args.threads)
    _admin(args.postgres, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")
    server = None
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        made = subprocess.run(
            [sys.executable, "-m", "bench._rush_site", "setup", str(args.count), str(args.organisations)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        site = json.loads(made.stdout.strip().splitlines()[-1])
        tokens = site["tokens"]
        port = _free_port()
        server = _start_gunicorn(env, port, args.workers, args.threads)
        print(
            f"gunicorn {args.workers} workers × {args.threads} threads (gthread), {args.clients} clients, "
            f"{args.count} submissions per flow, {len(tokens)} employers, ceiling € {site['ceiling']} per opening "
            f"(room for {args.count // 2})",
            flush=True,
        )

        def insert_one(client: Client, i: int):
            return client.post("/bench/baseline/", {"n": i})

        def submit_in_two(client: Client, i: int):
            token = tokens[i % len(tokens)]
            status, body = client.post(
                "/api/v1/applications/",
                {"opening": site["opening"], "units": [_unit(i)], "truthfulness_declared": True},
                token,
            )
            if status != 201:
                return ("draft", status, body)
            reference = body["reference"]
            status, body = client.post(f"/api/v1/applications/{reference}/actions/submit/", {}, token)
            return ("submit", status, body) if status != 200 else ("ok", reference, body)

        def submit_in_one(client: Client, i: int):
            status, body = client.post(
                "/api/v1/applications/",
                {"opening": site["opening_one"], "units": [_unit(i)], "truthfulness_declared": True, "submit": True},
                tokens[i % len(tokens)],
            )
            if status != 201 or body.get("state") != "submitted":
                return ("submit", status, body)
            return ("ok", body["reference"], body)

        flows = {
            "two": ("2 requests", submit_in_two, site["opening_id"]),
            "one": ("1 request", submit_in_one, site["opening_one_id"]),
        }
        chosen = ["two", "one"] if args.flow == "both" else [args.flow]
        _drive(port, min(200, args.count), args.clients, insert_one)  # warm every worker up
        load_before = os.getloadavg()[0]
        cpu_0 = _cpu_seconds(server.pid)
        wall_b, lat_b, out_b, _queries = _drive(port, args.count, args.clients, insert_one)
        cpu_1 = _cpu_seconds(server.pid)
        results, client_cpu = {}, {}
        for flow in chosen:
            client_0 = time.process_time()
            wall, latencies, outcomes, queries = _drive(port, args.count, args.clients, flows[flow][1])
            client_cpu[flow] = (time.process_time() - client_0) / args.count * 1000
            cpu_2 = _cpu_seconds(server.pid)
            results[flow] = (wall, latencies, outcomes, queries, cpu_1, cpu_2)
            cpu_1 = cpu_2
        print("-" * 100)
        rate_b = _figures("baseline", wall_b, lat_b, args.count)
        rates = {flow: _figures(flows[flow][0], *results[flow][:2], args.count) for flow in chosen}
        for flow in chosen:
            print(
                f"ratio        {flows[flow][0]}: submissions/s ÷ baseline inserts/s = {rates[flow] / rate_b:.2f}"
                "  (aim ≥ 0.50)"
            )
        cores = os.cpu_count() or 1
        rows = [("baseline", cpu_0, results[chosen[0]][4], None)]
        rows += [(flows[flow][0], results[flow][4], results[flow][5], results[flow][3]) for flow in chosen]
        for label, a, b, queries in rows:
            py, pg = (b[0] - a[0]) / args.count * 1000, (b[1] - a[1]) / args.count * 1000
            print(
                f"server CPU   {label:<12} {py:6.2f} ms gunicorn + {pg:5.2f} ms PostgreSQL per submission"
                f" → at most {cores * 1000 / (py + pg):7.1f}/s on {cores} idle cores"
                + (f"; {queries / args.count:.1f} SQL statements" if queries is not None else "")
            )
        print(
            "client CPU   "
            + "; ".join(f"{flows[flow][0]} {client_cpu[flow]:.2f} ms per submission" for flow in chosen)
            + " (the load generator shares the cores)"
        )
        print(
            f"machine load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (shared machine: other work counts)"
        )
        for flow in chosen:
            p95 = _percentile(results[flow][1], 95)
            print(
                f"aims         {flows[flow][0]:<12} ≥ 100 submissions/s: {'yes' if rates[flow] >= 100 else 'NO'}; "
                f"p95 < 250 ms: {'yes' if p95 < 0.25 else 'NO'}; "
                f"≥ half the baseline: {'yes' if rates[flow] >= rate_b / 2 else 'NO'}"
            )
        failures_b = [o for o in out_b if isinstance(o, Exception) or o[0] != 201]
        status = 0
        for flow in chosen:
            status |= _check(db_url, flows[flow][0], flows[flow][2], site, args.count, results[flow][2], failures_b)
        return status
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.redis:
            _purge_queue(args.redis)
        if not args.keep:
            _admin(args.postgres, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _purge_queue(redis_url: str) -> None:
    """The letters queued by the rush are the benchmark's own: never left for a real worker."""
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=2).delete("celery")
    except Exception:
        pass


def _check(
    db_url: str, label: str, opening_id: int, site: dict, count: int, outcomes: list, failures_baseline: list
) -> int:
    accepted = {o[1]: o[2] for o in outcomes if isinstance(o, tuple) and o[0] == "ok"}
    refused = [o for o in outcomes if not (isinstance(o, tuple) and o[0] == "ok")]
    ceiling, reserved, committed, queue_length = _query(
        db_url,
        "SELECT budget_ceiling, reserved, committed, queue_length FROM schemes_opening WHERE id = %s",
        [opening_id],
    )[0]
    rows = _query(
        db_url,
        "SELECT reference, state, queue_position, over_ceiling, amount_reserved FROM applications_application "
        "WHERE opening_id = %s",
        [opening_id],
    )
    ledger = dict(
        _query(
            db_url,
            "SELECT kind, sum(amount) FROM schemes_ledgerentry WHERE opening_id = %s GROUP BY kind",
            [opening_id],
        )
    )
    stored = {r[0]: r for r in rows if r[1] == "submitted"}
    positions = sorted(r[2] for r in stored.values())
    fitting = [r for r in stored.values() if not r[3]]
    unit = Decimal(site["unit_amount"])
    checks = {
        "ceiling never exceeded (reserved + committed ≤ ceiling)": reserved + committed <= ceiling,
        "every client got its submission accepted": not refused,
        "every accepted submission stored as submitted, with its reference": set(accepted) <= set(stored),
        "none lost: stored submissions = accepted submissions": len(stored) == len(accepted),
        "queue positions 1..N without gaps or doubles": positions == list(range(1, len(stored) + 1))
        and queue_length == len(stored),
        "the answer carried the stored queue position": all(
            accepted[ref]["queue_position"] == stored[ref][2] for ref in accepted if ref in stored
        ),
        "exactly the ceiling's room reserved, the rest marked over the ceiling": len(fitting)
        == min(len(stored), int(ceiling // unit))
        and all(r[4] == 0 for r in stored.values() if r[3]),
        "the first in the queue got the room": sorted(r[2] for r in fitting) == list(range(1, len(fitting) + 1)),
        "ledger reserve - release = reserved": ledger.get("reserve", 0) - ledger.get("release", 0) == reserved,
        "baseline: every insert answered 201": not failures_baseline,
    }
    print("-" * 100)
    print(
        f"{label}: stored {len(stored)} submitted of {count}; {len(fitting)} within the ceiling, "
        f"{len(stored) - len(fitting)} over it; reserved € {reserved} of € {ceiling}"
    )
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    for sample in refused[:5]:
        print("  refused:", sample)
    return 0 if all(checks.values()) else 1
