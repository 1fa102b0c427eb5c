"""The portfolio by AGDB pillar, by ministry and by scheme."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from schemes.models import Scheme

from .budget import _budget_block, _lapsed, _sum_ledgers
from .early_warning import _early_warning
from .funnel import _applications_block, _empty_counts
from .scope import Scope
from .units import kind_totals, units_block

PILLARS = {
    1: "instroom bèta-technisch onderwijs",
    2: "behouden en aantrekken van werkenden",
    3: "arbeidsproductiviteit",
    4: "governance en minder versnippering",
}

# The category an application counts under, from its (effective) state.


def _portfolio_groups(scope: Scope, per_opening, ledger, ceilings, end) -> dict:
    """The portfolio by AGDB pillar and by ministry: counts, units and money per group."""

    def block(schemes: list[Scheme]) -> dict:
        ids = {s.pk for s in schemes}
        openings = [o for o in scope.openings if o.scheme_id in ids]
        counts = _empty_counts()
        for o in openings:
            for key, value in per_opening.get(o.pk, {"counts": {}})["counts"].items():
                counts[key] += value
        ceiling = sum((ceilings.get(o.pk, Decimal("0")) for o in openings), Decimal("0"))
        warning = _early_warning(openings, per_opening, ceilings, end, {s.pk: s for s in schemes})
        return {
            "schemes": [s.code for s in schemes],
            "applications": _applications_block(counts),
            "units": units_block(kind_totals(schemes, openings, per_opening)),
            "budget": _budget_block(
                _sum_ledgers(ledger.get(o.pk, {}) for o in openings),
                ceiling,
                lapsed=_lapsed(openings, ledger, ceilings, end),
            ),
            "early_warning": {k: warning[k] for k in ("projected_units", "projected_amount", "level")},
        }

    by_pillar: dict[str, list[Scheme]] = defaultdict(list)
    by_owner: dict[str, list[Scheme]] = defaultdict(list)
    for scheme in scope.schemes:
        pillar = scheme.agdb_pillar
        by_pillar[f"{pillar}. {PILLARS[pillar]}" if pillar in PILLARS else "zonder pijler"].append(scheme)
        by_owner[scheme.owner].append(scheme)
    return {
        "by_pillar": {key: block(value) for key, value in sorted(by_pillar.items())},
        "by_ministry": {key: block(value) for key, value in sorted(by_owner.items())},
        "by_scheme": {s.code: {"name": s.name, **block([s])} for s in scope.schemes},
    }
