"""A report as rows of figures: for the table format of ``kpi_report`` and the figure exports."""

from __future__ import annotations

# The Dutch name of each headline figure, in the order the reports show them.
LABELS = {
    "applications.started": "aanvragen gestart (concepten)",
    "applications.submitted": "aanvragen ingediend",
    "applications.granted": "aanvragen verleend",
    "applications.rejected": "aanvragen afgewezen",
    "applications.withdrawn": "aanvragen ingetrokken",
    "applications.not_considered": "aanvragen buiten behandeling",
    "applications.open": "aanvragen nog open",
    "applications.draft": "concepten niet ingediend",
    "applications.revoked": "verleningen ingetrokken",
    "units.granted": "eenheden verleend",
    "units.target": "doel (eenheden)",
    "units.uptake_pct": "bereik van het doel (%)",
    "units.capacity": "capaciteit (eenheden)",
    "units.capacity_pct": "bereik van de capaciteit (%)",
    "budget.ceiling": "subsidieplafond",
    "budget.reserved": "gereserveerd",
    "budget.committed": "verplicht (verleend)",
    "budget.paid": "betaald",
    "budget.settled": "vastgesteld",
    "budget.recovered": "teruggevorderd",
    "budget.available": "beschikbaar",
    "budget.uptake_pct": "verplicht van het plafond (%)",
    "organisations.granted": "organisaties met een verlening",
    "lead_time_days.median": "doorlooptijd tot besluit, mediaan (dagen)",
    "lead_time_days.p90": "doorlooptijd tot besluit, 90e percentiel (dagen)",
    "lead_time_days.decision_term_days": "beslistermijn (dagen)",
    "overdue": "open aanvragen over de beslistermijn",
    "penalty_exposure.applications": "aanvragen met lopende dwangsom",
    "penalty_exposure.amount": "dwangsom tot nu toe",
    "early_warning.projected_units": "verwacht aantal eenheden bij sluiting",
    "early_warning.projected_amount": "verwacht bedrag bij sluiting",
    "early_warning.projected_pct": "verwacht bereik (%)",
    "early_warning.level": "vroegsignaal",
}
LEVELS = {"red": "rood", "amber": "oranje", "green": "groen", None: "—"}


def flatten(value, prefix: str = "") -> list[tuple[str, object]]:
    """Every leaf of the report as (dotted key, value); lists by position."""
    rows: list[tuple[str, object]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            rows.extend(flatten(item, f"{prefix}.{index}"))
    else:
        rows.append((prefix, value))
    return rows


def figure_rows(report: dict) -> list[tuple[str, str, object]]:
    """(key, Dutch label, value) for every figure of the report; labelled ones first."""
    flat = flatten(report)
    labelled = [(k, LABELS[k], v) for k, v in flat if k in LABELS]
    labelled.sort(key=lambda row: list(LABELS).index(row[0]))
    rest = [(k, "", v) for k, v in flat if k not in LABELS]
    return labelled + rest


def _text(value) -> str:
    if value is None:
        return "—"
    return str(value)


def report_as_text(report: dict) -> str:
    lines = [f"KPI-rapportage {report['scope']} {report['code']} ({report.get('name', '')}) per {report['as_of']}", ""]
    width = max(len(label) for label in LABELS.values())
    for key, label, value in figure_rows(report):
        if not label:
            continue
        if key == "early_warning.level":
            value = LEVELS.get(value, value)
        lines.append(f"{label:<{width}}  {_text(value)}")
    lines.append("")
    lines.append("organisaties met een verlening per sector: " + _pairs(report["organisations"]["by_sector"]))
    if report.get("units_by_occupation_sector"):
        lines.append("eenheden per sector van het beroep: " + _pairs(report["units_by_occupation_sector"]))
    if report.get("rejected_by_reason"):
        lines.append("afwijzingen per reden: " + _pairs(report["rejected_by_reason"]))
    return "\n".join(lines)


def _pairs(mapping: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in mapping.items()) or "—"
