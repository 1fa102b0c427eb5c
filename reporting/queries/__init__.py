"""The KPI figures of an opening, a scheme or the portfolio, as of any date.

Everything is computed in the database. A report for a past date comes from
the audit trail and the ledger alone, so it gives the same answer after later
changes; today's report reads the current state columns and running totals
(``today``), and a test proves both paths agree on today:

- the state of an application at a date is the ``to_state`` of its last
  state-changing audit event at or before the end of that day (for ``closed``
  the state it was closed from, so a closed grant still counts as granted);
- money is the sum of the ledger entries booked at or before that moment.

One pass over the audit events (a window function: the last event per
application, and the moments of submission and of the first decision) fills a
temporary table; the figures are a handful of grouped aggregates over it. The
result is a plain dict that the API, ``kpi_report``, the dashboards and the
exports all share; ``docs/reports.md`` says what each figure means.

The figures are cut by what they are about: ``base`` (categories, dates, money,
SQL helpers), ``scope``, ``as_of`` (a past date, from the audit trail),
``today`` (from the current columns), ``funnel``, ``budget``, ``terms`` (lead
times and penalties), ``programmes``, ``early_warning``, ``portfolio``,
``report`` (the one dict) and ``exports`` (the rows behind it).
"""

from .as_of import application_states
from .base import (
    CATEGORIES,
    CATEGORY,
    DECISION_STATES,
    EARLIEST_AS_OF,
    OPEN,
    REPORT_WORK_MEM,
    ReportError,
    end_of_day,
    money,
    parse_as_of,
    pct,
)
from .early_warning import LEVEL_ORDER, elapsed_fraction, opening_target, warning_level
from .exports import EXPORT_COLUMNS, export_row, report_applications
from .illustrative import is_illustrative
from .portfolio import PILLARS
from .report import build_report, kpi_report
from .scope import PORTFOLIO_CODES, SCOPES, Scope, resolve_scope
from .today import current_states

__all__ = [
    "CATEGORIES",
    "CATEGORY",
    "DECISION_STATES",
    "EARLIEST_AS_OF",
    "EXPORT_COLUMNS",
    "LEVEL_ORDER",
    "OPEN",
    "PILLARS",
    "PORTFOLIO_CODES",
    "REPORT_WORK_MEM",
    "SCOPES",
    "ReportError",
    "Scope",
    "application_states",
    "build_report",
    "current_states",
    "elapsed_fraction",
    "end_of_day",
    "export_row",
    "is_illustrative",
    "kpi_report",
    "money",
    "opening_target",
    "parse_as_of",
    "pct",
    "report_applications",
    "resolve_scope",
    "warning_level",
]
