"""The append-only tables refuse TRUNCATE too (row triggers do not fire on it), and the organisation log is append-only.

A statement trigger BEFORE TRUNCATE raises, also when another table's
``TRUNCATE … CASCADE`` reaches these. The runtime role has no TRUNCATE right and
does not own the tables, so it can neither drop nor disable the triggers
(``manage.py grant_runtime_role``). Only a session that says so on purpose
(``SET open_subsidie.truncate_allowed = on``: the test suite's flush of its own
test database) gets past the TRUNCATE trigger — never the runtime role, which
lacks the right to truncate at all.
"""

from django.db import migrations

TABLES = ["applications_auditevent", "schemes_ledgerentry", "applications_organisationevent"]


NO_TRUNCATE = """
CREATE OR REPLACE FUNCTION open_subsidie_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('open_subsidie.truncate_allowed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: it is never truncated', TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(NO_TRUNCATE, params=None)
    schema_editor.execute(
        "CREATE TRIGGER applications_organisationevent_append_only BEFORE UPDATE OR DELETE "
        "ON applications_organisationevent FOR EACH ROW EXECUTE FUNCTION open_subsidie_append_only()"
    )
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION open_subsidie_no_truncate()"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS applications_organisationevent_append_only ON applications_organisationevent"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS open_subsidie_no_truncate()")


class Migration(migrations.Migration):
    dependencies = [("applications", "0011_organisation_events"), ("schemes", "0002_tranche_plan_unique_per_scheme")]

    operations = [migrations.RunPython(forward, backward)]
