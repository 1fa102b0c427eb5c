"""The KPI figures of an opening, a scheme or the portfolio, as of any date.

Everything is computed in the database from the audit trail and the ledger,
never from the current state columns, so a report rerun for a moment in the
past gives the same answer after later changes:

- the state of an application at a date is the ``to_state`` of its last
  state-changing audit event at or before the end of that day (for ``closed``
  the state it was closed from, so a closed grant still counts as granted);
- money is the sum of the ledger entries booked at or before that moment.

One pass over the audit events (a window function: the last event per
application, and the moments of submission and of the first decision) fills a
temporary table; the figures are a handful of grouped aggregates over it. The
result is a plain dict that the API, ``kpi_report``, the dashboards and the
exports all share; ``docs/reports.md`` says what each figure means.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from applications import clocks
from applications.models import (
    Application,
    AuditEvent,
    Decision,
    DefaultNotice,
    Objection,
    Organisation,
    Tranche,
    Unit,
)
from applications.states import (
    FIRST_DECISION_STATES,
    GRANTED_STATES,
    OPEN_STATES,
    TERM_RUNNING_STATES,
    WAITING_FOR_US,
    State,
)
from schemes.models import KPI, BudgetChange, KPIMeasurement, LedgerEntry, Opening, Scheme

SCOPES = ("opening", "scheme", "portfolio")
PORTFOLIO_CODES = ("all", "alle")
PILLARS = {
    1: "instroom bèta-technisch onderwijs",
    2: "behouden en aantrekken van werkenden",
    3: "arbeidsproductiviteit",
    4: "governance en minder versnippering",
}

# The category an application counts under, from its (effective) state.
OPEN = "open"
CATEGORY = {
    State.DRAFT: "draft",
    **{state: OPEN for state in OPEN_STATES},
    **{state: "granted" for state in GRANTED_STATES},
    State.REJECTED: "rejected",
    State.WITHDRAWN: "withdrawn",
    State.NOT_CONSIDERED: "not_considered",
    State.REVOKED: "revoked",
}
DECISION_STATES = FIRST_DECISION_STATES
CATEGORIES = ("draft", OPEN, "granted", "rejected", "withdrawn", "not_considered", "revoked")

TWO = Decimal("0.01")


class ReportError(Exception):
    """A report that cannot be made: ``status`` 400 (bad input) or 404 (unknown code)."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.status = status


# --- small helpers -------------------------------------------------------------


def money(value) -> str:
    return str(Decimal(value or 0).quantize(TWO, rounding=ROUND_HALF_UP))


def pct(part, whole) -> float | None:
    if not whole:
        return None
    value = Decimal(part or 0) * 100 / Decimal(whole)
    return float(value.quantize(TWO, rounding=ROUND_HALF_UP))


EARLIEST_AS_OF = datetime.date(1990, 1, 1)


def parse_as_of(value: str | datetime.date | None) -> datetime.date:
    """A report date: ``YYYY-MM-DD``, default today; never in the future."""
    today = clocks.local_date()
    if value in (None, ""):
        return today
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ReportError(
                gettext("'%(value)s' is geen datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2021-09-15.") % {"value": value}
            ) from None
    if value > today:
        raise ReportError(gettext("Een rapportage kan niet over een datum in de toekomst gaan."))
    if value < EARLIEST_AS_OF:  # and the start of year 1 in Amsterdam is before the start of the calendar
        raise ReportError(gettext("Een rapportage gaat over een datum vanaf 1990."))
    return value


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` in Europe/Amsterdam: everything before it counts."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def _dt(value: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: datetime.date):
    return connection.ops.adapt_datefield_value(value)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- the scope -------------------------------------------------------------------


@dataclass
class Scope:
    kind: str
    code: str
    name: str
    openings: list[Opening]
    schemes: list[Scheme]
    scheme: Scheme | None = None
    opening: Opening | None = None
    extra: dict = field(default_factory=dict)

    @property
    def opening_ids(self) -> list[int]:
        return [o.pk for o in self.openings]


def resolve_scope(kind: str, code: str, *, schemes=None) -> Scope:
    """The openings a report covers. ``schemes`` limits the portfolio (a program manager's team).

    Demo openings (``is_demo``) count only in a report of the opening itself,
    never in a scheme or the portfolio.
    """
    if kind not in SCOPES:
        raise ReportError(f"Onbekende scope '{kind}'; kies opening, scheme of portfolio.")
    if kind == "opening":
        opening = Opening.objects.select_related("scheme").filter(code=code).first()
        if opening is None:
            raise ReportError(gettext("Er is geen openstelling met code '%(code)s'.") % {"code": code}, 404)
        return Scope(kind, code, opening.name, [opening], [opening.scheme], opening.scheme, opening)
    if kind == "scheme":
        scheme = Scheme.objects.filter(code=code).first()
        if scheme is None:
            raise ReportError(gettext("Er is geen regeling met code '%(code)s'.") % {"code": code}, 404)
        openings = list(scheme.openings.filter(is_demo=False).select_related("scheme").order_by("opens_at"))
        return Scope(kind, code, scheme.name, openings, [scheme], scheme)
    if code not in PORTFOLIO_CODES:
        raise ReportError(f"Het portfolio heet 'all'; '{code}' bestaat niet.", 404)
    scheme_qs = Scheme.objects.filter(is_demo=False)
    if schemes is not None:
        scheme_qs = scheme_qs.filter(pk__in=[s.pk for s in schemes])
    scheme_list = list(scheme_qs.order_by("agdb_pillar", "name"))
    openings = list(
        Opening.objects.filter(scheme__in=scheme_list, is_demo=False).select_related("scheme").order_by("opens_at")
    )
    return Scope(kind, "all", "Portfolio", openings, scheme_list)


# --- the state of every application at the moment ------------------------------------


@contextmanager
def application_states(opening_ids: list[int], end: datetime.datetime, *, per_unit: bool = True):
    """A temporary table with one row per application that existed at ``end``.

    Columns: application_id, opening_id, organisation_id, channel, state (the
    effective state: for ``closed`` the state it was closed from),
    submitted_at (the submit event), decided_at (the first grant, rejection or
    not-considered decision), and what the breakdowns need: the
    organisation's sector, size_class and province, the number of units, the
    amount (granted, else requested), decision_due and default_notice_on.

    One window pass over the narrow event rows of the scope; the application's
    and organisation's columns are joined to the one row per application after it.
    """
    name = f"rpt_state_{uuid.uuid4().hex[:12]}"
    event, app, org, unit = _table(AuditEvent), _table(Application), _table(Organisation), _table(Unit)
    decision_states = _placeholders(DECISION_STATES)
    units = "COALESCE(u.n, 0)" if per_unit else "0"
    # one grouped pass over the units rather than a lookup per application
    unit_join = (
        f"LEFT JOIN (SELECT application_id, COUNT(*) AS n FROM {unit} GROUP BY application_id) u "
        "ON u.application_id = l.application_id"
        if per_unit
        else ""
    )
    sql = f"""
        CREATE TEMPORARY TABLE {name} AS
        SELECT l.application_id AS application_id, a.opening_id AS opening_id,
               a.organisation_id AS organisation_id, a.channel AS channel, l.state AS state,
               l.submitted_at AS submitted_at, l.decided_at AS decided_at,
               o.sector AS sector, o.size_class AS size_class, o.province AS province,
               {units} AS units, COALESCE(a.amount_granted, a.amount_requested, 0) AS amount,
               a.decision_due AS decision_due, a.default_notice_on AS default_notice_on
        FROM (
            SELECT application_id, state, submitted_at, decided_at FROM (
                SELECT e.application_id AS application_id,
                       CASE WHEN e.to_state = 'closed' THEN e.from_state ELSE e.to_state END AS state,
                       ROW_NUMBER() OVER w AS rn,
                       COUNT(*) OVER (PARTITION BY e.application_id) AS n,
                       MIN(CASE WHEN e.action = 'submit' THEN e.at END) OVER w AS submitted_at,
                       MIN(CASE WHEN e.to_state IN ({decision_states})
                                AND e.action IN ('approve_decision', 'declare_not_considered') THEN e.at END)
                           OVER w AS decided_at
                FROM {event} e
                WHERE e.at < %s AND e.to_state <> e.from_state
                  AND e.application_id IN (SELECT id FROM {app} WHERE opening_id IN ({_placeholders(opening_ids)}))
                WINDOW w AS (PARTITION BY e.application_id ORDER BY e.at, e.id)
            ) numbered
            WHERE rn = n
        ) l
        JOIN {app} a ON a.id = l.application_id
        JOIN {org} o ON o.id = a.organisation_id
        {unit_join}
    """
    params = [*DECISION_STATES, _dt(end), *opening_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {name}")
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _quoted(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _current_from(opening_ids: list[int], join: str = "", *, organisations: bool = True) -> str:
    """The FROM clause of today's figures: applications of the openings, their organisation, and
    for the closed ones the close event (the state they were closed from)."""
    event, app, org = _table(AuditEvent), _table(Application), _table(Organisation)
    ids = ", ".join(str(int(pk)) for pk in opening_ids) or "NULL"
    organisation = f"JOIN {org} o ON o.id = a.organisation_id" if organisations else ""
    return f"""{app} a
        {organisation}
        LEFT JOIN (
            SELECT e.application_id AS application_id, MAX(e.from_state) AS from_state FROM {event} e
            WHERE e.action = 'close' AND e.to_state = '{State.CLOSED}' AND e.from_state <> '{State.CLOSED}'
            GROUP BY e.application_id
        ) c ON c.application_id = a.id AND a.state = '{State.CLOSED}'
        {join}
        WHERE a.opening_id IN ({ids})"""


@contextmanager
def current_states(opening_ids: list[int]):
    """The same rows as ``application_states`` for a report as of today, from the current columns.

    The state machine changes ``Application.state`` in the same transaction as
    it writes the audit event, so for today the column *is* the state of the
    last event, and the report needs no pass over the audit trail: this yields
    a derived table (no temporary table) that the figures query directly.

    - ``state``: the column; for ``closed`` the ``from_state`` of the close event
      (an application is closed once, as its last transition);
    - ``submitted_at``: the column, set once by the submit event;
    - ``decided_at``: the column, set by the first decision — except where a later
      decision moved it (a settlement, a revocation, or a decision after an
      objection): for those few the first decision event is looked up;
    - ``units`` is not here: today's figures count units in one query
      (``_units_now``) instead of joining them to every application.

    Opening ids are integers and the states constants, so the SQL carries them
    inline and every figure's query can embed it as ``FROM (…) s``.
    """
    yield f"""(
        SELECT a.id AS application_id, a.opening_id AS opening_id, a.organisation_id AS organisation_id,
               a.channel AS channel, COALESCE(c.from_state, a.state) AS state,
               a.submitted_at AS submitted_at, {_first_decision_now()} AS decided_at,
               o.sector AS sector, o.size_class AS size_class, o.province AS province,
               0 AS units, COALESCE(a.amount_granted, a.amount_requested, 0) AS amount,
               a.decision_due AS decision_due, a.default_notice_on AS default_notice_on
        FROM {_current_from(opening_ids)}
    )"""


def _first_decision_now() -> str:
    """The moment of an application's first decision, from the column (see ``current_states``)."""
    event, objection, decision = _table(AuditEvent), _table(Objection), _table(Decision)
    moved = _quoted([Decision.Kind.SETTLEMENT, Decision.Kind.REVOCATION])
    undecided = _quoted([State.DRAFT, *OPEN_STATES, State.WITHDRAWN])
    return f"""CASE WHEN a.id IN (SELECT application_id FROM {objection}
                                  UNION ALL SELECT application_id FROM {decision} WHERE kind IN ({moved})) THEN (
                        SELECT MIN(e.at) FROM {event} e
                        WHERE e.application_id = a.id AND e.to_state IN ({_quoted(DECISION_STATES)})
                          AND e.action IN ('approve_decision', 'declare_not_considered')
                          AND e.to_state <> e.from_state)
                    WHEN a.state NOT IN ({undecided}) THEN a.decided_at END"""


def _decisions_now(opening_ids: list[int]) -> str:
    """Today: submission and first decision of the submitted applications, for the lead times (no joins)."""
    ids = ", ".join(str(int(pk)) for pk in opening_ids) or "NULL"
    return f"""(
        SELECT a.submitted_at AS submitted_at, {_first_decision_now()} AS decided_at
        FROM {_table(Application)} a
        WHERE a.opening_id IN ({ids}) AND a.submitted_at IS NOT NULL AND a.state <> '{State.DRAFT}'
    )"""


def _granted_organisations_now(opening_ids: list[int]) -> tuple[int, dict[str, int]]:
    """Today: the organisations with a granted application, by sector (one semi-join, no per-row lookups)."""
    states = _quoted(GRANTED_STATES)
    sql = f"""
        SELECT o.sector, COUNT(*) FROM {_table(Organisation)} o
        WHERE o.id IN (SELECT a.organisation_id FROM {_current_from(opening_ids, organisations=False)}
                       AND COALESCE(c.from_state, a.state) IN ({states}))
        GROUP BY o.sector
    """
    by_sector = dict(_fetch(sql))
    return sum(by_sector.values()), dict(sorted(by_sector.items()))


def _groups_now(opening_ids: list[int], day: datetime.date) -> tuple[list[dict], dict, dict[str, int]]:
    """Today: the counts of ``_application_groups``, the penalty exposure and the rejections by reason,
    in one pass over the applications grouped by plain columns (so PostgreSQL hashes a few hundred groups)."""
    waiting = _quoted(WAITING_FOR_US)  # waiting for the applicant (4:15) is neither late nor in default
    running = _quoted(TERM_RUNNING_STATES)  # a penalty runs on the decision's term and the settlement's
    sql = f"""
        SELECT a.opening_id, a.state, c.from_state, o.sector, o.size_class, o.province, a.channel,
               CASE WHEN a.state IN ({running}) AND a.default_notice_on <= %s THEN a.default_notice_on END,
               CASE WHEN a.state IN ('{State.REJECTED}', '{State.CLOSED}') THEN a.rejection_reason END,
               COUNT(*), SUM(COALESCE(a.amount_granted, a.amount_requested, 0)),
               SUM(CASE WHEN a.decision_due < %s AND a.state IN ({waiting}) THEN 1 ELSE 0 END)
        FROM {_current_from(opening_ids)}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    """
    rows, notices, reasons = [], defaultdict(int), []
    for opening_id, raw, closed_from, sector, size, province, channel, notice, reason, n, amount, due in _fetch(
        sql, [_d(day), _d(day)]
    ):
        state = closed_from if raw == State.CLOSED and closed_from else raw
        category = CATEGORY.get(state, OPEN)
        rows.append(
            {
                "opening_id": opening_id,
                "category": category,
                "state": state,
                "sector": sector,
                "size_class": size,
                "province": province or "onbekend",
                "channel": channel,
                "n": n,
                "units": 0,
                "amount": Decimal(str(amount or 0)),
                "overdue": int(due or 0) if category == OPEN else 0,
            }
        )
        if notice is not None:
            notices[notice] += n
        if state == State.REJECTED:
            reasons.append((reason, n))
    return rows, _penalty_from(notices, day), _by_reason(reasons)


def _units_now(opening_ids: list[int]) -> list[tuple]:
    """Today: units of the open and granted applications by opening, state and occupation sector."""
    states = _quoted([*OPEN_STATES, *GRANTED_STATES, State.CLOSED])
    units = f"JOIN {_table(Unit)} u ON u.application_id = a.id"
    sql = f"""
        SELECT a.opening_id, COALESCE(c.from_state, a.state), u.occupation_sector, COUNT(*)
        FROM {_current_from(opening_ids, units)} AND a.state IN ({states})
        GROUP BY 1, 2, 3
    """
    return _fetch(sql)


# A report sorts the events of a scope once; with PostgreSQL's default 4 MB a million events spill to
# disk and JIT compilation costs more than it saves. Both only for the report's own transaction.
REPORT_WORK_MEM = "64MB"


@contextmanager
def _report_session(*, now: bool = False):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
            if now:
                # Today's figures group a few hundred keys over every application; PostgreSQL cannot
                # tell that from the CASE keys and would sort all rows instead of hashing them.
                cursor.execute("SET LOCAL enable_sort = off")
    yield


def _fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _application_groups(table: str, day: datetime.date) -> list[dict]:
    """Counts grouped by opening, state and the breakdown dimensions, in one query over the state table."""
    sql = f"""
        SELECT opening_id, state, sector, size_class, province, channel,
               COUNT(*), SUM(units), SUM(amount),
               SUM(CASE WHEN decision_due < %s AND state IN ({_quoted(WAITING_FOR_US)}) THEN 1 ELSE 0 END)
        FROM {table} s
        GROUP BY opening_id, state, sector, size_class, province, channel
    """
    rows = []
    for opening_id, state, sector, size, province, channel, n, units, amount, due_passed in _fetch(sql, [_d(day)]):
        rows.append(
            {
                "opening_id": opening_id,
                "category": CATEGORY.get(state, OPEN),
                "state": state,
                "sector": sector,
                "size_class": size,
                "province": province or "onbekend",
                "channel": channel,
                "n": n,
                "units": int(units or 0),
                "amount": Decimal(str(amount or 0)),
                "overdue": int(due_passed or 0) if CATEGORY.get(state) == OPEN else 0,
            }
        )
    return rows


def _granted_organisations(table: str) -> tuple[int, dict[str, int]]:
    sql = f"""
        SELECT sector, COUNT(*) FROM (
            SELECT sector, organisation_id FROM {table} s
            WHERE state IN ({_placeholders(GRANTED_STATES)}) GROUP BY sector, organisation_id
        ) t GROUP BY sector
    """
    by_sector = {sector: n for sector, n in _fetch(sql, GRANTED_STATES)}
    total = sum(by_sector.values())  # an organisation has one sector, so the distinct counts add up
    return total, dict(sorted(by_sector.items()))


def _occupation_sectors(unit_rows: list[tuple]) -> dict[str, int]:
    """Today: granted units by the occupation's sector, from the rows of ``_units_now``."""
    counts: dict[str, int] = defaultdict(int)
    for _opening, state, sector, n in unit_rows:
        if CATEGORY.get(state) == "granted":
            counts[sector] += n
    return dict(sorted(counts.items()))


def _units_by_occupation_sector(table: str) -> dict[str, int]:
    unit = _table(Unit)
    sql = f"""
        SELECT u.occupation_sector, COUNT(*)
        FROM {table} s JOIN {unit} u ON u.application_id = s.application_id
        WHERE s.state IN ({_placeholders(GRANTED_STATES)})
        GROUP BY u.occupation_sector
    """
    return dict(sorted(_fetch(sql, GRANTED_STATES)))


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _lead_times(table: str) -> dict:
    """Days from submission to the first decision, for the applications decided by the date."""
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d),
                   COUNT(*)
            FROM (SELECT date_part('epoch', decided_at - submitted_at) / 86400.0 AS d
                  FROM {table} s WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL) t
        """
        median, p90, n = _fetch(sql)[0]
    else:
        sql = f"""
            SELECT julianday(decided_at) - julianday(submitted_at) AS d FROM {table} s
            WHERE decided_at IS NOT NULL AND submitted_at IS NOT NULL ORDER BY d
        """
        values = [row[0] for row in _fetch(sql)]
        median, p90, n = _percentile(values, 0.5), _percentile(values, 0.9), len(values)

    def days(value):
        return None if value is None else float(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))

    return {"median": days(median), "p90": days(p90), "decided": n}


def _penalty_exposure(table: str, day: datetime.date) -> dict:
    """Awb 4:17 penalties run on open applications whose applicant sent a notice of default (not while suspended)."""
    sql = f"""
        SELECT default_notice_on FROM {table} s
        WHERE state IN ({_placeholders(TERM_RUNNING_STATES)}) AND default_notice_on IS NOT NULL
          AND default_notice_on <= %s
    """
    notices: dict = defaultdict(int)
    for (notice,) in _fetch(sql, [*TERM_RUNNING_STATES, _d(day)]):
        notices[notice] += 1
    return _penalty_from(notices, day)


def _penalty_from(notices: dict, day: datetime.date) -> dict:
    """The penalty run so far on the open applications, from the dates of their notices (date → count)."""
    total, count = Decimal("0"), 0
    for notice, n in notices.items():
        if isinstance(notice, str):
            notice = datetime.date.fromisoformat(notice)
        days = clocks.penalty_days(notice, day)
        if days > 0:
            count += n
            total += clocks.penalty(days) * n
    return {"applications": count, "amount": money(total)}


def _penalty_owed(opening_ids: list[int], day: datetime.date) -> dict:
    """Penalties that stopped running (the decision was sent, or 42 days ran) and stay owed: apart from exposure.

    ``fixed``: the part already fixed by its own decision (Awb 4:18).
    """
    notices = DefaultNotice.objects.filter(application__opening_id__in=opening_ids, amount_owed__gt=0).filter(
        Q(ended_on__lte=day) | Q(fixed_on__lte=day)
    )
    totals = notices.aggregate(
        n=Count("application_id", distinct=True),
        amount=Sum("amount_owed"),
        fixed=Sum("amount_owed", filter=Q(fixed_on__lte=day)),
    )
    return {
        "applications": totals["n"] or 0,
        "amount": money(totals["amount"] or Decimal("0")),
        "fixed": money(totals["fixed"] or Decimal("0")),
    }


def _hardship_grants(opening_ids: list[int], end: datetime.datetime) -> int:
    """Grants approved under the hardship clause: a departure from a rule of the scheme in one case."""
    return Decision.objects.filter(
        application__opening_id__in=opening_ids,
        kind=Decision.Kind.GRANT,
        status=Decision.Status.APPROVED,
        approved_at__lt=end,
        data__has_key="hardship",
    ).count()


def _rejected_by_reason(table: str, end: datetime.datetime) -> dict[str, int]:
    """The reason code of the last rejection decision of each application rejected at the date."""
    event = _table(AuditEvent)
    if connection.vendor == "postgresql":
        reason = "e.data ->> 'reason_code'"
    else:
        reason = "json_extract(e.data, '$.reason_code')"
    sql = f"""
        SELECT reason, COUNT(*) FROM (
            SELECT {reason} AS reason,
                   ROW_NUMBER() OVER (PARTITION BY e.application_id ORDER BY e.at DESC, e.id DESC) AS rn
            FROM {table} s JOIN {event} e ON e.application_id = s.application_id
            WHERE s.state = 'rejected' AND e.to_state = 'rejected' AND e.from_state <> 'rejected' AND e.at < %s
        ) t WHERE rn = 1 GROUP BY reason
    """
    return _by_reason(_fetch(sql, [_dt(end)]))


def _by_reason(rows) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for reason, n in rows:
        counts[reason or "other"] += n
    return dict(sorted(counts.items()))


def _ledger(opening_ids: list[int], end: datetime.datetime) -> dict[int, dict[str, Decimal]]:
    """Per opening: reserved, committed, paid, settled, recovered at the moment, from the ledger."""
    kinds = LedgerEntry.objects.filter(opening_id__in=opening_ids, at__lt=end).values_list("opening_id", "kind")
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for opening_id, kind, amount in (
        kinds.order_by().annotate(total=Sum("amount")).values_list("opening_id", "kind", "total")
    ):
        totals[opening_id][kind] += amount or Decimal("0")
    result = {}
    for opening_id in opening_ids:
        t = totals.get(opening_id, {})
        result[opening_id] = {
            "reserved": t.get("reserve", Decimal("0")) - t.get("release", Decimal("0")),
            "committed": t.get("commit", Decimal("0")) - t.get("decommit", Decimal("0")),
            "paid": t.get("pay", Decimal("0")),
            "settled": t.get("settle", Decimal("0")),
            "recovered": t.get("recover", Decimal("0")),
        }
    return result


def _ledger_now(opening_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Today: the running totals kept on the openings, and the settlements from the ledger.

    ``schemes.budget`` books every ledger entry and moves the opening's totals in
    the same transaction, so the totals are the ledger's sums as of now; only
    settlements have no running total (one indexed sum).
    """
    settled = dict(
        LedgerEntry.objects.filter(opening_id__in=opening_ids, kind="settle")
        .values("opening_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("opening_id", "total")
    )
    result = {}
    for pk, reserved, committed, paid, recovered in Opening.objects.filter(pk__in=opening_ids).values_list(
        "pk", "reserved", "committed", "paid", "recovered"
    ):
        result[pk] = {
            "reserved": reserved,
            "committed": committed,
            "paid": paid,
            "settled": settled.get(pk) or Decimal("0"),
            "recovered": recovered,
        }
    return {pk: result[pk] for pk in opening_ids if pk in result}


def _ceilings(openings: list[Opening], end: datetime.datetime) -> dict[int, Decimal]:
    """Each opening's ceiling as it stood at the moment, from its recorded budget changes."""
    ceilings = {o.pk: o.budget_ceiling for o in openings}
    changes = BudgetChange.objects.filter(opening_id__in=ceilings).order_by("opening_id", "changed_at", "id")
    seen: set[int] = set()
    for change in changes:
        if change.changed_at < end:
            ceilings[change.opening_id] = change.new_ceiling
            seen.add(change.opening_id)
        elif change.opening_id not in seen:
            ceilings[change.opening_id] = change.old_ceiling
            seen.add(change.opening_id)
    return ceilings


def _tranches(opening_ids: list[int], day: datetime.date, end: datetime.datetime) -> dict:
    """Tranches of the programmes granted by the date: planned, released, withheld and due."""
    granted_by_then = AuditEvent.objects.filter(
        application_id=OuterRef("application_id"), to_state=State.GRANTED, at__lt=end
    )
    status = Case(
        When(status=Tranche.Status.RELEASED, decided_at__lt=end, then=Value("released")),
        When(status=Tranche.Status.WITHHELD, decided_at__lt=end, then=Value("withheld")),
        When(gated=True, review_date__lte=day, then=Value("due")),
        default=Value("planned"),
        output_field=CharField(),
    )
    rows = (
        Tranche.objects.filter(application__opening_id__in=opening_ids)
        .filter(Exists(granted_by_then))
        .annotate(status_at=status)
        .values("status_at")
        .annotate(n=Count("id"), amount=Sum(F("amount") - F("withheld_amount")))  # a reduced tranche: what it paid
        .order_by()
    )
    result = {key: {"count": 0, "amount": money(0)} for key in ("planned", "released", "withheld", "due")}
    for row in rows:
        result[row["status_at"]] = {"count": row["n"], "amount": money(row["amount"])}
    return result


def _kpis(schemes: list[Scheme], day: datetime.date) -> list[dict]:
    latest = KPIMeasurement.objects.filter(kpi=OuterRef("pk"), measured_on__lte=day).order_by("-measured_on")
    kpis = (
        KPI.objects.filter(scheme__in=schemes)
        .select_related("scheme")
        .annotate(realised=Subquery(latest.values("value")[:1]), period=Subquery(latest.values("period")[:1]))
        .order_by("scheme__name", "code")
    )
    result = []
    for kpi in kpis:
        span = kpi.target_value - kpi.baseline_value
        realised = None if kpi.realised is None else Decimal(str(kpi.realised))
        progress = pct(realised - kpi.baseline_value, span) if realised is not None and span else None
        result.append(
            {
                "scheme": kpi.scheme.code,
                "code": kpi.code,
                "name": kpi.name,
                "unit": kpi.unit,
                "baseline": money(kpi.baseline_value),
                "baseline_year": kpi.baseline_year,
                "target": money(kpi.target_value),
                "target_year": kpi.target_year,
                "realised": None if kpi.realised is None else money(kpi.realised),
                "period": kpi.period,
                "progress_pct": progress,
            }
        )
    return result


# --- targets and the early warning ---------------------------------------------------


def opening_target(opening: Opening) -> int | None:
    return opening.target_units or opening.capacity_units or None


def elapsed_fraction(opening: Opening, end: datetime.datetime) -> float:
    """How much of the opening's window lies before ``end`` (0 before it opens, 1 after it closes)."""
    window = (opening.closes_at - opening.opens_at).total_seconds()
    done = (min(end, opening.closes_at) - opening.opens_at).total_seconds()
    return max(0.0, min(1.0, done / window)) if window > 0 else 1.0


def warning_level(projected_pct: float | None, scheme: Scheme) -> str | None:
    if projected_pct is None:
        return None
    if projected_pct < float(scheme.warning_red_pct):
        return "red"
    if projected_pct < float(scheme.warning_amber_pct):
        return "amber"
    return "green"


LEVEL_ORDER = {"red": 0, "amber": 1, "green": 2}


def _early_warning(openings, per_opening, ceilings, end, schemes_by_id) -> dict:
    """Linear projection to the close of each opening that has opened: pace so far ÷ elapsed share.

    The pace counts the units and amounts of applications submitted and not
    dropped (open or granted). The level compares the projected units with the
    target (the projected amount with the ceiling when there is no target)
    against the scheme's amber and red thresholds.
    """
    projected_units = Decimal("0")
    projected_amount = Decimal("0")
    target_total, ceiling_total, started = 0, Decimal("0"), False
    levels = []
    per_unit_target = True
    details = []
    for opening in openings:
        fraction = elapsed_fraction(opening, end)
        if fraction <= 0:
            continue
        started = True
        figures = per_opening.get(opening.pk, {})
        units = Decimal(figures.get("pace_units", 0)) / Decimal(str(fraction))
        amount = figures.get("pace_amount", Decimal("0")) / Decimal(str(fraction))
        projected_units += units
        projected_amount += amount
        target = opening_target(opening)
        if target is None:
            per_unit_target = False
        target_total += target or 0
        ceiling_total += ceilings.get(opening.pk, Decimal("0"))
        scheme = schemes_by_id[opening.scheme_id]
        level_pct = pct(units, target) if target else pct(amount, ceilings.get(opening.pk))
        level = warning_level(level_pct, scheme)
        if level:
            levels.append(level)
        details.append(
            {
                "opening": opening.code,
                "elapsed_pct": round(fraction * 100, 2),
                "projected_units": int(units.to_integral_value(ROUND_HALF_UP)),
                "projected_amount": money(amount),
                "projected_pct": level_pct,
                "level": level,
            }
        )
    if not started:
        return {"projected_units": None, "projected_amount": None, "level": None, "openings": []}
    if len(details) == 1:
        level, level_pct = details[0]["level"], details[0]["projected_pct"]
    else:
        base = pct(projected_units, target_total) if per_unit_target and target_total else None
        level_pct = base if base is not None else pct(projected_amount, ceiling_total)
        scheme_levels = {warning_level(level_pct, s) for s in schemes_by_id.values()} - {None}
        level = min(scheme_levels | set(levels), key=LEVEL_ORDER.get) if (scheme_levels or levels) else None
    return {
        "projected_units": int(projected_units.to_integral_value(ROUND_HALF_UP)),
        "projected_amount": money(projected_amount),
        "projected_pct": level_pct,
        "level": level,
        "openings": details,
    }


# --- the report ------------------------------------------------------------------------


def _empty_counts() -> dict[str, int]:
    return {c: 0 for c in CATEGORIES}


def _applications_block(counts: dict[str, int]) -> dict[str, int]:
    started = sum(counts.values())
    return {
        "started": started,
        "submitted": started - counts["draft"],
        "granted": counts["granted"],
        "rejected": counts["rejected"],
        "withdrawn": counts["withdrawn"],
        "not_considered": counts["not_considered"],
        "open": counts[OPEN],
        "draft": counts["draft"],
        "revoked": counts["revoked"],
    }


def _budget_block(ledger: dict[str, Decimal], ceiling: Decimal) -> dict:
    block = {
        "ceiling": money(ceiling),
        **{key: money(ledger.get(key, 0)) for key in ("reserved", "committed", "paid", "settled", "recovered")},
    }
    block["uptake_pct"] = pct(ledger.get("committed", 0), ceiling)
    block["pct"] = {
        key: pct(ledger.get(key, 0), ceiling) for key in ("reserved", "committed", "paid", "settled", "recovered")
    }
    block["available"] = money(ceiling - ledger.get("reserved", 0) - ledger.get("committed", 0))
    return block


def _sum_ledgers(ledgers) -> dict[str, Decimal]:
    total: dict[str, Decimal] = defaultdict(Decimal)
    for ledger in ledgers:
        for key, value in ledger.items():
            total[key] += value
    return total


def _target(scope: Scope) -> int | None:
    if scope.kind == "opening":
        return opening_target(scope.opening) or scope.scheme.target_units
    if scope.kind == "scheme":
        return scope.scheme.target_units or sum(opening_target(o) or 0 for o in scope.openings) or None
    return sum(s.target_units or 0 for s in scope.schemes) or None


def kpi_report(scope: str, code: str, as_of=None, *, schemes=None) -> dict:
    """The report as a dict of plain JSON values: the one shape the API, the command and the pages share."""
    day = parse_as_of(as_of)
    resolved = resolve_scope(scope, code, schemes=schemes)
    end = end_of_day(day)
    return build_report(resolved, day, end)


def build_report(scope: Scope, day: datetime.date, end: datetime.datetime, *, current: bool | None = None) -> dict:
    """The figures of ``scope`` at the end of ``day``.

    As of today (the default for dashboards) from the current state columns and
    the openings' running totals; for a past date from the audit trail and the
    ledger. ``current`` forces one path (True only makes sense for today: the
    tests and the benchmark compare both paths on the same data).
    """
    openings = scope.openings
    opening_ids = scope.opening_ids or [0]
    schemes_by_id = {s.pk: s for s in scope.schemes}
    for opening in openings:
        schemes_by_id.setdefault(opening.scheme_id, opening.scheme)
    per_unit = any(s.shape == "per_unit" for s in schemes_by_id.values())
    now = current if current is not None else day >= clocks.local_date()
    if now:
        # today: the state columns and the openings' running totals (see current_states)
        states = current_states(opening_ids)
    else:
        states = application_states(opening_ids, end, per_unit=per_unit)
    with transaction.atomic(), _report_session(now=now), states as table:
        if now:
            groups, penalty, by_reason = _groups_now(opening_ids, day)
            unit_rows = _units_now(opening_ids) if per_unit else []
            by_occupation = _occupation_sectors(unit_rows)
        else:
            groups = _application_groups(table, day)
            penalty = _penalty_exposure(table, day)
            by_reason = _rejected_by_reason(table, end)
            by_occupation = _units_by_occupation_sector(table) if per_unit else {}
            unit_rows = []
        if now:
            orgs_granted, orgs_by_sector = _granted_organisations_now(opening_ids)
            lead = _lead_times(_decisions_now(opening_ids))
        else:
            orgs_granted, orgs_by_sector = _granted_organisations(table)
            lead = _lead_times(table)
    ledger = _ledger_now(scope.opening_ids) if now else _ledger(scope.opening_ids, end)
    ceilings = _ceilings(openings, end)

    counts = _empty_counts()
    per_opening: dict[int, dict] = defaultdict(lambda: {"counts": _empty_counts(), "units": 0})
    breakdowns: dict[str, dict] = {
        d: defaultdict(_empty_counts) for d in ("sector", "size_class", "province", "channel")
    }
    units_granted = overdue = 0
    for row in groups:
        cat, n = row["category"], row["n"]
        counts[cat] += n
        target = per_opening[row["opening_id"]]
        target["counts"][cat] += n
        if cat == "granted":
            units_granted += row["units"]
            target["units"] += row["units"]
        if cat in (OPEN, "granted"):
            target["pace_units"] = target.get("pace_units", 0) + row["units"]
            target["pace_amount"] = target.get("pace_amount", Decimal("0")) + row["amount"]
        overdue += row["overdue"]
        target["overdue"] = target.get("overdue", 0) + row["overdue"]
        for dimension in breakdowns:
            breakdowns[dimension][row[dimension]][cat] += n
    for opening_id, state, _sector, n in unit_rows:  # today: units counted apart from the applications
        cat = CATEGORY.get(state, OPEN)
        target = per_opening[opening_id]
        if cat == "granted":
            units_granted += n
            target["units"] += n
        if cat in (OPEN, "granted"):
            target["pace_units"] = target.get("pace_units", 0) + n

    total_ledger = _sum_ledgers(ledger.values())
    ceiling = sum(ceilings.values(), Decimal("0"))
    target = _target(scope)
    applications = _applications_block(counts)
    decision_terms = sorted({s.decision_term_weeks for s in schemes_by_id.values()})
    report = {
        "scope": scope.kind,
        "code": scope.code,
        "name": scope.name,
        "as_of": day.isoformat(),
        "applications": applications,
        "units": {
            "granted": units_granted,
            "target": target,
            "uptake_pct": pct(units_granted, target),
            "capacity": sum(o.capacity_units or 0 for o in openings) or None,
            "capacity_pct": pct(units_granted, sum(o.capacity_units or 0 for o in openings)),
        },
        "budget": _budget_block(total_ledger, ceiling),
        "organisations": {"granted": orgs_granted, "by_sector": orgs_by_sector},
        "units_by_occupation_sector": by_occupation,
        "lead_time_days": {
            **lead,
            "decision_term_days": decision_terms[0] * 7 if len(decision_terms) == 1 else None,
        },
        "overdue": overdue,
        "early_warning": _early_warning(openings, per_opening, ceilings, end, schemes_by_id),
        "funnel": _funnel(applications),
        "rejected_by_reason": by_reason,
        "penalty_exposure": penalty,
        "penalty_owed": _penalty_owed(scope.opening_ids or [0], day),
        "hardship_grants": _hardship_grants(scope.opening_ids or [0], end),
        "breakdowns": {
            dimension: {key: _applications_block(value) for key, value in sorted(values.items())}
            for dimension, values in breakdowns.items()
        },
        "openings": [
            _opening_block(o, per_opening.get(o.pk), ledger.get(o.pk, {}), ceilings.get(o.pk), end) for o in openings
        ],
    }
    programmes = [s for s in schemes_by_id.values() if s.shape == "programme"]
    if programmes:
        report["tranches"] = _tranches(scope.opening_ids, day, end)
        report["kpis"] = _kpis(programmes, day)
    if scope.kind == "portfolio":
        report["groups"] = _portfolio_groups(scope, per_opening, ledger, ceilings, end)
    return report


def _funnel(applications: dict[str, int]) -> list[dict]:
    steps = [
        ("started", gettext_noop("gestart")),
        ("submitted", gettext_noop("ingediend")),
        ("decided", gettext_noop("besloten")),
        ("granted", gettext_noop("verleend")),
    ]
    values = {
        **applications,
        "decided": applications["granted"]
        + applications["rejected"]
        + applications["not_considered"]
        + applications["revoked"],
    }
    result, first = [], values["started"]
    for key, label in steps:
        result.append({"step": key, "label": label, "count": values[key], "pct_of_started": pct(values[key], first)})
    return result


def _opening_block(opening: Opening, figures, ledger, ceiling, end) -> dict:
    figures = figures or {"counts": _empty_counts(), "units": 0}
    target = opening_target(opening)
    return {
        "code": opening.code,
        "name": opening.name,
        "opens_at": opening.opens_at.isoformat(),
        "closes_at": opening.closes_at.isoformat(),
        "elapsed_pct": round(elapsed_fraction(opening, end) * 100, 2),
        "applications": _applications_block(figures["counts"]),
        "units": {"granted": figures["units"], "target": target, "uptake_pct": pct(figures["units"], target)},
        "budget": _budget_block(ledger, ceiling or Decimal("0")),
        "overdue": figures.get("overdue", 0),
    }


def _portfolio_groups(scope: Scope, per_opening, ledger, ceilings, end) -> dict:
    """The portfolio by AGDB pillar and by ministry: counts, units and money per group."""

    def block(schemes: list[Scheme]) -> dict:
        ids = {s.pk for s in schemes}
        openings = [o for o in scope.openings if o.scheme_id in ids]
        counts = _empty_counts()
        units = 0
        for o in openings:
            for key, value in per_opening.get(o.pk, {"counts": {}})["counts"].items():
                counts[key] += value
            units += per_opening.get(o.pk, {}).get("units", 0)
        target = sum(s.target_units or 0 for s in schemes) or None
        ceiling = sum((ceilings.get(o.pk, Decimal("0")) for o in openings), Decimal("0"))
        warning = _early_warning(openings, per_opening, ceilings, end, {s.pk: s for s in schemes})
        return {
            "schemes": [s.code for s in schemes],
            "applications": _applications_block(counts),
            "units": {"granted": units, "target": target, "uptake_pct": pct(units, target)},
            "budget": _budget_block(_sum_ledgers(ledger.get(o.pk, {}) for o in openings), ceiling),
            "early_warning": {k: warning[k] for k in ("projected_units", "projected_amount", "level")},
        }

    by_pillar: dict[str, list[Scheme]] = defaultdict(list)
    by_owner: dict[str, list[Scheme]] = defaultdict(list)
    for scheme in scope.schemes:
        pillar = scheme.agdb_pillar
        by_pillar[f"{pillar}. {PILLARS[pillar]}" if pillar in PILLARS else "zonder pijler"].append(scheme)
        by_owner[scheme.owner].append(scheme)
    return {
        "by_pillar": {key: block(value) for key, value in sorted(by_pillar.items())},
        "by_ministry": {key: block(value) for key, value in sorted(by_owner.items())},
        "by_scheme": {s.code: {"name": s.name, **block([s])} for s in scope.schemes},
    }


# --- the applications behind a report (for exports) -------------------------------------

EXPORT_COLUMNS = (
    ("reference", "kenmerk"),
    ("opening", "openstelling"),
    ("state_at", "status op peildatum"),
    ("channel", "kanaal"),
    ("sector", "sector"),
    ("size_class", "grootteklasse"),
    ("province", "provincie"),
    ("units", "eenheden"),
    ("amount_requested", "aangevraagd bedrag"),
    ("amount_granted", "verleend bedrag"),
    ("submitted_at", "ingediend"),
    ("decided_at", "besluit"),
)


def report_applications(scope: Scope, end: datetime.datetime):
    """The applications of a scope as they stood at the moment, with only what a figure needs.

    No names of people or contact details: the organisation appears only by
    its sector, size class and province. ``state_at`` comes from the audit
    trail, like the figures.
    """
    last = (
        AuditEvent.objects.filter(application_id=OuterRef("pk"), at__lt=end)
        .exclude(to_state=F("from_state"))
        .order_by("-at", "-id")
    )
    submitted = AuditEvent.objects.filter(application_id=OuterRef("pk"), action="submit", at__lt=end)
    decided = AuditEvent.objects.filter(
        application_id=OuterRef("pk"),
        action__in=["approve_decision", "declare_not_considered"],
        to_state__in=DECISION_STATES,
        at__lt=end,
    ).order_by("at", "id")
    units = Unit.objects.filter(application_id=OuterRef("pk")).order_by().values("application_id")
    return (
        Application.objects.filter(opening_id__in=scope.opening_ids or [0], created_at__lt=end)
        .annotate(
            state_at=Subquery(last.values("to_state")[:1]),
            closed_from=Subquery(last.values("from_state")[:1]),
            submitted_event=Subquery(submitted.values("at")[:1]),
            decided_event=Subquery(decided.values("at")[:1]),
            unit_count=Subquery(units.annotate(n=Count("id")).values("n")[:1]),
        )
        .filter(state_at__isnull=False)
        .order_by("id")
        .values_list(
            "reference",
            "opening__code",
            "state_at",
            "closed_from",
            "channel",
            "organisation__sector",
            "organisation__size_class",
            "organisation__province",
            "unit_count",
            "amount_requested",
            "amount_granted",
            "submitted_event",
            "decided_event",
        )
    )


def export_row(values: tuple) -> list:
    """One application as the export writes it (the order of EXPORT_COLUMNS)."""
    (reference, opening, state, closed_from, channel, sector, size, province, units, requested, granted, sub, dec) = (
        values
    )
    if state == State.CLOSED:
        state = f"{State.CLOSED} ({closed_from})"
    return [
        reference,
        opening,
        state,
        channel,
        sector,
        size,
        province or "",
        units or 0,
        "" if requested is None else money(requested),
        "" if granted is None else money(granted),
        "" if sub is None else timezone.localtime(sub).date().isoformat(),
        "" if dec is None else timezone.localtime(dec).date().isoformat(),
    ]
