"""A report as rows of figures: for the table format of ``kpi_report`` and the figure exports."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.models import Channel, Province, Sector, SizeClass, Unit
from applications.reasons import REASON_CODES
from schemes.formatting import euro

from .queries import is_illustrative, pct

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
    "units.requested": "eenheden aangevraagd",
    "units.granted": "eenheden verleend",
    "units.started": "eenheden gestart (gemeld bij de vaststelling)",
    "units.completed": "eenheden afgerond (gemeld bij de vaststelling)",
    "units.settled": "eenheden vastgesteld",
    "units.cancelled": "eenheden niet afgerond (gemeld bij de vaststelling)",
    "units.reported": "eenheden met een aanvraag tot vaststelling",
    "units.target": "doel (eenheden)",
    "units.uptake_pct": "verleend van het doel (%)",
    "units.realised_pct": "afgerond van het doel (%)",
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
    "penalty_owed.applications": "aanvragen met verbeurde dwangsom",
    "penalty_owed.amount": "verbeurde dwangsom (na het besluit)",
    "penalty_owed.fixed": "waarvan vastgesteld (Awb 4:18)",
    "hardship_grants": "verleningen met de hardheidsclausule",
    "early_warning.projected_units": "verwacht aantal eenheden bij sluiting",
    "early_warning.projected_amount": "verwacht bedrag bij sluiting",
    "early_warning.projected_pct": "verwacht bereik (%)",
    "early_warning.level": "vroegsignaal",
}
LEVELS = {"red": _("rood"), "amber": _("oranje"), "green": _("groen"), "no_data": _("geen gegevens"), None: "—"}


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


def figure_rows(report: dict, *, derived: bool = False) -> list[tuple[str, str, object]]:
    """(key, Dutch label, value) for every figure of the report; labelled ones first.

    ``derived``: also label the breakdowns and the funnel of units (the exports; the text report leaves them out).
    """
    flat = flatten(report)
    labelled = [(k, LABELS[k], v) for k, v in flat if k in LABELS]
    labelled.sort(key=lambda row: list(LABELS).index(row[0]))
    # units per kind (traject, samenwerkingsverband …): labelled with their kind, never added up
    kinds = [(k, _kind_label(k), v) for k, v in flat if k.startswith("units.by_kind.")]
    rest = [
        (k, _derived_label(k, report) if derived else "", v)
        for k, v in flat
        if k not in LABELS and not k.startswith("units.by_kind.")
    ]
    return labelled + kinds + rest


def _derived_label(key: str, report: dict) -> str:
    """``breakdowns.size_class.large.granted`` → "Per grootteklasse, groot: aanvragen verleend";
    ``unit_funnel.2.count`` → "trajecten gestart"."""
    parts = key.split(".")
    if parts[0] == "breakdowns" and len(parts) == 4 and parts[1] in BREAKDOWN_TITLES:
        dimension, code, figure = parts[1:]
        title = str(BREAKDOWN_TITLES[dimension])
        return f"{title}, {code_label(dimension, code, short=True)}: {LABELS.get(f'applications.{figure}', figure)}"
    if parts[0] == "unit_funnel" and len(parts) == 3 and parts[1].isdigit():
        step = report["unit_funnel"][int(parts[1])]
        what = {"count": "", "pct_of_requested": " (% van aangevraagd)", "pct_of_target": " (% van het doel)"}
        if parts[2] in what:
            return f"{step['unit']} {gettext(step['label'])}{what[parts[2]]}"
    return ""


KIND_FIGURES = {
    "requested": "aangevraagd",
    "granted": "verleend",
    "started": "gestart",
    "completed": "afgerond",
    "settled": "vastgesteld",
    "cancelled": "niet afgerond",
    "reported": "met een aanvraag tot vaststelling",
    "target": "doel",
    "uptake_pct": "verleend van het doel (%)",
    "realised_pct": "afgerond van het doel (%)",
}


def _kind_label(key: str) -> str:
    """``units.by_kind.traject.granted`` → "eenheden (traject) verleend"."""
    kind, figure = key.removeprefix("units.by_kind.").rsplit(".", 1)
    return f"eenheden ({kind}) {KIND_FIGURES.get(figure, figure)}"


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
    lines.append("organisaties met een verlening per sector: " + _pairs(report["organisations"]["by_sector"], "sector"))
    if report.get("units_by_occupation_sector"):
        lines.append(
            "eenheden per sector van het beroep: " + _pairs(report["units_by_occupation_sector"], "occupation_sector")
        )
    if report.get("rejected_by_reason"):
        lines.append("afwijzingen per reden: " + _pairs(report["rejected_by_reason"]))
    if report.get("excluded_openings"):
        lines.append("niet meegeteld (demo): " + ", ".join(o["code"] for o in report["excluded_openings"]))
    return "\n".join(lines)


def _pairs(mapping: dict, dimension: str = "") -> str:
    return (
        ", ".join(f"{code_label(dimension, k, short=True) if dimension else k} {v}" for k, v in mapping.items()) or "—"
    )


# --- Dutch labels for the codes in a report (the JSON and the API keep the codes) -------------


def _choices():
    return {
        "sector": dict(Sector.choices),
        "size_class": dict(SizeClass.choices),
        "province": {**dict(Province.choices), "onbekend": "onbekend"},
        "channel": dict(Channel.choices),
        "occupation_sector": dict(Unit.OccupationSector.choices),
    }


def code_label(dimension: str, code, *, short: bool = False) -> str:
    """The Dutch label of a code: ``ict`` → "ICT", ``sme`` → "mkb (50 tot 250 werknemers)" (short: "mkb")."""
    if dimension == "reason":
        label = REASON_CODES.get(code, code)
    else:
        label = _choices().get(dimension, {}).get(code, code)
    label = str(label if label not in (None, "") else "onbekend")
    if short and " (" in label:
        label = label.split(" (", 1)[0]
    return label


BREAKDOWN_TITLES = {
    "sector": _("Per sector"),
    "size_class": _("Per grootteklasse"),
    "province": _("Per provincie"),
    "channel": _("Per kanaal"),
}


def ordered(dimension: str, mapping: dict) -> list[tuple]:
    """(code, value) in the order of the choices (klein, mkb, groot; ICT, techniek …), unknown codes last."""
    order = {code: index for index, code in enumerate(_choices().get(dimension, {}))}
    return sorted(mapping.items(), key=lambda item: (order.get(item[0], len(order)), str(item[0])))


def labelled_figures(report: dict) -> dict:
    """The coded parts of a report as rows with Dutch labels, for the pages and the PDF."""
    return {
        "reasons": [(code_label("reason", k), n) for k, n in report.get("rejected_by_reason", {}).items()],
        "organisations": [
            (code_label("sector", k), n) for k, n in ordered("sector", report["organisations"]["by_sector"])
        ],
        "occupation": [
            (code_label("occupation_sector", k), n)
            for k, n in ordered("occupation_sector", report.get("units_by_occupation_sector", {}))
        ],
        "breakdowns": [
            {
                "dimension": dimension,
                "title": BREAKDOWN_TITLES.get(dimension, dimension),
                "rows": [(code_label(dimension, k), block) for k, block in ordered(dimension, rows)],
                "illustrative": is_illustrative(f"breakdowns.{dimension}", report.get("illustrative")),
            }
            for dimension, rows in report["breakdowns"].items()
        ],
    }


LEVEL_SENTENCES = {
    "red": _("Ruim onder het doel: bij dit tempo {projected} ({pct}). Bijsturen is nodig."),
    "amber": _("Onder het doel: bij dit tempo {projected} ({pct}). Houd de regeling in de gaten."),
    "green": _("Op koers: bij dit tempo {projected} ({pct})."),
    "no_data": _(
        "Geen gegevens: er is geen enkele aanvraag in de openstellingen die open zijn of waren; geen oordeel."
    ),
}


def _whole(value) -> str:
    return f"{int(value or 0):,}".replace(",", ".")


def _percent(value) -> str:
    return "—" if value is None else f"{value:.2f} %".replace(".", ",")


def portfolio_summary(report: dict) -> list[dict]:
    """Per scheme of the portfolio: uptake of the target and of the budget, and the early warning in plain words."""
    rows = []
    for code, group in report.get("groups", {}).get("by_scheme", {}).items():
        units, budget, warning = group["units"], group["budget"], group["early_warning"]
        level = warning.get("level")
        if units["target"] and warning.get("projected_units") is not None:
            projected = gettext("worden naar verwachting {units} van de {target} eenheden gehaald").format(
                units=_whole(warning["projected_units"]), target=_whole(units["target"])
            )
            projected_pct = pct(warning["projected_units"], units["target"])
        elif warning.get("projected_amount") is not None:
            projected = gettext("wordt naar verwachting {amount} van het plafond van {ceiling} benut").format(
                amount=euro(warning["projected_amount"], cents=False), ceiling=euro(budget["ceiling"], cents=False)
            )
            projected_pct = pct(warning["projected_amount"], budget["ceiling"])
        else:
            projected, projected_pct = "", None
        if level in LEVEL_SENTENCES:
            sentence = str(LEVEL_SENTENCES[level]).format(projected=projected, pct=_percent(projected_pct))
        else:
            sentence = gettext("Nog geen signaal: er is nog geen openstelling open, of er is geen doel of plafond.")
        rows.append(
            {
                "code": code,
                "name": group["name"],
                "submitted": group["applications"]["submitted"],
                "granted": group["applications"]["granted"],
                "unit": units["unit"],
                "units_granted": units["granted"],
                "units_target": units["target"],
                "units_pct": units["uptake_pct"],
                "committed": budget["committed"],
                "ceiling": budget["ceiling"],
                "budget_pct": budget["uptake_pct"],
                "level": level,
                "level_label": LEVELS[level] if level in LEVELS and level else gettext("geen signaal"),
                "sentence": sentence,
            }
        )
    order = {"red": 0, "amber": 1, "green": 2, "no_data": 3, None: 4}
    return sorted(rows, key=lambda row: (order.get(row["level"], 4), row["name"]))


def warning_on_result(warning: dict) -> bool:
    """Whether the early warning judges only closed openings (their result), not a projection of a pace."""
    judged = [o for o in warning.get("openings", []) if o.get("basis")]
    return bool(judged) and all(o["basis"] == "result" for o in judged)
