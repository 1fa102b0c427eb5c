"""Reading the input of an act: money, dates and text, refused with a message per field.

Dates of law run from 1990 to 2100: a date far outside is a typing error, and one past 9999 minus a term
cannot be computed (a traject ending on 9999-12-31 made every grant of its application fail). Text holds
no NUL character: PostgreSQL refuses it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from schemes.rules import to_money

from ..errors import Invalid

FIRST_DAY = datetime.date(1990, 1, 1)
LAST_DAY = datetime.date(2100, 12, 31)


def out_of_range_message() -> str:
    return _("Vul een datum tussen %(first)s en %(last)s in.") % {"first": FIRST_DAY.year, "last": LAST_DAY.year}


def nul_message() -> str:
    return _("De tekst bevat een NUL-teken; dat kan niet worden opgeslagen.")


def contains_nul(value) -> bool:
    """Whether a string anywhere in a value (keys of objects included) holds a NUL character."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def _required(key: str) -> Invalid:
    return Invalid(_("Vul '%(field)s' in.") % {"field": key}, {key: [_("Dit veld is verplicht.")]})


def money(data: dict, key: str, *, required: bool = False) -> Decimal | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise _required(key)
        return None
    try:
        amount = to_money(value)
    except ValueError as exc:
        raise Invalid(str(exc), {key: [str(exc)]}) from None
    if amount < 0:
        raise Invalid(_("Een bedrag kan niet negatief zijn."), {key: [_("Een bedrag kan niet negatief zijn.")]})
    return amount


def date(data: dict, key: str, *, required: bool = False) -> datetime.date | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            raise _required(key)
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value))
        except ValueError:
            message = _("'%(value)s' is geen datum (gebruik JJJJ-MM-DD).") % {"value": value}
            raise Invalid(message, {key: [message]}) from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise Invalid(out_of_range_message(), {key: [out_of_range_message()]})
    return value


def text(data: dict, key: str, *, required: bool = False, max_length: int = 10000) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("'%(field)s' moet tekst zijn.") % {"field": key}, {key: [_("Moet tekst zijn.")]})
    value = value.strip()
    if "\x00" in value:
        raise Invalid(nul_message(), {key: [nul_message()]})
    if required and not value:
        raise _required(key)
    if len(value) > max_length:
        raise Invalid(_("'%(field)s' is te lang.") % {"field": key}, {key: [_("Te lang.")]})
    return value
