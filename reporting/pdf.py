"""The PDF report: the dashboard's figures and charts, rendered by WeasyPrint."""

from __future__ import annotations

from django.template.loader import render_to_string

from .charts import report_charts
from .queries import Scope
from .tables import labelled_figures


def render_pdf(report: dict, scope: Scope, end) -> bytes:
    # weasyprint takes 0,6 s and loads Pango and its fonts: only the process that renders a PDF pays for it
    from weasyprint import HTML  # noqa: PLC0415

    html = render_to_string(
        "reporting/report_pdf.html",
        {
            "report": report,
            "scope": scope,
            "charts": report_charts(report, scope, end),
            "shown": labelled_figures(report),
        },
    )
    return HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"external resources are not fetched: {url}")
