"""The history of every field: each change of a deal's title, value,
owner, organization, contact, close date, probability (and, later, its
custom fields) is a row with the old and the new value as text, who made it
and when. Stage and status changes stay in ``stage_change``; the timeline
shows both.

The values are stored as the text a person reads (``42600 USD``, a rep's
name, ``2027-01-02``), since a row must stay readable after the rep or the
organization it names is gone. ``undone_at`` marks a change taken back.
"""

from pipetui.store.database import is_postgres


def up(migrator, db):
    key = "BIGSERIAL PRIMARY KEY" if is_postgres(db) else "INTEGER PRIMARY KEY AUTOINCREMENT"
    db.execute_sql(
        "CREATE TABLE field_change ("
        f" id {key},"
        " deal_id INTEGER NOT NULL REFERENCES deal (id) ON DELETE CASCADE,"
        " field VARCHAR(100) NOT NULL,"
        " old_value TEXT,"
        " new_value TEXT,"
        " changed_at TIMESTAMP NOT NULL,"
        " changed_by_id INTEGER REFERENCES rep (id) ON DELETE SET NULL,"
        " undone_at TIMESTAMP)"
    )
    db.execute_sql("CREATE INDEX field_change_deal ON field_change (deal_id, changed_at)")
    if is_postgres(db):
        # Live updates, as for the other tables (0005).
        db.execute_sql(
            "CREATE TRIGGER field_change_notify AFTER INSERT OR UPDATE OR DELETE ON field_change "
            "FOR EACH STATEMENT EXECUTE FUNCTION pipetui_notify()"
        )


def down(migrator, db):
    db.execute_sql("DROP TABLE field_change")

