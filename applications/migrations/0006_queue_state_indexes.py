"""Indexes for the reviewer queue filtered by state, and for its capped counts per state.

- (state, complete_at, id) and (state, decision_due, id): a page of one state in
  arrival or due order is an index range, whatever the size of the table;
- (state, opening_id, decision_due) INCLUDE (assigned_to_id, id), PostgreSQL only:
  each count per state of ``review_selectors.state_counts`` is an index-only range.

Raw SQL, so the model state stays as it is (the indexes serve one screen).
"""

from django.db import migrations

PLAIN = {
    "application_state_arrival": "(state, complete_at, id)",
    "application_state_due_id": "(state, decision_due, id)",
}
COVERING = "application_state_counts"


def create(apps, schema_editor):
    for name, columns in PLAIN.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON applications_application {columns}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {COVERING} ON applications_application "
            "(state, opening_id, decision_due) INCLUDE (assigned_to_id, id)"
        )


def drop(apps, schema_editor):
    for name in [*PLAIN, COVERING]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("applications", "0005_worklist_indexes")]

    operations = [migrations.RunPython(create, drop)]
