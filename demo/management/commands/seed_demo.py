from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from demo import replay
from demo import seed as demo


class Command(BaseCommand):
    help = "Laad demogebruikers, demo-openstellingen die vandaag open zijn en demo-aanvragen (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="toon alleen de demo-logins")

    def handle(self, *args, logins: bool = False, **options):
        if not settings.DEBUG:
            # demo users with one known password are a way in: never on a production database
            raise CommandError("seed_demo draait alleen met DEBUG=1: demogebruikers horen niet in productie.")
        if not logins:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                report = demo.seed()
            if report.nothing_changed:
                self.stdout.write("Demogegevens zijn er al; niets gewijzigd.")
            else:
                self.stdout.write(self.style.SUCCESS(f"Demogegevens geladen: {', '.join(report.created)}."))
            self.stdout.write(replay.load_replay())
            return
        self.stdout.write(f"Demo-logins (wachtwoord voor allemaal: {demo.PASSWORD}):")
        for username, description in demo.LOGINS:
            self.stdout.write(f"  {username:<17} {description}")
