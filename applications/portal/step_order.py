"""The steps of the application form: which steps a scheme's shape has, their titles, and which step
holds a field that the rules or the service refuse."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

STEP_TITLES = {
    "aanvrager": gettext_lazy("Aanvrager"),
    "trajecten": gettext_lazy("Trajecten"),
    "kosten": gettext_lazy("Kosten"),
    "programma": gettext_lazy("Programma en partners"),
    "bijlagen": gettext_lazy("Bijlagen"),
    "verklaringen": gettext_lazy("Verklaringen"),
    "overzicht": gettext_lazy("Overzicht en indienen"),
}
SHAPE_STEP = {"per_unit": "trajecten", "share_of_costs": "kosten", "programme": "programma"}
# Which step holds a field that the rules or the service refuse.
FIELD_STEP = {
    "units": "trajecten",
    "eligible_costs": "kosten",
    "cost_lines": "kosten",
    "project_end_date": None,
    "requested_amount": "programma",
    "partners": "programma",
    "de_minimis_declared": "verklaringen",
    "truthfulness_declared": "verklaringen",
}


def steps_for(rules) -> list[str]:
    return ["aanvrager", SHAPE_STEP[rules.shape], "bijlagen", "verklaringen", "overzicht"]
