import json

from django.core.management.base import BaseCommand, CommandError

from reporting.queries import SCOPES, ReportError, kpi_report
from reporting.tables import report_as_text


class Command(BaseCommand):
    help = "KPI-rapportage van een openstelling, regeling of het portfolio, op een peildatum (JSON of tabel)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="code van de openstelling of regeling; 'all' voor het portfolio")
        parser.add_argument("--scope", choices=SCOPES, default="scheme")
        parser.add_argument("--as-of", dest="as_of", help="peildatum JJJJ-MM-DD (standaard vandaag)")
        parser.add_argument("--format", choices=("json", "table"), default="json")

    def handle(self, *args, code, scope, as_of=None, format="json", **options):
        try:
            report = kpi_report(scope, code, as_of)
        except ReportError as exc:
            raise CommandError(exc.detail) from None
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(report_as_text(report))
