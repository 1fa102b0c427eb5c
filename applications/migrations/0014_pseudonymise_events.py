"""The audit trail may be made pseudonymous after the retention term, and in no other way.

The audit trail's own trigger allows one kind of UPDATE: free text (``reason``),
the actor's name and personal keys of ``data`` and ``changes``, and only when the
table's owner does it with ``open_subsidie.pseudonymising`` on — that is, inside
``open_subsidie_pseudonymise_events(application)``, a SECURITY DEFINER function
that refuses an application that was not anonymised first. The runtime role can
call that function but cannot do such an UPDATE itself; action, states, times
and the actor's id never change.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION open_subsidie_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('open_subsidie.pseudonymising', true) = 'on'
       AND current_user = (SELECT tableowner FROM pg_tables WHERE tablename = TG_TABLE_NAME LIMIT 1)
       AND NEW.id = OLD.id AND NEW.application_id = OLD.application_id AND NEW.action = OLD.action
       AND NEW.from_state = OLD.from_state AND NEW.to_state = OLD.to_state AND NEW.at = OLD.at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION open_subsidie_pseudonymise_events(app bigint) RETURNS integer
SECURITY DEFINER SET search_path = public AS $$
DECLARE
    n integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM applications_application WHERE id = app AND anonymised_at IS NOT NULL) THEN
        RAISE EXCEPTION 'application % was not anonymised: its events stay as they are', app;
    END IF;
    PERFORM set_config('open_subsidie.pseudonymising', 'on', true);
    UPDATE applications_auditevent e
       SET reason = CASE WHEN e.reason = '' THEN '' ELSE '[verwijderd]' END,
           actor_name = CASE WHEN u.role IN ('applicant', 'intermediary') THEN 'aanvrager' ELSE e.actor_name END,
           data = e.data - 'reason' - 'participant' - 'note' - 'changed',
           changes = e.changes - 'answers' - 'settlement_report'
      FROM applications_auditevent a LEFT JOIN applications_user u ON u.id = a.actor_id
     WHERE e.id = a.id AND e.application_id = app;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('open_subsidie.pseudonymising', 'off', true);
    RETURN n;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS applications_auditevent_append_only ON applications_auditevent;
CREATE TRIGGER applications_auditevent_append_only BEFORE UPDATE OR DELETE ON applications_auditevent
    FOR EACH ROW EXECUTE FUNCTION open_subsidie_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS applications_auditevent_append_only ON applications_auditevent;
CREATE TRIGGER applications_auditevent_append_only BEFORE UPDATE OR DELETE ON applications_auditevent
    FOR EACH ROW EXECUTE FUNCTION open_subsidie_append_only();
DROP FUNCTION IF EXISTS open_subsidie_pseudonymise_events(bigint);
DROP FUNCTION IF EXISTS open_subsidie_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("applications", "0013_anonymised_at")]

    operations = [migrations.RunPython(forward, backward)]
