"""Run the daily clock job now: `manage.py run_clocks [--date YYYY-MM-DD]`."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from applications import clock_job


class Command(BaseCommand):
    help = "De dagelijkse klokken: termijnen, herinneringen, ambtshalve vaststelling, tranches, brieven."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Doe alsof het deze dag is (JJJJ-MM-DD); standaard vandaag.")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"'{options['date']}' is geen datum (gebruik JJJJ-MM-DD).") from None
        counts = clock_job.run(today=today)
        self.stdout.write(json.dumps(counts, ensure_ascii=False, indent=2))
