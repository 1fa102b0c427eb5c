"""Charts as inline SVG, drawn on the server: no JavaScript, the same in the browser and the PDF.

Each chart has a title and a description for screen readers; the page shows
the same numbers in a table next to it.
"""

from __future__ import annotations

import datetime
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
    """Units (or, for schemes without units, applications) submitted and granted per day, grouped in the database."""
    base = AuditEvent.objects.filter(application__opening_id__in=opening_ids or [0], at__lt=end)
    series = {}
    for name, qs in (
        ("submitted", base.filter(action="submit")),
        ("granted", base.filter(action="approve_decision", to_state="granted")),
    ):
        measure = Count("application__units") if per_unit else Count("id")
        rows = qs.annotate(day=TruncDate("at")).values("day").annotate(units=measure).order_by()
        series[name] = {row["day"]: row["units"] for row in rows}
    return series


def cumulative(points: dict[datetime.date, int], days: list[datetime.date]) -> list[int]:
    total, result = 0, []
    for day in days:
        total += points.get(day, 0)
        result.append(total)
    return result


def uptake_chart(
    series: dict[str, dict[datetime.date, int]],
    start: datetime.date,
    close: datetime.date,
    as_of: datetime.date,
    target: int | None,
) -> SafeString:
    """Cumulative units submitted and granted, against a straight line from 0 to the target at the close."""
    # The axis runs to the close, or further to the last decision after it (never past the report date).
    seen = [day for points in series.values() for day in points if day <= as_of]
    axis_end = max([close, *seen])
    last = min(as_of, axis_end)
    days = [start + datetime.timedelta(days=i) for i in range((last - start).days + 1)] or [start]
    submitted = cumulative(series.get("submitted", {}), days)
    granted = cumulative(series.get("granted", {}), days)
    span = max(1, (axis_end - start).days)
    top = max([target or 0, *submitted, *granted, 1])
    width, height, left, bottom = 560, 240, 50, 210

    def x(day: datetime.date) -> float:
        return left + 480 * min(1.0, (day - start).days / span)

    def y(value: float) -> float:
        return bottom - 190 * value / top

    def line(values, colour, dash=""):
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(days, values, strict=True))
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2" {dash} points="{points}"/>'

    words = {"target": _("doel"), "submitted": _("ingediend"), "granted": _("verleend"), "close": _("sluiting")}
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{left + 480}" y2="{bottom}" stroke="{GREY}"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{left}" y2="20" stroke="{GREY}"/>',
        f'<text x="{left}" y="{bottom + 18}" font-size="11">{escape(datum(start))}</text>',
        f'<text x="{left + 480}" y="{bottom + 18}" font-size="11" text-anchor="end">{escape(datum(axis_end))}</text>',
        f'<line x1="{x(close):.1f}" y1="{bottom}" x2="{x(close):.1f}" y2="20" stroke="{GREY}" stroke-dasharray="2 3"/>'
        f'<text x="{x(close) - 4:.1f}" y="{bottom - 4}" font-size="11" text-anchor="end">{escape(words["close"])}</text>',
        f'<text x="{left - 4}" y="24" font-size="11" text-anchor="end">{escape(_number(top))}</text>',
    ]
    if target:
        body.append(
            f'<line x1="{x(start):.1f}" y1="{y(0):.1f}" x2="{x(close):.1f}" y2="{y(target):.1f}" '
            f'stroke="{GREY}" stroke-dasharray="6 4" stroke-width="1.5"/>'
            f'<text x="{x(close):.1f}" y="{y(target) - 4:.1f}" font-size="11" text-anchor="end">{escape(words["target"])} {escape(_number(target))}</text>'
        )
    body.append(line(submitted, ORANGE))
    body.append(line(granted, BLUE))
    body.append(
        f'<text x="{left + 10}" y="34" font-size="11" fill="{ORANGE}">{escape(words["submitted"])} ({escape(_number(submitted[-1]))})</text>'
        f'<text x="{left + 10}" y="48" font-size="11" fill="{BLUE}">{escape(words["granted"])} ({escape(_number(granted[-1]))})</text>'
    )
    return _svg(width, height, _("Bereik in de tijd tegen een rechte lijn naar het doel"), "".join(body))


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
        charts["uptake"] = uptake_chart(
            uptake_series(scope.opening_ids, end, per_unit=per_unit),
            timezone.localtime(start).date(),
            timezone.localtime(close).date(),
            datetime.date.fromisoformat(report["as_of"]),
            report["units"]["target"] if per_unit else None,
        )
    return charts
