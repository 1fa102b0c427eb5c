"""The PDF report: the dashboard's figures and charts, rendered by WeasyPrint."""

from __future__ import annotations

from django.template.loader import render_to_string

from applications.letters import pdf_from_html

from .charts import report_charts
from .queries import Scope
from .tables import labelled_figures


def render_pdf(report: dict, scope: Scope, end) -> bytes:
    html = render_to_string(
        "reporting/report_pdf.html",
        {
            "report": report,
            "scope": scope,
            "charts": report_charts(report, scope, end),
            "shown": labelled_figures(report),
        },
    )
    return pdf_from_html(html)
