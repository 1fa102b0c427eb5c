"""Check what must always hold (letters owed, the money, the queue); exit 1 on a finding."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from applications import reconcile


class Command(BaseCommand):
    help = (
        "Controleer dat elke gebeurtenis haar brieven en e-mails heeft, dat grootboek, openstellingen en aanvragen "
        "gelijk lopen en dat de wachtrijen geen gaten hebben. Bevindingen staan daarna in het beheer."
    )

    def handle(self, *args, **options):
        findings = reconcile.run()
        for finding in findings:
            self.stdout.write(f"{finding.get_kind_display()} — {finding.subject}: {finding.detail}")
        if findings:
            raise CommandError(f"{len(findings)} bevinding(en); zie /beheer/ → bevindingen van de reconciliatie.")
        self.stdout.write(self.style.SUCCESS("Alles klopt: brieven en e-mails, geld en wachtrijen."))
