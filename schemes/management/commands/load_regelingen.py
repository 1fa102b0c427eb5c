from pathlib import Path

from django.core.management.base import BaseCommand

from schemes.loader import DEFAULT_FILE, load_catalogue, read_catalogue


class Command(BaseCommand):
    help = "Laad alle regelingen en openstellingen uit het catalogusbestand (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="YAML-bestand met regelingen")

    def handle(self, *args, file: Path, **options):
        report = load_catalogue(read_catalogue(file))
        if report.nothing_changed:
            self.stdout.write(
                f"Niets gewijzigd: alle {len(report.unchanged)} regelingen en openstellingen zijn al actueel."
            )
            return
        for code in report.created:
            self.stdout.write(f"aangemaakt: {code}")
        for code in report.changed:
            self.stdout.write(f"bijgewerkt: {code}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.created)} aangemaakt, {len(report.changed)} bijgewerkt, {len(report.unchanged)} ongewijzigd."
            )
        )
