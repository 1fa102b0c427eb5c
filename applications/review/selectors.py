"""Reads for the reviewer workspace: the queue, its counts, the second reviewer's list, the case file.

The queue stays at a constant number of queries per page whatever the number
of applications: the openings of the reviewer's team (1), the page itself with
its scheme, organisation and reviewer joined (1), and the counts per state in
one statement (1), each count an index range capped at ``COUNT_CAP``. Pages are keyset-paginated
on (sort key, id), so page 2.000 costs what page 1 costs, and the default view
reads a partial index of the work in progress (migration 0005).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan

from schemes.models import Opening

from .. import clocks
from ..models import Application, Assessment, Decision, Role, SupplementRequest, Tranche, User
from ..states import OPEN_STATES, SETTLEMENT_WAITING, WAITING_FOR_US, State

PAGE_SIZE = 50

# The work in progress: what waits for a reviewer. The default view of the queue.
WORK_STATES = (*OPEN_STATES, State.SETTLEMENT_REQUESTED, State.SETTLEMENT_PROPOSED)
# Pseudo-states of the state filter.
EXPIRED = "expired"  # termijn verlopen: the supplement term passed unused
TRANCHE_DUE = "tranche_due"  # a gated tranche waits for its review
SAMPLE_CHECK = "sample_check"  # a small grant drawn for a check before its ex officio settlement

SORTS = {
    "decision_due": ("decision_due", "id"),
    "queue": ("complete_at", "id"),
}


@dataclass
class QueueFilters:
    scheme: int | None = None
    opening: int | None = None
    state: str = ""
    assigned: str = ""  # "" everyone, "me", "none"
    overdue: bool = False
    due_within: int | None = None
    sort: str = "decision_due"
    after: str = ""  # the keyset cursor: "<sort value>|<id>"

    def without_state(self) -> QueueFilters:
        return QueueFilters(**{**self.__dict__, "state": "", "after": ""})


@dataclass
class QueuePage:
    rows: list[Application]
    counts: dict[str, int]
    next_cursor: str = ""
    openings: list[Opening] = field(default_factory=list)


def team_openings(user: User) -> list[Opening]:
    """The openings of the schemes this case worker handles (all, for an administrator)."""
    if not user.is_authenticated or not user.is_case_worker:
        return []
    qs = Opening.objects.select_related("scheme").order_by("scheme__name", "opens_at")
    if user.role != Role.ADMINISTRATOR:
        qs = qs.filter(scheme__in=user.schemes.all())
    return list(qs)


def _scoped(user: User, openings: list[Opening], filters: QueueFilters) -> QuerySet[Application]:
    ids = [o.pk for o in openings]
    if filters.opening:
        ids = [i for i in ids if i == filters.opening]
    if filters.scheme:
        by_scheme = {o.pk for o in openings if o.scheme_id == filters.scheme}
        ids = [i for i in ids if i in by_scheme]
    qs = Application.objects.filter(opening_id__in=ids).exclude(state=State.DRAFT)
    if filters.assigned == "me":
        qs = qs.filter(assigned_to=user)
    elif filters.assigned == "none":
        qs = qs.filter(assigned_to__isnull=True)
    today = clocks.local_date()
    if filters.overdue:
        # suspended is not overdue (4:15); a settlement request has a term of its own
        qs = qs.filter(
            Q(decision_due__lt=today, state__in=WAITING_FOR_US)
            | Q(settlement_decision_due__lt=today, state__in=SETTLEMENT_WAITING)
        )
    if filters.due_within is not None:
        qs = qs.filter(decision_due__lte=today + datetime.timedelta(days=filters.due_within))
    return qs


def _expired_requests(today: datetime.date):
    """The open supplement requests whose term passed, within the four weeks to declare not considered."""
    return SupplementRequest.objects.filter(
        answered_on__isnull=True,
        due_date__lt=today,
        due_date__gte=today - datetime.timedelta(weeks=clocks.NOT_CONSIDERED_WINDOW_WEEKS),
    )


def _with_state(qs: QuerySet[Application], state: str) -> QuerySet[Application]:
    today = clocks.local_date()
    if not state:
        return qs.filter(state__in=WORK_STATES)
    if state == EXPIRED:
        # driven from the few expired requests, not from every application waiting for a supplement
        return qs.filter(state=State.SUPPLEMENT_REQUESTED, pk__in=_expired_requests(today).values("application_id"))
    if state == TRANCHE_DUE:
        due = Tranche.objects.filter(gated=True, status=Tranche.Status.DUE).values("application_id")
        return qs.filter(state=State.GRANTED, pk__in=due)
    if state == SAMPLE_CHECK:
        return qs.filter(state=State.GRANTED, sample_selected=True)
    return qs.filter(state=state)


COUNT_CAP = 10_000  # a state with more shows "10.000+": the page stays fast at a million


def state_counts(qs: QuerySet[Application], *, cap: int = COUNT_CAP) -> dict[str, int]:
    """Applications per state, each counted up to ``cap`` (so by an index range), in one query.

    Also ``expired`` (supplement terms passed unused) and ``work`` (the work in progress in total).
    A count above the cap comes back as ``cap + 1``; ``capped`` lists those states.
    """
    parts, params = [], []
    states = [state for state in State.values if state != State.DRAFT]
    selections = [(state, qs.filter(state=state)) for state in states]
    selections.append((EXPIRED, _with_state(qs, EXPIRED)))
    selections.append((TRANCHE_DUE, _with_state(qs, TRANCHE_DUE)))
    selections.append((SAMPLE_CHECK, _with_state(qs, SAMPLE_CHECK)))
    for _name, selection in selections:
        try:
            sql, sql_params = selection.order_by().values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:  # nothing can match (no openings in the team)
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS c_{len(parts)})")
        params.extend(sql_params)
    with connections[qs.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        values = cursor.fetchone()
    counts = dict(zip([name for name, _sel in selections], values, strict=True))
    counts["work"] = sum(counts[s] for s in WORK_STATES)
    counts["capped"] = [name for name, value in counts.items() if name != "work" and value > cap]
    return counts


def _cursor_value(sort: str, raw: str):
    if sort == "queue":
        return datetime.datetime.fromisoformat(raw)
    return datetime.date.fromisoformat(raw)


def parse_cursor(filters: QueueFilters):
    if not filters.after or "|" not in filters.after:
        return None
    raw_value, _sep, raw_id = filters.after.rpartition("|")
    try:
        return _cursor_value(filters.sort, raw_value), int(raw_id)
    except ValueError:
        return None


def queue(user: User, filters: QueueFilters, *, page_size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue for this reviewer, with the counts per state of the same selection."""
    openings = team_openings(user)
    if filters.sort not in SORTS:
        filters.sort = "decision_due"
    base = _scoped(user, openings, filters)
    counts = state_counts(base)
    first, second = SORTS[filters.sort]
    qs = _with_state(base, filters.state).filter(**{f"{first}__isnull": False})
    cursor = parse_cursor(filters)
    if cursor is not None:
        qs = qs.filter(TupleGreaterThan(Tuple(F(first), F(second)), cursor))
    rows = list(
        qs.select_related("opening__scheme", "organisation", "assigned_to").order_by(first, second)[: page_size + 1]
    )
    next_cursor = ""
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        value = getattr(last, first)
        next_cursor = f"{value.isoformat()}|{last.pk}"
    today = clocks.local_date()
    for app in rows:
        app.days_left = clocks.days_left(app.decision_due, today)
    return QueuePage(rows=rows, counts=counts, next_cursor=next_cursor, openings=openings)


def reviewers_for(openings: list[Opening]) -> list[User]:
    """The case workers who can be assigned applications of these openings' schemes."""
    scheme_ids = {o.scheme_id for o in openings}
    return list(
        User.objects.filter(is_active=True, role__in=[Role.REVIEWER, Role.SENIOR_REVIEWER])
        .filter(schemes__in=scheme_ids)
        .distinct()
        .order_by("username")
    )


def proposed_decisions(user: User) -> QuerySet[Decision]:
    """Decisions waiting for a second reviewer in this user's team, oldest first."""
    ids = [o.pk for o in team_openings(user)]
    return (
        Decision.objects.filter(status=Decision.Status.PROPOSED, application__opening_id__in=ids)
        .select_related("application__opening__scheme", "application__organisation", "proposed_by", "tranche")
        .order_by("proposed_at", "id")
    )


def declared_without_conflict(user: User, application_ids: list[int]) -> set[int]:
    """Of these applications, the ones on which this user declared no conflict of interest (one query)."""
    return set(
        Assessment.objects.filter(
            reviewer=user,
            application_id__in=application_ids,
            conflict_declared=False,
            no_conflict_declared_at__isnull=False,
        ).values_list("application_id", flat=True)
    )


def case_file(application_id: int) -> Application:
    """Everything the case screen shows, fetched up front."""
    return (
        Application.objects.select_related("opening__scheme", "organisation", "assigned_to", "created_by")
        .prefetch_related(
            "units",
            "cost_lines",
            "partners__cofinancing",
            "documents",
            "supplement_requests",
            "assessments__reviewer",
            "decisions__proposed_by",
            "decisions__approved_by",
            "payments__recorded_by",
            "payments__confirmed_by",
            "tranches",
            "objections",
            "internal_notes__author",
            "letters",
        )
        .get(pk=application_id)
    )


def reviewable(user: User) -> QuerySet[Application]:
    """What a case worker may open: the applications of the team's schemes, never drafts."""
    if not user.is_authenticated or not user.is_case_worker:
        return Application.objects.none()
    qs = Application.objects.exclude(state=State.DRAFT)
    if user.role != Role.ADMINISTRATOR:
        qs = qs.filter(opening__scheme__in=user.schemes.all())
    return qs


__all__ = [
    "EXPIRED",
    "PAGE_SIZE",
    "SAMPLE_CHECK",
    "TRANCHE_DUE",
    "WORK_STATES",
    "QueueFilters",
    "QueuePage",
    "case_file",
    "declared_without_conflict",
    "proposed_decisions",
    "queue",
    "reviewable",
    "reviewers_for",
    "state_counts",
    "team_openings",
    "Q",
]
