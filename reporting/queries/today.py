"""The figures of today, from the current state columns: no pass over the audit trail."""

from __future__ import annotations

import datetime
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from applications.models import Application, AuditEvent, Decision, Objection, Organisation, Unit
from applications.states import GRANTED_STATES, OPEN_STATES, TERM_RUNNING_STATES, WAITING_FOR_US, State

from .base import CATEGORY, DECISION_STATES, OPEN, _d, _fetch, _quoted, _table
from .funnel import _by_reason
from .terms import _penalty_from


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
    """Today: units of the submitted applications by opening, state and occupation sector."""
    units = f"JOIN {_table(Unit)} u ON u.application_id = a.id"
    sql = f"""
        SELECT a.opening_id, COALESCE(c.from_state, a.state), u.occupation_sector, COUNT(*)
        FROM {_current_from(opening_ids, units)} AND a.state <> '{State.DRAFT}'
        GROUP BY 1, 2, 3
    """
    return _fetch(sql)


def _occupation_sectors(unit_rows: list[tuple]) -> dict[str, int]:
    """Today: granted units by the occupation's sector, from the rows of ``_units_now``."""
    counts: dict[str, int] = defaultdict(int)
    for _opening, state, sector, n in unit_rows:
        if CATEGORY.get(state) == "granted":
            counts[sector] += n
    return dict(sorted(counts.items()))
