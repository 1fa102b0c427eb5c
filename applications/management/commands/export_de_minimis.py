"""The de-minimis aid granted here, for the central register (Regulation (EU) 2023/2831, art. 6: from 2026 every
grant is recorded in a central register). One row per grant, with the single undertaking it belongs to."""

import csv
import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from applications import eligibility
from applications.models import DeMinimisAid

COLUMNS = [
    "kvk",
    "naam",
    "één onderneming (kvk's)",
    "verleend op",
    "bedrag",
    "regeling",
    "aanvraag",
    "verstrekker",
    "verordening",
]


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is geen datum (JJJJ-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Schrijf de hier verleende de-minimissteun als CSV (puntkomma's, decimale komma's) voor het centrale "
        "register: per verlening de onderneming, de ondernemingen die er één onderneming mee vormen, datum en bedrag."
    )

    def add_arguments(self, parser):
        parser.add_argument("--van", dest="start", help="verleend op of na (JJJJ-MM-DD)")
        parser.add_argument("--tot", dest="end", help="verleend vóór (JJJJ-MM-DD)")

    def handle(self, *args, start=None, end=None, **options):
        rows = DeMinimisAid.objects.filter(declared=False).select_related(
            "organisation", "application__opening__scheme"
        )
        if start:
            rows = rows.filter(granted_on__gte=_date(start))
        if end:
            rows = rows.filter(granted_on__lt=_date(end))
        out = csv.writer(self.stdout, delimiter=";", lineterminator="\n")
        out.writerow(COLUMNS)
        groups: dict[int, str] = {}
        for aid in rows.order_by("granted_on", "id"):
            organisation = aid.organisation
            if organisation.pk not in groups:
                ids = eligibility.single_undertaking(organisation)
                kvks = type(organisation).objects.filter(pk__in=ids).order_by("kvk").values_list("kvk", flat=True)
                groups[organisation.pk] = " ".join(kvks)
            application = aid.application
            out.writerow(
                [
                    organisation.kvk,
                    organisation.name,
                    groups[organisation.pk],
                    aid.granted_on.isoformat(),
                    f"{aid.amount:.2f}".replace(".", ","),
                    application.opening.scheme.name if application else "",
                    application.reference if application else "",
                    aid.provider,
                    "Verordening (EU) 2023/2831",
                ]
            )
        sys.stdout.flush()
