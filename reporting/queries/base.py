"""What every figure shares: the categories of the states, the report's errors and dates,
money and percentages as the report writes them, and the small SQL helpers."""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

from applications import clocks
from applications.states import FIRST_DECISION_STATES, GRANTED_STATES, OPEN_STATES, State

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


# A report sorts the events of a scope once; with PostgreSQL's default 4 MB a million events spill to
# disk and JIT compilation costs more than it saves. Both only for the report's own transaction.
REPORT_WORK_MEM = "64MB"


@contextmanager
def _report_session():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
    yield


def _fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()
