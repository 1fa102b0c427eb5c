from django.core.management.base import BaseCommand, CommandError

from applications.models import Role
from applications.services import ActionError, create_user
from schemes.models import Scheme


class Command(BaseCommand):
    help = "Maak een gebruiker met een rol (en zijn organisatie, als die nog niet bestaat)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--organisation", help="KVK-nummer (8 cijfers) voor aanvragers en intermediairs")
        parser.add_argument("--organisation-name", help="naam als de organisatie nieuw is")
        parser.add_argument("--password")
        parser.add_argument("--email", default="")
        parser.add_argument("--schemes", help="regelingcodes van het team, gescheiden door komma's (behandelaars)")

    def handle(self, *args, username, role, organisation, organisation_name, password, email, schemes, **options):
        scheme_list = None
        if schemes:
            codes = [c.strip() for c in schemes.split(",") if c.strip()]
            scheme_list = list(Scheme.objects.filter(code__in=codes))
            missing = set(codes) - {s.code for s in scheme_list}
            if missing:
                raise CommandError(f"Onbekende regelingen: {', '.join(sorted(missing))}")
        elif role in (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.PROGRAM_MANAGER, Role.FINANCE):
            scheme_list = list(Scheme.objects.all())
        try:
            user = create_user(
                username=username,
                role=role,
                password=password,
                organisation_kvk=organisation,
                organisation_name=organisation_name,
                email=email,
                schemes=scheme_list,
            )
        except ActionError as exc:
            raise CommandError(exc.detail) from None
        except Exception as exc:  # a bad KVK number, say
            raise CommandError(str(exc)) from None
        org = f" bij {user.organisation}" if user.organisation else ""
        self.stdout.write(self.style.SUCCESS(f"Gebruiker {user.username} ({user.get_role_display()}){org}."))
