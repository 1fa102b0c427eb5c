"""Anonymise the files whose retention term has passed (also daily with the clocks)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from applications import retention


class Command(BaseCommand):
    help = "Maak de persoonsgegevens onherkenbaar van afgesloten aanvragen waarvan de bewaartermijn voorbij is."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="de dag waarop gerekend wordt (JJJJ-MM-DD; standaard vandaag)")

    def handle(self, *args, date: str | None = None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"'{date}' is geen datum (JJJJ-MM-DD).") from None
        done = retention.apply(today)
        for reference in done:
            self.stdout.write(f"geanonimiseerd: {reference}")
        self.stdout.write(self.style.SUCCESS(f"{len(done)} aanvra(a)g(en) geanonimiseerd."))
