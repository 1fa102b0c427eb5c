"""Never lose a decision: Redis, a worker and a database connection break under real load, nothing is lost.

Each test starts what it breaks itself (``processes``): its own Redis on a free
port, gunicorn and a Celery worker (with its beat) as subprocesses against the
test database, and kills them with SIGKILL. Every scenario ends with every
letter and e-mail delivered exactly once, and the reconciliation finding nothing.
The figures (time to recover, latency with Redis down) come from
``python -m bench faults``, not from here.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from applications import reconcile, services
from applications.models import Application, Letter, Outbox
from tests.factories import (
    OpeningFactory,
    act,
    api_token,
    declare_no_conflict,
    employer,
    reviewer,
    senior,
    submitted,
    traject,
)

from .processes import Gunicorn, Redis, Worker, environment, mails, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def world(tmp_path, settings):
    """A scheme's opening, its team with API tokens, and a Redis, a web server and a worker of our own."""
    opening = OpeningFactory(omscholing=True, code="storing")
    scheme = opening.scheme
    team = {
        "opening": opening,
        "employers": [employer() for _ in range(12)],
        "reviewer": reviewer([scheme]),
        "senior": senior([scheme]),
    }
    team["tokens"] = {u.pk: api_token(u) for u in [*team["employers"], team["senior"]]}
    redis = Redis().start()
    env = environment(
        database_url=database_url(),
        redis_url=redis.url,
        media_root=settings.MEDIA_ROOT,
        mail_dir=tmp_path / "mail",
    )
    started: list = [redis]
    web = Gunicorn(env, log=tmp_path / "gunicorn.log")
    started.append(web.start())

    def worker() -> Worker:
        started.append(Worker(env, log=tmp_path / "worker.log").start())
        return started[-1]

    yield {**team, "redis": redis, "web": web, "worker": worker, "mail_dir": tmp_path / "mail"}
    for process in reversed(started):
        process.kill()


def submit_over_http(world, user) -> str:
    status, body = world["web"].request(
        "POST",
        "/api/v1/applications/",
        {"opening": world["opening"].code, "submit": True, "truthfulness_declared": True, "units": [traject()]},
        token=world["tokens"][user.pk],
    )
    assert status == 201, body
    return body["reference"]


def approve_over_http(world, reference: str) -> None:
    # the second reviewer declares no conflict of interest first, as every staff act on a case asks
    declare_no_conflict(Application.objects.get(reference=reference), world["senior"])
    path = f"/api/v1/applications/{reference}/actions/approve_decision/"
    status, body = world["web"].request("POST", path, {}, token=world["tokens"][world["senior"].pk])
    assert status == 200, body


def proposed_grant(world, user):
    """Submitted and proposed for a grant in this process (its receipt is delivered here, eagerly)."""
    app = submitted(world["opening"], user, units=1)
    act(app, "start_review", world["reviewer"])
    services.declare_conflict_of_interest(application=app, user=world["reviewer"], conflict=False)
    return act(app, "propose_grant", world["reviewer"], {"note": "Voldoet."})


def delivered_exactly_once(world, keys: list[str], *, timeout: float = 120) -> None:
    wait_for(
        lambda: Outbox.objects.filter(key__in=keys, status=Outbox.Status.DONE).count() == len(keys),
        timeout=timeout,
        every=0.5,
        what=f"{len(keys)} owed letters to be delivered",
    )
    letter_keys = [key.removeprefix("letter:") for key in keys]
    letters = Letter.objects.filter(key__in=letter_keys)
    assert sorted(letters.values_list("key", flat=True)) == sorted(letter_keys)  # one Letter per key
    assert all(letter.status == Letter.Status.RENDERED and letter.file and letter.emailed_at for letter in letters)
    references = {letter.application.reference for letter in letters}
    subjects = Counter(str(m["Subject"]) for m in mails(world["mail_dir"]))
    expected = Counter(f"Nieuwe brief over uw aanvraag {letter.application.reference}" for letter in letters)
    assert {s: n for s, n in subjects.items() if any(r in s for r in references)} == dict(expected)
    assert reconcile.run() == []


def test_redis_killed_with_work_queued_loses_no_letter_and_no_e_mail(world):
    """The measured incident: worker stopped, 5 submissions and 2 grants, Redis killed without persistence."""
    proposals = [proposed_grant(world, user) for user in world["employers"][:2]]
    references = [submit_over_http(world, user) for user in world["employers"][2:7]]
    for app in proposals:
        approve_over_http(world, app.reference)
    keys = list(
        Outbox.objects.filter(application__reference__in=[*references, *(a.reference for a in proposals)])
        .exclude(status=Outbox.Status.DONE)
        .values_list("key", flat=True)
    )
    assert len(keys) == 7 and world["redis"].queued() == 7  # the prompts sit in Redis, nobody takes them
    world["redis"].kill()  # and are gone
    world["redis"].start()
    assert world["redis"].queued() == 0
    world["worker"]()
    delivered_exactly_once(world, keys)


def test_with_redis_down_submissions_and_decisions_still_answer_and_their_letters_follow(world):
    proposal = proposed_grant(world, world["employers"][0])
    world["redis"].kill()
    references = [submit_over_http(world, user) for user in world["employers"][1:4]]
    approve_over_http(world, proposal.reference)
    keys = list(
        Outbox.objects.filter(application__reference__in=[*references, proposal.reference], status="owed").values_list(
            "key", flat=True
        )
    )
    assert len(keys) == 4
    world["redis"].start()
    world["worker"]()
    delivered_exactly_once(world, keys)


def test_a_worker_killed_mid_render_leaves_its_letters_to_the_next_worker(world):
    references = [submit_over_http(world, user) for user in world["employers"]]
    keys = list(Outbox.objects.filter(application__reference__in=references).values_list("key", flat=True))
    assert len(keys) == 12
    first = world["worker"]()
    # a letter in the making: its row exists, its render has begun (attempts), it is not rendered yet
    wait_for(
        lambda: Letter.objects.filter(status=Letter.Status.PENDING, attempts__gte=1).exists(),
        timeout=90,
        every=0.02,
        what="a letter to be rendering",
    )
    first.kill()
    done_before = Outbox.objects.filter(key__in=keys, status=Outbox.Status.DONE).count()
    assert done_before < 12
    world["worker"]()
    delivered_exactly_once(world, keys)


def test_a_terminated_database_connection_costs_no_error(world):
    token = world["tokens"][world["employers"][0].pk]
    for _ in range(6):  # every gunicorn worker holds a persistent connection now
        assert world["web"].request("GET", "/api/v1/applications/", token=token)[0] == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1
    answers = [world["web"].request("GET", "/api/v1/applications/", token=token)[0] for _ in range(10)]
    assert answers == [200] * 10
    assert submit_over_http(world, world["employers"][1])
