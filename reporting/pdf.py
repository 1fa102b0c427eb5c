"""The PDF report: the dashboard's figures and charts, rendered by WeasyPrint."""

from __future__ import annotations

from django.template.loader import render_to_string

from applications.letters import pdf_from_html

from .charts import report_charts
from .queries import Scope
from .tables import LEVELS, labelled_figures, warning_on_result


def render_pdf(report: dict, scope: Scope, end) -> bytes:
    html = render_to_string(
        "reporting/report_pdf.html",
        {
            "report": report,
            "scope": scope,
            "charts": report_charts(report, scope, end),
            "shown": labelled_figures(report),
            "level_label": LEVELS.get(report["early_warning"]["level"]),
            "warning_on_result": warning_on_result(report["early_warning"]),
        },
    )
    return pdf_from_html(html)
