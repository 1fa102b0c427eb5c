import datetime

from django.core.management.base import BaseCommand, CommandError

from reporting.queries.snapshots import catch_up, latest_run


class Command(BaseCommand):
    help = (
        "Verwerkt de dagstanden van de rapportages tot en met gisteren (of --tot): elke dag met gebeurtenissen "
        "sinds de vorige ronde. De nachtelijke taak doet hetzelfde; draai dit eenmalig na een upgrade of import."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tot", dest="through", help="laatste dag JJJJ-MM-DD (standaard gisteren)")

    def handle(self, *args, through=None, **options):
        day = None
        if through:
            try:
                day = datetime.date.fromisoformat(through)
            except ValueError:
                raise CommandError(f"'{through}' is geen datum; gebruik JJJJ-MM-DD.") from None
        days = catch_up(day)
        run = latest_run()
        self.stdout.write(f"Dagstanden bijgewerkt tot en met {run.through.isoformat()}: {days} dag(en) verwerkt.")
