"""Charts as inline SVG, drawn on the server: no JavaScript, the same in the browser and the PDF.

Each chart has a title and a description for screen readers; the page shows
the same numbers in a table next to it.
"""

from __future__ import annotations

import datetime
import json
import math
from collections import defaultdict
from html import escape

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from applications.models import AuditEvent
from schemes.formatting import datum

from .tables import code_label, ordered

BLUE, ORANGE, GREY, GREEN = "#01689b", "#e17000", "#8e8e8e", "#39870c"


def _svg(width: int, height: int, title: str, body: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'class="os-chart"><title>{escape(title)}</title>{body}</svg>'
    )


def bars(title: str, items: list[tuple[str, float]], *, colour: str = BLUE, unit: str = "") -> SafeString:
    """Horizontal bars, one per (label, value)."""
    height = 24 * max(1, len(items)) + 10
    top = max((v for _, v in items), default=0) or 1
    parts = []
    for index, (label, value) in enumerate(items):
        y = 5 + index * 24
        w = 300 * (value or 0) / top
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(str(label))}</text>'
            f'<rect x="170" y="{y}" width="{w:.1f}" height="18" fill="{colour}"/>'
            f'<text x="{175 + w:.1f}" y="{y + 14}" font-size="12">{escape(_number(value))}{unit}</text>'
        )
    return _svg(560, height, title, "".join(parts))


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".replace(".", ",")
    return f"{int(value):,}".replace(",", ".")


def uptake_series(
    opening_ids: list[int], end: datetime.datetime, *, per_unit: bool = True
) -> dict[str, dict[datetime.date, int]]:
    """Units (or, for schemes without units, applications) submitted, granted and reported completed per day.

    Submitted and granted are grouped in the database; completed comes from the
    settlement requests (``units_completed`` in their event), as in the report.
    """
    base = AuditEvent.objects.filter(application__opening_id__in=opening_ids or [0], at__lt=end)
    series = {}
    for name, qs in (
        ("submitted", base.filter(action="submit")),
        ("granted", base.filter(action="approve_decision", to_state="granted")),
    ):
        measure = Count("application__units") if per_unit else Count("id")
        rows = qs.annotate(day=TruncDate("at")).values("day").annotate(units=measure).order_by()
        series[name] = {row["day"]: row["units"] for row in rows}
    if per_unit:
        completed: dict[datetime.date, int] = defaultdict(int)
        latest: dict[int, tuple] = {}
        for app_id, at, data in (
            base.filter(action="request_settlement").order_by("at", "id").values_list("application_id", "at", "data")
        ):
            latest[app_id] = (at, data if isinstance(data, dict) else json.loads(data or "{}"))
        for at, data in latest.values():
            completed[timezone.localtime(at).date()] += len(data.get("units_completed") or [])
        series["completed"] = dict(completed)
    return series


def cumulative(points: dict[datetime.date, int], days: list[datetime.date]) -> list[int]:
    total, result = 0, []
    for day in days:
        total += points.get(day, 0)
        result.append(total)
    return result


LOG_FROM = 20  # the target more than 20 times what happened: a logarithmic scale shows both


def _pace(day: datetime.date, start: datetime.date, close: datetime.date, target: int) -> float:
    """The target's pace: a straight line from 0 at the opening to the target at the close."""
    span = max(1, (close - start).days)
    return target * min(1.0, max(0, (day - start).days + 1) / span)


def uptake_chart(
    series: dict[str, dict[datetime.date, int]],
    start: datetime.date,
    close: datetime.date,
    as_of: datetime.date,
    target: int | None,
) -> SafeString:
    """A burn-up: cumulative units submitted, granted and completed against the target's pace.

    When the target dwarfs what happened (more than ``LOG_FROM`` times), the
    scale is logarithmic (1, 10, 100, 1.000 …) so that both show; the chart
    says so on its axis.
    """
    seen = [day for points in series.values() for day in points if day <= as_of]
    axis_end = max([close, *seen])
    last = min(as_of, axis_end)
    days = [start + datetime.timedelta(days=i) for i in range((last - start).days + 1)] or [start]
    lines = {name: cumulative(series.get(name, {}), days) for name in ("submitted", "granted", "completed")}
    if not any(lines["completed"]):
        del lines["completed"]
    highest = max([1, *(v for values in lines.values() for v in values)])
    top = max(target or 0, highest)
    log = bool(target) and target > LOG_FROM * highest
    span = max(1, (axis_end - start).days)
    width, height, left, right, bottom, ceiling = 600, 300, 70, 588, 256, 30

    def x(day: datetime.date) -> float:
        return left + (right - left) * min(1.0, (day - start).days / span)

    def y(value: float) -> float:
        if log:
            return bottom - (bottom - ceiling) * math.log10(max(1.0, value)) / math.log10(max(10, top))
        return bottom - (bottom - ceiling) * value / top

    def polyline(values, colour, width_=3.0, dash=""):
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(days, values, strict=True))
        return f'<polyline fill="none" stroke="{colour}" stroke-width="{width_}" {dash} points="{points}"/>'

    ticks = [10**i for i in range(int(math.log10(top)) + 1)] if log else [0, top // 2, top]
    body = [f'<rect x="{left}" y="{ceiling}" width="{right - left}" height="{bottom - ceiling}" fill="#fafafa"/>']
    for tick in ticks:
        body.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{right}" y2="{y(tick):.1f}" stroke="#e0e0e0"/>'
            f'<text x="{left - 6}" y="{y(tick) + 5:.1f}" font-size="16" text-anchor="end">{escape(_number(tick))}</text>'
        )
    scale = _("logaritmische schaal") if log else _("lineaire schaal")
    body += [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{GREY}"/>',
        f'<text x="{left}" y="{bottom + 24}" font-size="16">{escape(datum(start))}</text>',
        f'<text x="{right}" y="{bottom + 24}" font-size="16" text-anchor="end">{escape(datum(axis_end))}</text>',
        f'<text x="{left}" y="{ceiling - 10}" font-size="16" fill="#444">{escape(_("eenheden, opgeteld"))} ({escape(scale)})</text>',
        f'<line x1="{x(close):.1f}" y1="{bottom}" x2="{x(close):.1f}" y2="{ceiling}" stroke="{GREY}" stroke-dasharray="2 3"/>'
        f'<text x="{x(close) - 4:.1f}" y="{bottom - 8}" font-size="15" fill="#444" text-anchor="end">{escape(_("sluiting"))}</text>',
    ]
    if target:
        pace_days = [start + datetime.timedelta(days=i) for i in range((axis_end - start).days + 1)]
        points = " ".join(f"{x(d):.1f},{y(_pace(d, start, close, target)):.1f}" for d in pace_days)
        body.append(
            f'<polyline fill="none" stroke="{GREY}" stroke-width="2.5" stroke-dasharray="8 5" points="{points}"/>'
        )
        body.append(
            f'<text x="{right - 4}" y="{y(target) + 20:.1f}" font-size="16" font-weight="bold" fill="#555" '
            f'text-anchor="end">{escape(_("doel"))} {escape(_number(target))}</text>'
        )
    for name, values in lines.items():
        body.append(polyline(values, COLOURS[name], 3.5 if name == "granted" else 3))
    title = _("Bereik in de tijd: opgeteld ingediend, verleend en afgerond tegen het tempo naar het doel")
    return _svg(width, height, title, "".join(body))


COLOURS = {"submitted": ORANGE, "granted": BLUE, "completed": GREEN, "pace": GREY}


def uptake_legend(series: dict[str, dict[datetime.date, int]], as_of: datetime.date, target: int | None) -> list:
    """The burn-up's legend, as text on the page (it stays readable on a phone): each line, its total, its share."""
    words = {"submitted": _("ingediend"), "granted": _("verleend"), "completed": _("afgerond")}
    rows = []
    for name in ("submitted", "granted", "completed"):
        total = sum(n for day, n in series.get(name, {}).items() if day <= as_of)
        if name == "completed" and not total:
            continue
        rows.append(
            {
                "key": name,
                "colour": COLOURS[name],
                "label": words[name],
                "total": total,
                "pct": _percent(total, target) if target else None,
            }
        )
    if target:
        rows.append({"key": "pace", "colour": GREY, "label": _("tempo naar het doel"), "total": target, "pct": None})
    return rows


def _percent(part, whole) -> str:
    return f"{100 * (part or 0) / whole:.2f} %".replace(".", ",") if whole else "—"


def uptake_table(
    series: dict[str, dict[datetime.date, int]],
    start: datetime.date,
    close: datetime.date,
    as_of: datetime.date,
    target: int | None,
) -> list[dict]:
    """The burn-up's numbers per month end (and the report date), for the table beside the chart."""
    seen = [day for points in series.values() for day in points if day <= as_of]
    last = min(as_of, max([close, *seen]))
    marks, day = [], start
    while day <= last:
        next_month = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        marks.append(min(next_month - datetime.timedelta(days=1), last))
        day = next_month
    rows = []
    for mark in marks:
        row = {"day": mark, "pace": round(_pace(mark, start, close, target)) if target else None}
        for name in ("submitted", "granted", "completed"):
            row[name] = sum(n for d, n in series.get(name, {}).items() if d <= mark)
        rows.append(row)
    return rows


def report_charts(report: dict, scope, end: datetime.datetime) -> dict[str, SafeString]:
    """The charts of a report page."""
    charts = {
        "funnel": bars(_("Trechter van gestart tot verleend"), [(_(s["label"]), s["count"]) for s in report["funnel"]]),
    }
    for dimension, title in (
        ("sector", _("Ingediend per sector")),
        ("size_class", _("Ingediend per grootteklasse")),
        ("province", _("Ingediend per provincie")),
        ("channel", _("Ingediend per kanaal")),
    ):
        items = [
            (code_label(dimension, k, short=True), v["submitted"])
            for k, v in ordered(dimension, report["breakdowns"][dimension])
        ]
        charts[dimension] = bars(title, items, colour=ORANGE)
    if report["units_by_occupation_sector"]:
        charts["occupation"] = bars(
            _("Verleende eenheden per sector van het beroep"),
            [
                (code_label("occupation_sector", k), n)
                for k, n in ordered("occupation_sector", report["units_by_occupation_sector"])
            ],
        )
    if scope.openings and scope.kind != "portfolio":
        start = min(o.opens_at for o in scope.openings)
        close = max(o.closes_at for o in scope.openings)
        per_unit = all(s.shape == "per_unit" for s in scope.schemes)
        arguments = (
            uptake_series(scope.opening_ids, end, per_unit=per_unit),
            timezone.localtime(start).date(),
            timezone.localtime(close).date(),
            datetime.date.fromisoformat(report["as_of"]),
            report["units"]["target"] if per_unit else None,
        )
        charts["uptake"] = uptake_chart(*arguments)
        charts["uptake_legend"] = uptake_legend(arguments[0], arguments[3], arguments[4])
        charts["uptake_rows"] = uptake_table(*arguments)
    if report.get("unit_funnel"):
        unit = report["unit_funnel"][0]["unit"]
        charts["unit_funnel"] = bars(
            _("Eenheden (%(unit)s) van aangevraagd tot vastgesteld") % {"unit": unit},
            [(_(s["label"]), s["count"]) for s in report["unit_funnel"]],
            colour=GREEN,
        )
    return charts
