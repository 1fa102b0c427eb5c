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
SETTLEMENT_DECISION_WEEKS = 8  # the term to decide on a settlement request when the scheme names none
PENALTY_GRACE_WEEKS = 2  # Awb 4:17 lid 3: in default two weeks after the notice (and the term's end)
PENALTY_MAX_DAYS = 42  # Awb 4:17 lid 1
PENALTY_FIXING_WEEKS = 2  # Awb 4:18: the amount fixed within two weeks of the last day owed

# Where the decision term starts: a rule of the scheme (Awb 4:13 lid 2 and the scheme's own article).
TERM_FROM_SUBMISSION = "submission"  # the day the application was received (4:13 lid 2), the default
TERM_FROM_COMPLETENESS = "completeness"  # the day it was complete: a supplement starts the term anew
TERM_FROM_CLOSE = "close"  # the close of the window: lottery and tender openings decide all at once
TERM_FROM_DATE = "date"  # a date the scheme names for the window (the opening's ``decision_term_starts_on``)
TERM_STARTS = (TERM_FROM_SUBMISSION, TERM_FROM_COMPLETENESS, TERM_FROM_CLOSE, TERM_FROM_DATE)
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


def decision_term_start(
    rule: str,
    *,
    submitted_on: datetime.date,
    complete_on: datetime.date | None = None,
    closes_on: datetime.date | None = None,
    named_on: datetime.date | None = None,
) -> datetime.date:
    """The day the decision term starts, by the scheme's rule; never before the application was received."""
    if rule == TERM_FROM_COMPLETENESS:
        start = complete_on
    elif rule == TERM_FROM_CLOSE:
        start = closes_on
    elif rule == TERM_FROM_DATE:
        start = named_on or closes_on
    else:
        start = submitted_on
    return max(submitted_on, start or submitted_on)


def counts_suspension(rule: str) -> bool:
    """From completeness the term starts anew after a supplement: the days waiting are not added as well."""
    return rule != TERM_FROM_COMPLETENESS


def decision_due(
    complete_on: datetime.date,
    *,
    term_weeks: int,
    suspended_days: int = 0,
    postponed_days: int = 0,
) -> datetime.date:
    """Awb 4:13 term from its start, extended by suspensions (4:15) and a postponement (4:14)."""
    end = complete_on + datetime.timedelta(weeks=term_weeks, days=suspended_days + postponed_days)
    return next_working_day(end)


def suspension_days(
    requested_on: datetime.date,
    answered_on: datetime.date,
    *,
    due_on: datetime.date | None = None,
    term_start: datetime.date | None = None,
) -> int:
    """Days the decision term stands still for one supplement request (Awb 4:15 lid 1 sub a).

    From the day after the request until the supplement arrives or the term given for it
    expires unused, whichever is first (``due_on``); and only while the decision term runs
    (not before ``term_start``, e.g. before the window of a lottery closes).
    """
    end = min(answered_on, due_on) if due_on is not None else answered_on
    begin = max(requested_on, term_start) if term_start is not None else requested_on
    return max(0, (end - begin).days)


def supplement_due(requested_on: datetime.date, days: int) -> datetime.date:
    return next_working_day(requested_on + datetime.timedelta(days=days))


def objection_due(sent_on: datetime.date) -> datetime.date:
    """Six weeks from the day after the decision was sent: the last day to object (6:7, 6:8)."""
    return next_working_day(sent_on + datetime.timedelta(weeks=OBJECTION_TERM_WEEKS))


def objection_timely(
    due: datetime.date, received_on: datetime.date, postmarked_on: datetime.date | None = None
) -> bool:
    """Awb 6:9: received within the term, or posted within it and received no later than a week after it."""
    if received_on <= due:
        return True
    return postmarked_on is not None and postmarked_on <= due and received_on <= due + datetime.timedelta(weeks=1)


OBJECTION_POSTPONEMENT_WEEKS = 6  # Awb 7:10 lid 3


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


def in_default_after(notice_received_on: datetime.date, term_due: datetime.date | None = None) -> datetime.date:
    """Two weeks after the notice (and after the term's last day): in default from the day after (4:17 lid 1).

    Calendar days: the Atw does not apply to the penalty's days (4:17 lid 6).
    """
    later = max(notice_received_on, term_due) if term_due else notice_received_on
    return later + datetime.timedelta(weeks=PENALTY_GRACE_WEEKS)


def penalty_days(
    notice_received_on: datetime.date | None,
    today: datetime.date,
    *,
    term_due: datetime.date | None = None,
    paused: tuple[tuple[datetime.date, datetime.date], ...] = (),
) -> int:
    """The days in default up to ``today``, at most 42; days waiting for the applicant (``paused``) do not count.

    ``paused`` holds (from, until) periods, e.g. a supplement asked on ``from`` and in (or its term over)
    on ``until``: the days after ``from`` up to ``until`` are the applicant's.
    """
    if notice_received_on is None:
        return 0
    start = in_default_after(notice_received_on, term_due)
    if today <= start:
        return 0
    days = (today - start).days
    for begin, until in paused:
        overlap = (min(until, today) - max(begin, start)).days
        days -= max(0, overlap)
    return min(max(0, days), PENALTY_MAX_DAYS)


def penalty_last_day(
    notice_received_on: datetime.date, term_due: datetime.date | None, decided_on: datetime.date | None
):
    """The last day a penalty can run: the day before the decision, or the 42nd day in default."""
    cap = in_default_after(notice_received_on, term_due) + datetime.timedelta(days=PENALTY_MAX_DAYS)
    return min(cap, decided_on - datetime.timedelta(days=1)) if decided_on else cap


def penalty_fixing_due(last_day: datetime.date) -> datetime.date:
    """Awb 4:18: the amount is fixed by decision within two weeks of the last day it ran."""
    return next_working_day(last_day + datetime.timedelta(weeks=PENALTY_FIXING_WEEKS))


def settlement_decision_due(requested_on: datetime.date, *, term_weeks: int | None, postponed_days: int = 0):
    """The term to decide on a settlement request: the scheme's, or eight weeks."""
    weeks = term_weeks or SETTLEMENT_DECISION_WEEKS
    return next_working_day(requested_on + datetime.timedelta(weeks=weeks, days=postponed_days))


def days_left(due: datetime.date | None, today: datetime.date | None = None) -> int | None:
    if due is None:
        return None
    return (due - (today or local_date())).days
