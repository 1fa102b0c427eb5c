"""Statutory interest (wettelijke rente) on a recovery paid late (Awb 4:98, 4:102; the rate of art. 6:119 BW).

Simple interest per day at the rate in force that day, over a year of 365 days; after each full year from the
day it started, the interest of that year is added to the principal (6:119, second paragraph). Each year's
interest is rounded to the cent when it is added; the sum is what is owed. Exact Decimal throughout.

The rates are set by order in council (AMvB) twice a year at most; a new rate is one line in ``RATES``.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

CENT = Decimal("0.01")
DAYS_IN_YEAR = Decimal(365)

# The statutory interest rate for non-commercial transactions (art. 6:119 BW), per year, from the date given.
# Set by the Besluit vaststelling wettelijke rente each 1 January and 1 July where needed: the ECB's main
# refinancing rate at the end of October / April plus 2,25 points, rounded to whole percents (halves up), a change
# at most 2 points. 2015-2025 as published; the last two computed by that rule (ECB 2,40 % on 30 April 2025,
# 2,15 % on 31 October 2025) — check each new line against the Staatsblad before it is used.
RATES: tuple[tuple[datetime.date, Decimal], ...] = (
    (datetime.date(2015, 1, 1), Decimal("0.02")),
    (datetime.date(2023, 1, 1), Decimal("0.04")),
    (datetime.date(2023, 7, 1), Decimal("0.06")),
    (datetime.date(2024, 1, 1), Decimal("0.07")),
    (datetime.date(2025, 1, 1), Decimal("0.06")),
    (datetime.date(2025, 7, 1), Decimal("0.05")),
    (datetime.date(2026, 1, 1), Decimal("0.04")),
)


def rate_on(day: datetime.date, rates=RATES) -> Decimal:
    """The rate in force on ``day`` (the earliest known before the table starts)."""
    current = rates[0][1]
    for since, rate in rates:
        if since <= day:
            current = rate
        else:
            break
    return current


def _simple(principal: Decimal, start: datetime.date, end: datetime.date, rates) -> Decimal:
    """Simple interest on ``principal`` for the days from ``start`` up to ``end`` (not included), unrounded."""
    total = Decimal(0)
    day = start
    changes = [since for since, _rate in rates if start < since < end]
    for boundary in [*changes, end]:
        days = (boundary - day).days
        total += principal * rate_on(day, rates) * days / DAYS_IN_YEAR
        day = boundary
    return total


def statutory_interest(principal: Decimal, start: datetime.date, end: datetime.date, *, rates=RATES) -> Decimal:
    """The statutory interest owed on ``principal`` from ``start`` (the day after the due date) to ``end``."""
    if principal <= 0 or end <= start:
        return Decimal("0.00")
    owed = Decimal("0.00")
    base = principal
    year = 0
    while True:
        begin = start + relativedelta(years=year)
        anniversary = start + relativedelta(years=year + 1)
        if anniversary >= end:
            owed += _simple(base, begin, end, rates).quantize(CENT, rounding=ROUND_HALF_UP)
            return owed
        interest = _simple(base, begin, anniversary, rates).quantize(CENT, rounding=ROUND_HALF_UP)
        owed += interest
        base += interest  # compounded once a year (6:119 lid 2)
        year += 1
