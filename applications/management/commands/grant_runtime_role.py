"""Grant the role the running application connects as exactly what it needs, and no more.

Migrations run as the role that owns the tables; the web servers and workers
connect as another role (``DATABASE_URL``) that may read and write rows but not
truncate, alter, drop or disable triggers: so even a compromised application
cannot rewrite the audit trail, the ledger or an organisation's log. Run after
every ``migrate`` (the release step does): new tables get the same grants.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

STATEMENTS = (
    "GRANT CONNECT ON DATABASE {database} TO {role}",
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
)


class Command(BaseCommand):
    help = (
        "Geef de rol waarmee de applicatie verbindt lees- en schrijfrechten op de rijen, "
        "maar geen eigenaarschap (geen TRUNCATE, ALTER, DROP of uitgeschakelde triggers)."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="de databaserol van de draaiende applicatie (bestaat al)")

    def handle(self, *args, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Alleen voor PostgreSQL: SQLite kent geen rollen.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"De rol {role!r} bestaat niet; maak haar eerst aan (CREATE ROLE … LOGIN).")
            cursor.execute("SELECT tableowner = %s FROM pg_tables WHERE tablename = 'applications_auditevent'", [role])
            if (cursor.fetchone() or [False])[0]:
                raise CommandError(
                    f"De rol {role!r} is eigenaar van de tabellen: gebruik een andere rol voor de applicatie."
                )
            names = {"role": sql.Identifier(role), "database": sql.Identifier(connection.settings_dict["NAME"])}
            for statement in STATEMENTS:
                cursor.execute(sql.SQL(statement).format(**names).as_string(cursor.connection))
        self.stdout.write(self.style.SUCCESS(f"De rol {role} mag rijen lezen en schrijven, verder niets."))
