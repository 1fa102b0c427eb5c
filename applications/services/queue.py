"""The first-come-first-served queue, kept strictly in the order of completeness (Awb 4:26; RVO's regulations).

- An application joins the queue when it is complete: at submission, and again on the day a supplement
  completes it (its place is the completion's, not the first submission's).
- It gets its reservation only when it fits under the ceiling *and* nobody before it is waiting: a later,
  smaller application never leapfrogs an earlier one that does not fit.
- The moment an application does not fit and nobody is waiting before it, the ceiling is crossed: that day's
  seed is committed (``seeds``), and when the day has ended its complete applications are ranked by lottery
  (``draws.draw_ended_days``); ``reorder`` gives them their places in the drawn order.
- Money that comes free while the opening is open (a withdrawal, a rejection, a lower grant or settlement, a
  revocation, an application that leaves the queue to be completed, a raised ceiling) goes first to the marginal
  application that holds only part of what it asked (Awb 4:25 lid 2, "voor zover"; undecided), then to the next
  in line, in order, as far as it reaches — the first that does not fit gets the rest where the opening allows a
  partial grant; after the close it stays free (vrijval) and no one is moved up. A proposal held to the old part
  is not approved once the application was topped up (``money.grant``): it is proposed again.

Everything here runs under the opening's row lock (``schemes.budget.lock_opening``), so the queue and the
ceiling change together or not at all.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Q

from schemes import budget
from schemes.models import Opening

from .. import audit, clocks
from ..models import Application
from ..states import OPEN_STATES
from . import allocation, seeds


def waiting(opening: Opening, *, besides: Application | None = None):
    """The applications in line for money, by their place: the order of completeness, and on the day the ceiling
    was crossed the drawn order."""
    rows = Application.objects.filter(opening=opening, over_ceiling=True, state__in=OPEN_STATES)
    if besides is not None:
        rows = rows.filter(~Q(pk=besides.pk))
    return rows.order_by(F("queue_position").asc(nulls_last=True), "complete_at")


def _ahead(opening: Opening, *, besides: Application):
    """Someone before any newcomer: in line for money, or holding only part of what it asked (one query)."""
    return Application.objects.filter(Q(over_ceiling=True) | _SHORT, opening=opening, state__in=OPEN_STATES).filter(
        ~Q(pk=besides.pk)
    )


def join(opening: Opening, app: Application, amount: Decimal, *, note: str, at) -> bool:
    """Reserve for ``app`` if it fits and nobody is waiting before it (nor holding only part of its ask); else it waits. True when the opening's
    totals were written."""
    someone_waits = _ahead(opening, besides=app).exists()
    if budget.fits(opening, amount) and not someone_waits:
        app.over_ceiling = False
        return budget.set_reservation(opening, app, amount, note=note, at=at)
    if opening.distribution == "fcfs" and not someone_waits:  # the ceiling is crossed now: that day is drawn
        seeds.commit(opening, day=clocks.local_date(at), at=at)
    app.over_ceiling = True
    return False


def move_up(opening: Opening, *, at, besides: Application | None = None) -> list[Application]:
    """While the opening is open: what came free goes first to the marginal application that holds only part of
    what it asked (Awb 4:25 lid 2, "voor zover"), up to what it asked, then to the next in line, in order, up to
    the first that does not fit — which gets the rest where the opening allows a partial grant. After the close
    nothing moves: what came free is vrijval."""
    if opening.distribution != "fcfs" or opening.status_at(at) != Opening.Status.OPEN:
        return []
    moved = []
    for app in [
        *short(opening, besides=besides).select_for_update(),
        *waiting(opening, besides=besides).select_for_update(),
    ]:
        asked = app.amount_requested or Decimal("0.00")
        if budget.fits(opening, asked - app.amount_reserved):
            amount = asked
        else:
            amount = app.amount_reserved + opening.available  # all that is left under the ceiling
            if amount <= app.amount_reserved or not allocation.partly_fits(opening, amount):
                break  # strictly in order: nobody behind it goes first
        topped_up = app.amount_reserved > 0
        note = "aangevuld: budget vrijgekomen" if topped_up else "aan de beurt: budget vrijgekomen"
        budget.set_reservation(opening, app, amount, note=note, at=at)
        app.over_ceiling = False
        app.save(update_fields=["over_ceiling", "amount_reserved", "version"])
        audit.record(
            app, None, "reserved_in_turn", data={"amount": amount, "asked": asked, "topped_up": topped_up}, at=at
        )
        moved.append(app)
        if amount < asked:
            break  # the marginal application holds all that is left
    return moved


# Holding part of what it asked: the marginal application's partial grant.
_SHORT = Q(over_ceiling=False, amount_reserved__gt=0, amount_reserved__lt=F("amount_requested"))


def on_ceiling_changed(sender, *, opening: Opening, at, **kwargs) -> None:
    """A raised ceiling (``schemes.services.change_ceiling``, under the opening's lock): what it freed goes to the
    marginal application and the next in line, as any money that comes free while the opening is open."""
    move_up(opening, at=at)


def short(opening: Opening, *, besides: Application | None = None):
    """Undecided applications that hold less than they asked: the marginal one's partial grant ("voor zover")."""
    rows = Application.objects.filter(_SHORT, opening=opening, state__in=OPEN_STATES)
    if besides is not None:
        rows = rows.filter(~Q(pk=besides.pk))
    return rows.order_by(F("queue_position").asc(nulls_last=True), "complete_at")


def requeue_on_completion(app: Application, *, at) -> None:
    """A supplement completes the application: it joins the queue again on that moment, at its end."""
    opening = budget.lock_opening(app.opening_id)
    if app.amount_reserved:
        budget.set_reservation(opening, app, Decimal("0.00"), note="opnieuw in de rij: aangevuld", at=at)
    app.complete_at = at
    _to_the_end(opening, app)
    if opening.distribution == "fcfs":
        move_up(opening, at=at, besides=app)  # those now before it, first
        join(
            opening, app, app.amount_requested or Decimal("0.00"), note="aangevuld: op de datum van volledigheid", at=at
        )


# Beyond any place a queue reaches: the shift below goes through it, so the unique places never collide.
_ASIDE = 1_000_000_000


def _to_the_end(opening: Opening, app: Application) -> None:
    """The application takes the last place; those after its old place move up one. Places stay 1…n without
    gaps or doubles (``reconcile`` checks), also under the unique index, which is checked row by row."""
    old = app.queue_position
    if old is None:  # not in the queue yet: it takes a new last place
        opening.queue_length += 1
        Opening.objects.filter(pk=opening.pk).update(queue_length=opening.queue_length)
        app.queue_position = opening.queue_length
        return
    rows = Application.objects.filter(opening=opening, queue_position__gt=old)
    Application.objects.filter(pk=app.pk).update(queue_position=None)
    rows.update(queue_position=F("queue_position") + _ASIDE)
    Application.objects.filter(opening=opening, queue_position__gt=_ASIDE).update(
        queue_position=F("queue_position") - _ASIDE - 1
    )
    app.queue_position = opening.queue_length


def reorder(opening: Opening, apps: list[Application]) -> None:
    """The applications take the places they held between them, in the order given (the day's draw)."""
    places = sorted(app.queue_position for app in apps if app.queue_position is not None)
    placed = [app for app in apps if app.queue_position is not None]
    if len(places) < 2:
        return
    Application.objects.filter(pk__in=[app.pk for app in placed]).update(queue_position=F("queue_position") + _ASIDE)
    for app, place in zip(placed, places, strict=True):
        Application.objects.filter(pk=app.pk).update(queue_position=place)
        app.queue_position = place
