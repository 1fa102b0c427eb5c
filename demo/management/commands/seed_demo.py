from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from demo import banner, replay
from demo import seed as demo


class Command(BaseCommand):
    help = "Laad demogebruikers, demo-openstellingen die vandaag open zijn en demo-aanvragen (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="toon alleen de demo-logins")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="waar de app draait: de lokale eHerkenning- en single-sign-on-testomgeving staat op <base-url>/dev-idp",
        )

    def handle(self, *args, logins: bool = False, base_url: str = "http://127.0.0.1:8000", **options):
        if not settings.DEBUG:
            # demo users with one known password are a way in: never on a production database
            raise CommandError("seed_demo draait alleen met DEBUG=1: demogebruikers horen niet in productie.")
        if not logins:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                report = demo.seed(base_url=base_url)
            if report.nothing_changed:
                self.stdout.write("Demogegevens zijn er al; niets gewijzigd.")
            else:
                self.stdout.write(self.style.SUCCESS(f"Demogegevens geladen: {', '.join(report.created)}."))
            self.stdout.write(replay.load_replay())
            # the reports read the day-by-day figures; the nightly job keeps them from now on
            call_command("snapshot_reports", stdout=self.stdout)
            return
        for line in banner.logins():
            self.stdout.write(line)
