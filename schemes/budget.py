"""The budget ledger of an opening: reserve, commit, pay, recover.

Every movement locks the opening's row, books an append-only LedgerEntry and
updates the running totals on that row. The database refuses a row where
reserved + committed exceeds the ceiling (check constraint
``opening_ceiling_never_exceeded``), so no code path can overspend, whatever
the concurrency.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from .formatting import euro
from .models import ZERO, LedgerEntry, Opening


class CeilingReached(Exception):
    """The amount does not fit under the opening's ceiling (Awb 4:25)."""

    def __init__(self, opening: Opening, amount: Decimal):
        self.opening = opening
        self.amount = amount
        super().__init__(
            _(
                "Het subsidieplafond van %(opening)s is bereikt: %(amount)s past niet meer (nog beschikbaar: %(available)s)."
            )
            % {"opening": opening.name, "amount": euro(amount), "available": euro(opening.available)}
        )


def lock_opening(opening_id: int) -> Opening:
    """The opening's row, locked for the rest of the transaction."""
    return Opening.objects.select_for_update().get(pk=opening_id)


def _book(opening: Opening, application, kind: str, amount: Decimal, note: str = "", at=None) -> None:
    if amount == 0:
        return
    LedgerEntry.objects.create(
        opening=opening, application=application, kind=kind, amount=amount, note=note, at=at or timezone.now()
    )


def _save_totals(opening: Opening) -> None:
    # No savepoint: the caller checked ``fits`` under the row lock, so the check constraint only
    # fires on a bug, and then the whole transaction must go anyway (CeilingReached rolls it back).
    try:
        # the queue length too: a submission's queue place and reservation are one UPDATE of the locked row
        Opening.objects.filter(pk=opening.pk).update(
            reserved=opening.reserved,
            committed=opening.committed,
            paid=opening.paid,
            recovered=opening.recovered,
            queue_length=opening.queue_length,
        )
    except IntegrityError:
        raise CeilingReached(opening, ZERO) from None


def fits(opening: Opening, amount: Decimal) -> bool:
    return opening.reserved + opening.committed + amount <= opening.budget_ceiling


def set_reservation(opening: Opening, application, amount: Decimal, *, note: str = "", at=None) -> bool:
    """Make the application's reservation ``amount`` (0 releases it). Raises CeilingReached.

    True when the opening's totals were written (False: nothing to change).
    """
    delta = amount - application.amount_reserved
    if delta == 0:
        return False
    if delta > 0 and not fits(opening, delta):
        raise CeilingReached(opening, delta)
    opening.reserved += delta
    _save_totals(opening)
    _book(opening, application, "reserve" if delta > 0 else "release", abs(delta), note, at)
    application.amount_reserved = amount
    return True


def set_commitment(opening: Opening, application, amount: Decimal, *, note: str = "", at=None) -> None:
    """Turn the reservation into a commitment of ``amount`` (a grant, or a settlement lowering it)."""
    reserved = application.amount_reserved
    delta = amount - application.amount_committed
    if delta - reserved > 0 and not fits(opening, delta - reserved):
        raise CeilingReached(opening, delta - reserved)
    opening.reserved -= reserved
    opening.committed += delta
    _save_totals(opening)
    _book(opening, application, "release", reserved, note, at)
    _book(opening, application, "commit" if delta > 0 else "decommit", abs(delta), note, at)
    application.amount_reserved = ZERO
    application.amount_committed = amount


def book_payment(opening: Opening, application, amount: Decimal, *, note: str = "", at=None) -> None:
    opening.paid += amount
    _save_totals(opening)
    _book(opening, application, "pay", amount, note, at)
    application.amount_paid += amount


def book_recovery(opening: Opening, application, amount: Decimal, *, note: str = "", at=None) -> None:
    opening.recovered += amount
    _save_totals(opening)
    _book(opening, application, "recover", amount, note, at)
    application.amount_recovered += amount


def book_settlement(opening: Opening, application, amount: Decimal, *, note: str = "", at=None) -> None:
    _book(opening, application, "settle", amount, note, at)
