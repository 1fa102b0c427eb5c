"""The figures of a past date, from the audit trail: the state of every application at the
moment in a temporary table, and the grouped aggregates over it."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from django.db import connection

from applications.models import Application, AuditEvent, Organisation, Unit
from applications.states import GRANTED_STATES, TERM_RUNNING_STATES, WAITING_FOR_US

from .base import CATEGORY, DECISION_STATES, OPEN, _d, _dt, _fetch, _placeholders, _quoted, _table
from .funnel import _by_reason
from .terms import _penalty_from


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


def _units_by_occupation_sector(table: str) -> dict[str, int]:
    unit = _table(Unit)
    sql = f"""
        SELECT u.occupation_sector, COUNT(*)
        FROM {table} s JOIN {unit} u ON u.application_id = s.application_id
        WHERE s.state IN ({_placeholders(GRANTED_STATES)})
        GROUP BY u.occupation_sector
    """
    return dict(sorted(_fetch(sql, GRANTED_STATES)))


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
