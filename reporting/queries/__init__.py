"""The KPI figures of an opening, a scheme or the portfolio, as of any date.

Every figure comes from the audit trail and the ledger, so a report of a past
date gives the same answer after later changes:

- the state of an application at a date is the ``to_state`` of its last
  state-changing audit event at or before the end of that day (for ``closed``
  the state it was closed from, so a closed grant still counts as granted);
- money is the sum of the ledger entries booked at or before that moment.

What each application contributes at a moment is its *fact* (``facts``); every
figure of an opening is a sum of facts and ledger entries (``figures``), so the
daily job keeps the figures of each day (``snapshots``) and a report of any
date reads a few rows, plus, for today, the applications touched since the last
night. A test recomputes every report from the whole trail on random histories
and compares. The result is a plain dict that the API, ``kpi_report``, the
dashboards and the exports all share; ``docs/reports.md`` says what each
figure means.

The figures are cut by what they are about: ``base`` (categories, dates, money,
SQL helpers), ``scope``, ``facts``, ``figures``, ``snapshots``, ``funnel``,
``budget``, ``terms`` (lead times and penalties), ``programmes``,
``early_warning``, ``portfolio``, ``report`` (the one dict) and ``exports``
(the rows behind it).
"""

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
    "build_report",
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
