"""On PostgreSQL the database itself refuses to change or delete audit events and ledger entries."""

from django.db import migrations

TABLES = ["applications_auditevent", "schemes_ledgerentry"]

FORWARD = """
CREATE OR REPLACE FUNCTION open_subsidie_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FORWARD, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION open_subsidie_append_only()"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS open_subsidie_append_only()")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0002_initial"),
        ("schemes", "0002_tranche_plan_unique_per_scheme"),
    ]

    operations = [migrations.RunPython(forward, backward)]
