"""Partial indexes for the reviewer queue: the work in progress by decision due and by arrival.

Raw SQL, so the model state stays as it is: the indexes only serve the queue's
default view (``review_selectors.WORK_STATES``), a small part of a million rows.
"""

from django.db import migrations

WORK = "('submitted', 'in_review', 'supplement_requested', 'decision_proposed', 'settlement_requested', 'settlement_proposed')"

INDEXES = {
    "application_work_due": "(decision_due, id)",
    "application_work_arrival": "(complete_at, id)",
}


class Migration(migrations.Migration):
    dependencies = [("applications", "0004_clock_run")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON applications_application {columns} WHERE state IN {WORK}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
