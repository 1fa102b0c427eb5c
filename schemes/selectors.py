"""Reads of the catalogue."""

from django.db.models import Prefetch, QuerySet

from .models import Opening, Scheme


def catalogue(*, include_demo: bool = True) -> QuerySet[Scheme]:
    openings = Opening.objects.order_by("opens_at")
    schemes = Scheme.objects.all()
    if not include_demo:
        openings = openings.filter(is_demo=False)
        schemes = schemes.filter(is_demo=False)
    return schemes.prefetch_related(Prefetch("openings", queryset=openings)).order_by("name")


def opening_by_code(code: str) -> Opening:
    return Opening.objects.select_related("scheme").get(code=code)
