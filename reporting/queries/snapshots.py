"""The figures of every day, kept: a report of any date reads a few rows instead of the whole trail.

Why daily snapshots plus the day's events, and not counters kept by the
services in the same transaction: counters would put one hot row per opening
in every submission's and decision's transaction (the rush of an opening day
would queue on it), they answer only "now" (a past date would still need the
trail), and every new figure would mean a migration of the counters and of
every service that moves them. The trail is the record; the snapshots are
derived from it after the day, by one job, with the same code that recomputes
a report from the trail (``facts``), and a test compares the two on random
histories.

How it works:

- ``catch_up`` (daily, after midnight; ``manage.py snapshot_reports``) takes each
  day with events or ledger entries since the last pass, recomputes from the
  trail the facts of the applications touched that day, and stores per opening
  the figures of the previous day minus their old facts plus their new ones,
  plus the day's ledger entries (``OpeningDay``, one row per opening and active
  day). It keeps each application's latest fact (``ApplicationFact``) and the
  periods in which an organisation held a grant in an opening
  (``GrantedOrganisation``).
- ``figures_at`` answers for a date: up to the last day processed, each
  opening's latest ``OpeningDay`` at or before it; after it (today), that plus
  the facts of the applications touched since, recomputed from the trail.
- A row of the trail or the ledger that turns up later dated on a processed day
  (a back-dated import) makes the snapshots stale: reads then recompute from
  the trail, and the next pass builds the snapshots again.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max

from applications import clocks
from applications.models import AuditEvent
from applications.states import GRANTED_STATES
from reporting.models import ApplicationFact, GrantedOrganisation, OpeningDay, SnapshotRun
from schemes.models import LedgerEntry

from . import figures as fig
from .base import _dt, _fetch, _report_session, _table, end_of_day
from .facts import Fact, facts_from_trail

# --- facts stored as JSON -------------------------------------------------------------------------


def _fact_json(fact: Fact) -> dict:
    return {
        "application_id": fact.application_id,
        "opening_id": fact.opening_id,
        "organisation_id": fact.organisation_id,
        "state": fact.state,
        "sector": fact.sector,
        "size_class": fact.size_class,
        "province": fact.province,
        "channel": fact.channel,
        "units": fact.units,
        "amount": str(fact.amount),
        "decision_due": fact.decision_due.isoformat() if fact.decision_due else None,
        "notice_on": fact.notice_on.isoformat() if fact.notice_on else None,
        "reason": fact.reason,
        "lead_days": fact.lead_days,
        "occupations": [list(pair) for pair in fact.occupations],
        "progress": list(fact.progress),
    }


def _fact(data: dict) -> Fact:
    return Fact(
        **{
            **data,
            "amount": Decimal(data["amount"]),
            "decision_due": datetime.date.fromisoformat(data["decision_due"]) if data["decision_due"] else None,
            "notice_on": datetime.date.fromisoformat(data["notice_on"]) if data["notice_on"] else None,
            "occupations": tuple(tuple(pair) for pair in data["occupations"]),
            "progress": tuple(data["progress"]),
        }
    )


def _stored_facts(app_ids) -> list[Fact]:
    facts = []
    ids = list(app_ids)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        facts += [
            _fact(f) for f in ApplicationFact.objects.filter(application_id__in=chunk).values_list("fact", flat=True)
        ]
    return facts


# --- the daily pass ---------------------------------------------------------------------------------


def latest_run() -> SnapshotRun | None:
    return SnapshotRun.objects.order_by("-through", "-id").first()


def is_stale(run: SnapshotRun) -> bool:
    """A row of the trail or the ledger dated on a processed day that the pass did not see."""
    end = end_of_day(run.through)
    return (
        AuditEvent.objects.filter(pk__gt=run.last_event_id, at__lt=end).exists()
        or LedgerEntry.objects.filter(pk__gt=run.last_ledger_id, at__lt=end).exists()
    )


def _wipe() -> None:
    for model in (OpeningDay, ApplicationFact, GrantedOrganisation, SnapshotRun):
        model.objects.all().delete()


def _next_active_day(after: datetime.datetime | None, before: datetime.datetime) -> datetime.date | None:
    """The first day with an event or a ledger entry at or after ``after`` and before ``before``."""
    moments = []
    for model in (AuditEvent, LedgerEntry):
        rows = model.objects.filter(at__lt=before)
        if after is not None:
            rows = rows.filter(at__gte=after)
        first = rows.order_by("at").values_list("at", flat=True).first()
        if first is not None:
            moments.append(first)
    return clocks.local_date(min(moments)) if moments else None


def catch_up(through: datetime.date | None = None) -> int:
    """Process every day up to ``through`` (default yesterday) not processed yet; the number of active days."""
    through = through or clocks.local_date() - datetime.timedelta(days=1)
    with transaction.atomic():
        run = latest_run()
        if run is not None and is_stale(run):
            _wipe()
            run = None
        if run is not None and run.through >= through:
            return 0
        last_event = AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        last_ledger = LedgerEntry.objects.aggregate(m=Max("pk"))["m"] or 0
    before = end_of_day(through)
    after = end_of_day(run.through) if run is not None else None
    processed = 0
    # the run's row moves with each day, in that day's transaction: a run that stops half-way (a deploy, a crash)
    # leaves the days it did as done, and the next run goes on from there
    mark = SnapshotRun(last_event_id=last_event, last_ledger_id=last_ledger)
    day = _next_active_day(after, before)
    while day is not None and day <= through:
        with transaction.atomic():
            _process(day)
            processed += 1
            mark.through, mark.days = day, processed
            mark.save()
        day = _next_active_day(end_of_day(day), before)
    mark.through, mark.days = through, processed
    mark.save()
    if processed and connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the planner's picture of the tables that just grew
            for model in (OpeningDay, ApplicationFact, GrantedOrganisation):
                cursor.execute(f"ANALYZE {_table(model)}")
    return processed


def _touched(start: datetime.datetime | None, end: datetime.datetime, opening_ids=None) -> list[int]:
    rows = AuditEvent.objects.filter(at__lt=end)
    if start is not None:
        rows = rows.filter(at__gte=start)
    if opening_ids is not None:
        rows = rows.filter(application__opening_id__in=opening_ids)
    return list(rows.order_by().values_list("application_id", flat=True).distinct())


def _ledger_rows(start: datetime.datetime | None, end: datetime.datetime, opening_ids=None) -> list[tuple]:
    """(opening, kind, sum) of the ledger entries booked in [start, end)."""
    entry = _table(LedgerEntry)
    where, params = ["at < %s"], [_dt(end)]
    if start is not None:
        where.append("at >= %s")
        params.append(_dt(start))
    if opening_ids is not None:
        where.append(f"opening_id IN ({', '.join(str(int(pk)) for pk in opening_ids) or 'NULL'})")
    sql = f"SELECT opening_id, kind, SUM(amount) FROM {entry} WHERE {' AND '.join(where)} GROUP BY opening_id, kind"
    return _fetch(sql, params)


def _changes(start, end, opening_ids=None) -> tuple[dict[int, dict], list[Fact], list[Fact]]:
    """The change of each opening's figures in [start, end): the touched applications' new facts minus their
    stored ones, plus the ledger entries; and both lists of facts."""
    touched = _touched(start, end, opening_ids)
    new = facts_from_trail(end, app_ids=touched)
    old = _stored_facts(touched)
    delta = fig.of_facts(new)
    fig.of_facts(old, delta, -1)
    for opening_id, kind, amount in _ledger_rows(start, end, opening_ids):
        fig.add_ledger(delta.setdefault(opening_id, fig.empty()), kind, amount)
    return delta, old, new


def _stored_figures(opening_ids, day: datetime.date) -> dict[int, dict]:
    """Each opening's figures at the end of ``day``: its latest ``OpeningDay`` at or before it (two queries,
    however many openings)."""
    latest = (
        OpeningDay.objects.filter(opening_id__in=opening_ids, day__lte=day)
        .values("opening_id")
        .annotate(last=Max("day"))
        .values_list("opening_id", "last")
    )
    last_day = dict(latest)
    if not last_day:
        return {}
    # the rows of those days, kept where the day is the opening's own last (no OR per opening: any count of them)
    rows = OpeningDay.objects.filter(opening_id__in=list(last_day), day__in=set(last_day.values()))
    return {
        opening_id: fig.from_json(figures)
        for opening_id, on, figures in rows.values_list("opening_id", "day", "figures")
        if last_day[opening_id] == on
    }


def _process(day: datetime.date) -> None:
    start, end = end_of_day(day - datetime.timedelta(days=1)), end_of_day(day)
    delta, old, new = _changes(start, end)
    previous = _stored_figures(list(delta), day)
    OpeningDay.objects.bulk_create(
        [
            OpeningDay(opening_id=opening_id, day=day, figures=fig.to_json(_plus(previous.get(opening_id), change)))
            for opening_id, change in delta.items()
        ]
    )
    ApplicationFact.objects.filter(application_id__in=[f.application_id for f in old]).delete()
    ApplicationFact.objects.bulk_create(
        [
            ApplicationFact(
                application_id=f.application_id,
                opening_id=f.opening_id,
                organisation_id=f.organisation_id,
                sector=f.sector,
                granted=f.state in GRANTED_STATES,
                fact=_fact_json(f),
            )
            for f in new
        ],
        batch_size=2000,
    )
    _follow_grants(day, {(f.opening_id, f.organisation_id) for f in (*old, *new)})


def _plus(base: dict | None, change: dict) -> dict:
    total = base if base is not None else fig.empty()
    fig.add(total, change)
    return total


def _follow_grants(day: datetime.date, pairs: set[tuple[int, int]]) -> None:
    """Open or close the periods in which each (opening, organisation) pair held a grant."""
    if not pairs:
        return
    organisations = {org for _o, org in pairs}
    holding = {}
    for opening_id, org, sector, n in (
        ApplicationFact.objects.filter(organisation_id__in=organisations, granted=True)
        .values("opening_id", "organisation_id", "sector")
        .annotate(n=Count("application_id"))
        .order_by()
        .values_list("opening_id", "organisation_id", "sector", "n")
    ):
        holding[(opening_id, org)] = (sector, n)
    open_periods = {
        (g.opening_id, g.organisation_id): g
        for g in GrantedOrganisation.objects.filter(organisation_id__in=organisations, to_day=None)
    }
    created, changed = [], []
    for pair in pairs:
        period = open_periods.get(pair)
        if pair in holding and period is None:
            sector, n = holding[pair]
            created.append(
                GrantedOrganisation(opening_id=pair[0], organisation_id=pair[1], sector=sector, from_day=day, holding=n)
            )
        elif pair not in holding and period is not None:
            period.to_day, period.holding = day, 0
            changed.append(period)
        elif period is not None and period.holding != holding[pair][1]:
            period.holding = holding[pair][1]
            changed.append(period)
    GrantedOrganisation.objects.bulk_create(created)
    GrantedOrganisation.objects.bulk_update(changed, ["to_day", "holding"])


# --- reading: the figures of a date --------------------------------------------------------------------


def figures_at(opening_ids: list[int], day: datetime.date, *, recompute: bool = False):
    """Per opening its figures at the end of ``day``, and the organisations holding a grant in any of the
    openings: ``(figures_by_opening, (total, by_sector))``.

    ``recompute`` ignores the snapshots and computes everything from the trail
    (what the snapshots must always equal).
    """
    end = end_of_day(day)
    run = None if recompute else latest_run()
    if run is not None and is_stale(run):
        run = None
    if run is None:
        with transaction.atomic(), _report_session():
            facts = facts_from_trail(end, opening_ids=opening_ids) if opening_ids else []
        by_opening = fig.of_facts(facts)
        for opening_id, kind, amount in _ledger_rows(None, end, opening_ids):
            fig.add_ledger(by_opening.setdefault(opening_id, fig.empty()), kind, amount)
        holders = {(f.organisation_id, f.sector) for f in facts if f.state in GRANTED_STATES}
        return by_opening, _organisations(holders)
    with transaction.atomic(), _report_session():
        base = min(day, run.through)
        by_opening = _stored_figures(opening_ids, base)
        if day <= run.through:
            return by_opening, _organisations_stored(opening_ids, base)
        delta, old, new = _changes(end_of_day(run.through), end, opening_ids)
        for opening_id, change in delta.items():
            by_opening[opening_id] = _plus(by_opening.get(opening_id), change)
        return by_opening, _organisations_since(opening_ids, run.through, old, new)


def _organisations(holders: set[tuple[int, str]], by_sector: dict[str, int] | None = None):
    counts: dict[str, int] = defaultdict(int, by_sector or {})
    for _org, sector in holders:
        counts[sector] += 1
    counts = {k: v for k, v in counts.items() if v}
    return sum(counts.values()), dict(sorted(counts.items()))


def _active_sql(opening_ids, exclude_orgs=()) -> str:
    table = _table(GrantedOrganisation)
    ids = ", ".join(str(int(pk)) for pk in opening_ids) or "NULL"
    excluded = ""
    if exclude_orgs:
        excluded = f"AND organisation_id NOT IN ({', '.join(str(int(pk)) for pk in exclude_orgs)})"
    return f"""
        SELECT sector, COUNT(*) FROM (
            SELECT DISTINCT organisation_id, sector FROM {table}
            WHERE opening_id IN ({ids}) AND from_day <= %s AND (to_day IS NULL OR to_day > %s) {excluded}
        ) held GROUP BY sector
    """


def _organisations_stored(opening_ids, day: datetime.date):
    params = [connection.ops.adapt_datefield_value(day)] * 2
    return _organisations(set(), dict(_fetch(_active_sql(opening_ids), params)))


def _organisations_since(opening_ids, through: datetime.date, old: list[Fact], new: list[Fact]):
    """The stored periods at ``through`` for the organisations nothing happened to since, and for the rest
    their facts now: the stored ones of their untouched applications plus the new ones."""
    touched_orgs = {f.organisation_id for f in (*old, *new)}
    params = [connection.ops.adapt_datefield_value(through)] * 2
    by_sector = dict(_fetch(_active_sql(opening_ids, touched_orgs), params)) if opening_ids else {}
    holders = set()
    if touched_orgs and opening_ids:
        periods = _table(GrantedOrganisation)
        orgs = ", ".join(str(int(pk)) for pk in touched_orgs)
        ids = ", ".join(str(int(pk)) for pk in opening_ids)
        # their grants as the last night left them (the running periods), less those of the applications touched
        stored = defaultdict(int)
        sql = f"""
            SELECT organisation_id, sector, SUM(holding) FROM {periods}
            WHERE organisation_id IN ({orgs}) AND opening_id IN ({ids}) AND to_day IS NULL GROUP BY 1, 2
        """
        for org, sector, n in _fetch(sql):
            stored[(org, sector)] += int(n or 0)
        scope = set(opening_ids)
        for f in old:
            if f.state in GRANTED_STATES and f.opening_id in scope:
                stored[(f.organisation_id, f.sector)] -= 1
        holders = {pair for pair, n in stored.items() if n > 0}
    holders |= {(f.organisation_id, f.sector) for f in new if f.state in GRANTED_STATES}
    return _organisations(holders, by_sector)
