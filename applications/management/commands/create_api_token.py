"""Issue an API token. Scripts and integrations read the token from the last line of the output."""

from django.core.management.base import BaseCommand, CommandError

from applications.services import ActionError, issue_api_token


class Command(BaseCommand):
    help = (
        "Maak een API-token voor een gebruiker. Het token staat eenmalig op de laatste regel; "
        "opgeslagen wordt alleen een hash, met de vervaldatum."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires-days", type=int, default=90, help="dagen geldig (1 tot 366; standaard 90)")

    def handle(self, *args, username, expires_days, **options):
        try:
            auth_token, token = issue_api_token(username=username, expires_days=expires_days)
        except ActionError as exc:
            raise CommandError(exc.detail) from None
        expiry = auth_token.expiry.date().isoformat()
        self.stdout.write(
            f"API-token voor {username}, geldig tot en met {expiry}. Bewaar het nu: het wordt niet meer getoond."
        )
        self.stdout.write(token)
