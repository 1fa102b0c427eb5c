"""The applications by outcome: the counts per category, the funnel, rejections by reason, hardship grants."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils.translation import gettext_noop

from applications.models import Decision

from .base import CATEGORIES, OPEN, pct


def _empty_counts() -> dict[str, int]:
    return {c: 0 for c in CATEGORIES}


def _applications_block(counts: dict[str, int]) -> dict[str, int]:
    started = sum(counts.values())
    return {
        "started": started,
        "submitted": started - counts["draft"],
        "granted": counts["granted"],
        "rejected": counts["rejected"],
        "withdrawn": counts["withdrawn"],
        "not_considered": counts["not_considered"],
        "open": counts[OPEN],
        "draft": counts["draft"],
        "revoked": counts["revoked"],
    }


def _funnel(applications: dict[str, int]) -> list[dict]:
    steps = [
        ("started", gettext_noop("gestart")),
        ("submitted", gettext_noop("ingediend")),
        ("decided", gettext_noop("besloten")),
        ("granted", gettext_noop("verleend")),
    ]
    values = {
        **applications,
        "decided": applications["granted"]
        + applications["rejected"]
        + applications["not_considered"]
        + applications["revoked"],
    }
    result, first = [], values["started"]
    for key, label in steps:
        result.append({"step": key, "label": label, "count": values[key], "pct_of_started": pct(values[key], first)})
    return result


def _by_reason(rows) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for reason, n in rows:
        counts[reason or "other"] += n
    return dict(sorted(counts.items()))


def _hardship_grants(opening_ids: list[int], end: datetime.datetime) -> int:
    """Grants approved under the hardship clause: a departure from a rule of the scheme in one case."""
    return Decision.objects.filter(
        application__opening_id__in=opening_ids,
        kind=Decision.Kind.GRANT,
        status=Decision.Status.APPROVED,
        approved_at__lt=end,
        data__has_key="hardship",
    ).count()


UNIT_STEPS = (
    ("requested", gettext_noop("aangevraagd")),
    ("granted", gettext_noop("verleend")),
    ("started", gettext_noop("gestart")),
    ("completed", gettext_noop("afgerond")),
    ("settled", gettext_noop("vastgesteld")),
)


def _unit_funnel(units: dict) -> list[dict]:
    """The units from request to settlement, each step with its share of the requested units and of the target.

    Empty when the report covers units of several kinds (they are never added up).
    """
    if units.get("unit") is None:
        return []
    return [
        {
            "step": key,
            "label": label,
            "unit": units["unit"],
            "count": units[key],
            "pct_of_requested": pct(units[key], units["requested"]),
            "pct_of_target": pct(units[key], units["target"]),
        }
        for key, label in UNIT_STEPS
    ]
