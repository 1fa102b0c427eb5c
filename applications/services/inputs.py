"""Reading the input of an act: money, dates and text, refused with a message per field."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from schemes.rules import to_money

from ..errors import Invalid


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
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        message = _("'%(value)s' is geen datum (gebruik JJJJ-MM-DD).") % {"value": value}
        raise Invalid(message, {key: [message]}) from None


def text(data: dict, key: str, *, required: bool = False, max_length: int = 10000) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("'%(field)s' moet tekst zijn.") % {"field": key}, {key: [_("Moet tekst zijn.")]})
    value = value.strip()
    if required and not value:
        raise _required(key)
    if len(value) > max_length:
        raise Invalid(_("'%(field)s' is te lang.") % {"field": key}, {key: [_("Te lang.")]})
    return value
