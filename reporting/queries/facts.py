"""What each application contributes to a report at a moment, read from the audit trail.

A *fact* is one application as it stood at the moment: its state (the
``to_state`` of its last state-changing event; for ``closed`` the state it was
closed from, so a closed grant still counts as granted), its organisation's
dimensions, its units and amount, the dates the law's clocks need, the reason
of a rejection, the days from submission to the first decision, and what its
settlement request reported about its units. Every figure of a report is a sum
over facts (``figures``), so the same function serves a full recomputation and
the day-by-day snapshots (``reporting.snapshots``) that make a report fast.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from applications.models import Application, AuditEvent, Organisation, Unit
from applications.states import GRANTED_STATES, TERM_RUNNING_STATES, WAITING_FOR_US, State
from schemes.models import Opening

from .base import CATEGORY, DECISION_STATES, OPEN, _dt, _fetch, _placeholders, _table

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Fact:
    application_id: int
    opening_id: int
    organisation_id: int
    state: str
    sector: str
    size_class: str
    province: str
    channel: str
    units: int = 0
    amount: Decimal = Decimal("0.00")
    decision_due: datetime.date | None = None  # only while the decision is ours to take (it can become overdue)
    notice_on: datetime.date | None = None  # a notice of default, only while a term of ours runs (Awb 4:17)
    reason: str | None = None  # the reason code of a rejection
    lead_days: int | None = None  # calendar days from submission to the first decision
    occupations: tuple = ()  # (occupation sector, units) of a granted application
    progress: tuple = ()  # (reported, started, completed, cancelled, settled) units: from the settlement request,
    # or before it the started ones from the last start report

    @property
    def category(self) -> str:
        return CATEGORY.get(self.state, OPEN)


def _when(value) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = parse_datetime(str(value))  # SQLite hands back text
    return timezone.make_aware(parsed, datetime.UTC) if parsed and timezone.is_naive(parsed) else parsed


def _day(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return parse_date(str(value)[:10])


def _json(value) -> dict:
    if isinstance(value, dict):
        return value
    return json.loads(value or "{}")


def _which(app_ids, opening_ids) -> tuple[str, list]:
    """The SQL condition on ``application_id`` for the applications asked for, with its parameters."""
    app = _table(Application)
    if app_ids is not None:
        ids = ", ".join(str(int(pk)) for pk in app_ids) or "NULL"  # integers only: inlined, any number of them
        return f"IN ({ids})", []
    return f"IN (SELECT id FROM {app} WHERE opening_id IN ({_placeholders(opening_ids)}))", list(opening_ids)


def facts_from_trail(end: datetime.datetime, *, app_ids=None, opening_ids=None) -> list[Fact]:
    """The facts at ``end`` of the applications ``app_ids`` (or of every application of ``opening_ids``).

    An application with no state-changing event before ``end`` did not exist yet
    and has no fact. The organisation's dimensions, the amount and the clocks'
    dates are the columns (every change of those is an act with its own event).
    """
    if app_ids is not None and not app_ids:
        return []
    event, app, org = _table(AuditEvent), _table(Application), _table(Organisation)
    which, which_params = _which(app_ids, opening_ids)
    sql = f"""
        SELECT l.application_id, a.opening_id, a.organisation_id, l.state, o.sector, o.size_class, o.province,
               a.channel, COALESCE(a.amount_granted, a.amount_requested, 0), a.decision_due, a.default_notice_on,
               l.submitted_at, l.decided_at
        FROM (
            SELECT application_id, state, submitted_at, decided_at FROM (
                SELECT e.application_id AS application_id,
                       CASE WHEN e.to_state = 'closed' THEN e.from_state ELSE e.to_state END AS state,
                       ROW_NUMBER() OVER w AS rn,
                       COUNT(*) OVER (PARTITION BY e.application_id) AS n,
                       MIN(CASE WHEN e.action = 'submit' THEN e.at END) OVER w AS submitted_at,
                       MIN(CASE WHEN e.to_state IN ({_placeholders(DECISION_STATES)})
                                AND e.action IN ('approve_decision', 'declare_not_considered') THEN e.at END)
                           OVER w AS decided_at
                FROM {event} e
                WHERE e.at < %s AND e.to_state <> e.from_state AND e.application_id {which}
                WINDOW w AS (PARTITION BY e.application_id ORDER BY e.at, e.id)
            ) numbered
            WHERE rn = n
        ) l
        JOIN {app} a ON a.id = l.application_id
        JOIN {org} o ON o.id = a.organisation_id
    """
    rows = _fetch(sql, [*DECISION_STATES, _dt(end), *which_params])
    if not rows:
        return []
    ids = [row[0] for row in rows]
    per_unit = _per_unit_openings({row[1] for row in rows})
    units, occupations = _units(ids)
    rejected = [row[0] for row in rows if row[3] == State.REJECTED]
    reasons = _last_event_data(rejected, end, "e.to_state = 'rejected' AND e.from_state <> 'rejected'")
    granted = [row[0] for row in rows if row[3] in GRANTED_STATES]
    settlement_requests = _last_event_data(granted, end, "e.action = 'request_settlement'")
    start_reports = _last_event_data(granted, end, "e.action = 'report_start'")
    zone = timezone.get_current_timezone()
    facts = []
    for (
        pk,
        opening_id,
        organisation_id,
        state,
        sector,
        size,
        province,
        channel,
        amount,
        due,
        notice,
        submitted,
        decided,
    ) in rows:
        counted = units.get(pk, 0) if opening_id in per_unit else 0
        submitted, decided = _when(submitted), _when(decided)
        lead = None
        if submitted and decided:
            lead = (decided.astimezone(zone).date() - submitted.astimezone(zone).date()).days
        progress = ()
        if pk in settlement_requests and counted:
            data = settlement_requests[pk]
            completed = len(data.get("units_completed") or [])
            started = max(completed, len(data.get("units_started") or []))
            settled = completed if state == State.SETTLED else 0
            progress = (counted, started, completed, max(counted - completed, 0), settled)
        elif pk in start_reports and counted:  # begun, reported before the settlement (report_start)
            progress = (0, min(len(start_reports[pk].get("units_started") or []), counted), 0, 0, 0)
        facts.append(
            Fact(
                application_id=pk,
                opening_id=opening_id,
                organisation_id=organisation_id,
                state=state,
                sector=sector,
                size_class=size,
                province=province or "onbekend",
                channel=channel,
                units=counted,
                amount=Decimal(str(amount or 0)).quantize(CENT),
                decision_due=_day(due) if state in WAITING_FOR_US else None,
                notice_on=_day(notice) if state in TERM_RUNNING_STATES else None,
                reason=(reasons.get(pk, {}).get("reason_code") or "other") if state == State.REJECTED else None,
                lead_days=lead,
                occupations=tuple(sorted(occupations.get(pk, {}).items()))
                if state in GRANTED_STATES and opening_id in per_unit
                else (),
                progress=progress,
            )
        )
    return facts


def _per_unit_openings(opening_ids) -> set[int]:
    """Units count in the openings of schemes that grant per unit (trajecten); elsewhere they are detail."""
    return set(Opening.objects.filter(pk__in=list(opening_ids), scheme__shape="per_unit").values_list("pk", flat=True))


def _units(app_ids: list[int]) -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    counts: dict[int, int] = defaultdict(int)
    by_sector: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unit = _table(Unit)
    ids = ", ".join(str(int(pk)) for pk in app_ids)
    sql = (
        f"SELECT application_id, occupation_sector, COUNT(*) FROM {unit} WHERE application_id IN ({ids}) GROUP BY 1, 2"
    )
    for pk, sector, n in _fetch(sql):
        counts[pk] += n
        by_sector[pk][sector] += n
    return counts, {pk: dict(v) for pk, v in by_sector.items()}


def _last_event_data(app_ids: list[int], end: datetime.datetime, condition: str) -> dict[int, dict]:
    """The ``data`` of each application's last event matching ``condition`` before ``end``."""
    if not app_ids:
        return {}
    event = _table(AuditEvent)
    ids = ", ".join(str(int(pk)) for pk in app_ids)
    sql = f"""
        SELECT e.application_id, e.data FROM {event} e
        WHERE e.application_id IN ({ids}) AND e.at < %s AND {condition}
        ORDER BY e.application_id, e.at, e.id
    """
    last = {}
    for pk, data in _fetch(sql, [_dt(end)]):
        last[pk] = _json(data)
    return last
