"""The clocks of the law, as functions on dates.

Statutory terms that end on a Saturday, Sunday or a generally recognised
holiday run on to the next working day (Algemene termijnenwet, art. 1). The
holidays are the Atw's own list (art. 3), not the calendar of public holidays:
New Year's Day, Easter Monday, King's Day, 5 May (every year, lid 1), Ascension
Day, Whit Monday and both Christmas days; Good Friday is equated (lid 2); and the
days equated by royal decree (lid 3) are data that administrators keep, with the
decree's reference (``EquatedDay``). The penalty days of Awb 4:17 are exempt
(4:17 lid 6), so ``penalty`` does not roll.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import lru_cache

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.utils import timezone

OBJECTION_TERM_WEEKS = 6  # Awb 6:7
OBJECTION_DECISION_WEEKS = 6  # Awb 7:10 (12 with an advisory committee)
SETTLEMENT_REQUEST_WEEKS = 13  # Awb 4:44, ex officio when missed (4:47)
PAYMENT_WEEKS = 6  # Awb 4:87
NOT_CONSIDERED_WINDOW_WEEKS = 4  # Awb 4:5 lid 4
RECOVERY_HORIZON_YEARS = 5  # Awb 4:49, 4:57
PENALTY_RATES = ((14, Decimal("23")), (14, Decimal("35")), (14, Decimal("45")))  # Awb 4:17


def atw_holidays(year: int) -> frozenset[datetime.date]:
    """The days Atw art. 3 lid 1 and 2 name, in ``year`` (the royal decrees' days are in ``equated_days``)."""
    return _statutory(year) | equated_days(year)


@lru_cache(maxsize=256)
def _statutory(year: int) -> frozenset[datetime.date]:
    easter_sunday = easter(year)
    kings_day = datetime.date(year, 4, 27)
    if kings_day.weekday() == 6:  # on a Sunday the King's birthday is celebrated the day before
        kings_day = datetime.date(year, 4, 26)
    return frozenset(
        {
            datetime.date(year, 1, 1),  # Nieuwjaarsdag
            easter_sunday - datetime.timedelta(days=2),  # Goede Vrijdag, gelijkgesteld (lid 2)
            easter_sunday + datetime.timedelta(days=1),  # tweede Paasdag
            kings_day,  # de dag waarop de verjaardag van de Koning wordt gevierd
            datetime.date(year, 5, 5),  # de vijfde mei: every year
            easter_sunday + datetime.timedelta(days=39),  # Hemelvaartsdag
            easter_sunday + datetime.timedelta(days=50),  # tweede Pinksterdag
            datetime.date(year, 12, 25),
            datetime.date(year, 12, 26),
        }
    )


_equated: dict[int, frozenset[datetime.date]] = {}


def equated_days(year: int) -> frozenset[datetime.date]:
    """Days equated with a holiday by royal decree (Atw art. 3 lid 3), as the administrators keep them."""
    if year not in _equated:
        model = apps.get_model("applications", "EquatedDay")
        _equated[year] = frozenset(model.objects.filter(day__year=year).values_list("day", flat=True))
    return _equated[year]


def forget_equated_days() -> None:
    """After a change of the equated days: read them again."""
    _equated.clear()


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in atw_holidays(day.year)


def next_working_day(day: datetime.date) -> datetime.date:
    """The day itself if it is a working day, otherwise the first one after it."""
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def local_date(moment: datetime.datetime | None = None) -> datetime.date:
    return timezone.localdate(moment or timezone.now())


def decision_due(
    complete_on: datetime.date,
    *,
    term_weeks: int,
    suspended_days: int = 0,
    postponed_days: int = 0,
) -> datetime.date:
    """Awb 4:13 term from completeness, extended by suspensions (4:15) and a postponement (4:14)."""
    end = complete_on + datetime.timedelta(weeks=term_weeks, days=suspended_days + postponed_days)
    return next_working_day(end)


def suspension_days(requested_on: datetime.date, answered_on: datetime.date) -> int:
    """Days the decision term stands still for one supplement request (Awb 4:15 lid 1 sub a)."""
    return max(0, (answered_on - requested_on).days)


def supplement_due(requested_on: datetime.date, days: int) -> datetime.date:
    return next_working_day(requested_on + datetime.timedelta(days=days))


def objection_due(sent_on: datetime.date) -> datetime.date:
    """Six weeks from the day after the decision was sent: the last day to object (6:7, 6:8)."""
    return next_working_day(sent_on + datetime.timedelta(weeks=OBJECTION_TERM_WEEKS))


def objection_decision_due(objection_term_end: datetime.date, *, committee: bool = False) -> datetime.date:
    weeks = 12 if committee else OBJECTION_DECISION_WEEKS
    return next_working_day(objection_term_end + datetime.timedelta(weeks=weeks))


def settlement_request_due(project_end: datetime.date) -> datetime.date:
    return next_working_day(project_end + datetime.timedelta(weeks=SETTLEMENT_REQUEST_WEEKS))


def ex_officio_settlement_from(settlement_due_on: datetime.date) -> datetime.date:
    """When the request is 13 weeks late, the agency settles ex officio."""
    return settlement_due_on + datetime.timedelta(weeks=SETTLEMENT_REQUEST_WEEKS)


def payment_due(decided_on: datetime.date) -> datetime.date:
    return next_working_day(decided_on + datetime.timedelta(weeks=PAYMENT_WEEKS))


def recovery_horizon(settled_on: datetime.date) -> datetime.date:
    return settled_on + relativedelta(years=RECOVERY_HORIZON_YEARS)


def not_considered_deadline(supplement_due_on: datetime.date) -> datetime.date:
    return supplement_due_on + datetime.timedelta(weeks=NOT_CONSIDERED_WINDOW_WEEKS)


def penalty(days_in_default: int) -> Decimal:
    """Awb 4:17: € 23, € 35, € 45 a day over three fortnights; at most 42 days."""
    total = Decimal("0")
    remaining = max(0, days_in_default)
    for length, rate in PENALTY_RATES:
        days = min(remaining, length)
        total += rate * days
        remaining -= days
    return total


def penalty_days(notice_received_on: datetime.date | None, today: datetime.date) -> int:
    """Penalty runs from two weeks after the notice of default was received (4:17 lid 1)."""
    if notice_received_on is None:
        return 0
    start = notice_received_on + datetime.timedelta(weeks=2)
    return max(0, (today - start).days)


def days_left(due: datetime.date | None, today: datetime.date | None = None) -> int | None:
    if due is None:
        return None
    return (due - (today or local_date())).days
