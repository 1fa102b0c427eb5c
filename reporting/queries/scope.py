"""The openings a report covers: one opening, a scheme's, or the portfolio's."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext

from schemes.models import Opening, Scheme

from .base import ReportError

SCOPES = ("opening", "scheme", "portfolio")
PORTFOLIO_CODES = ("all", "alle")


@dataclass
class Scope:
    kind: str
    code: str
    name: str
    openings: list[Opening]
    schemes: list[Scheme]
    scheme: Scheme | None = None
    opening: Opening | None = None
    extra: dict = field(default_factory=dict)
    excluded: list[Opening] = field(default_factory=list)

    @property
    def opening_ids(self) -> list[int]:
        return [o.pk for o in self.openings]


def resolve_scope(kind: str, code: str, *, schemes=None) -> Scope:
    """The openings a report covers. ``schemes`` limits the portfolio (a program manager's team).

    Demo openings (``is_demo``, or of a demo scheme) count only in a report of
    the opening itself, never in a scheme or the portfolio; ``excluded`` names
    the ones left out, so the report can say so.
    """
    if kind not in SCOPES:
        raise ReportError(f"Onbekende scope '{kind}'; kies opening, scheme of portfolio.")
    if kind == "opening":
        opening = Opening.objects.select_related("scheme").filter(code=code).first()
        if opening is None:
            raise ReportError(gettext("Er is geen openstelling met code '%(code)s'.") % {"code": code}, 404)
        return Scope(kind, code, opening.name, [opening], [opening.scheme], opening.scheme, opening)
    if kind == "scheme":
        scheme = Scheme.objects.filter(code=code).first()
        if scheme is None:
            raise ReportError(gettext("Er is geen regeling met code '%(code)s'.") % {"code": code}, 404)
        openings = list(scheme.openings.filter(is_demo=False).select_related("scheme").order_by("opens_at"))
        excluded = list(scheme.openings.filter(is_demo=True).select_related("scheme").order_by("opens_at"))
        return Scope(kind, code, scheme.name, openings, [scheme], scheme, excluded=excluded)
    if code not in PORTFOLIO_CODES:
        raise ReportError(f"Het portfolio heet 'all'; '{code}' bestaat niet.", 404)
    scheme_qs = Scheme.objects.all()
    if schemes is not None:
        scheme_qs = scheme_qs.filter(pk__in=[s.pk for s in schemes])
    every = list(scheme_qs.order_by("agdb_pillar", "name"))
    scheme_list = [s for s in every if not s.is_demo]
    openings, excluded = [], []
    for opening in Opening.objects.filter(scheme__in=every).select_related("scheme").order_by("opens_at"):
        (excluded if opening.is_demo or opening.scheme.is_demo else openings).append(opening)
    return Scope(kind, "all", "Portfolio", openings, scheme_list, excluded=excluded)
