"""Dutch formats for money and dates: € 34.600.000,00 and 1 september 2021."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import get_language

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def euro(value: Decimal | int | float | str | None, *, cents: bool = True) -> str:
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    negative = amount < 0
    whole, _, fraction = f"{abs(amount):.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    if cents:
        text = f"{text},{fraction}"
    return f"{'-' if negative else ''}€ {text}"


def getal(value: Decimal | int | float | str | None) -> str:
    """A figure the Dutch way, without trailing zeros: 8.500, 12,5, 1.234.567,25; a value that is no
    number is shown as given."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = f"{abs(number).normalize():f}"
    whole, _, fraction = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return ("-" if number < 0 else "") + ".".join(groups) + (f",{fraction}" if fraction else "")


MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def datum(value: datetime.date | datetime.datetime | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    months = MONTHS_EN if (get_language() or "nl").startswith("en") else MONTHS
    return f"{value.day} {months[value.month - 1]} {value.year}"


def datum_tijd(value: datetime.datetime | None) -> str:
    if value is None:
        return "—"
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{datum(value)} {value:%H:%M}"
