"""Custom fields: a team's own fields on deals, organizations and contacts
(text, number, money, date, choice, multiple choice, checkbox), each for one
pipeline or all, with the values of each record.

A value is one row of ``custom_value``, kept as text in one canonical form
per type (``core/fields.py``), so that both backends compare and index it
alike: the board's filter (``/source:web``) looks values up by
``(value, field_id)``, and a card reads the values of its visible window by
``(field_id, entity_id)``. An empty value is no row. ``entity_id`` is the
id of a deal, an organization or a contact, as the field's ``entity`` says.
"""

from pipetui.store.database import is_postgres

TABLES = ("custom_field", "custom_value")


def up(migrator, db):
    key = "BIGSERIAL PRIMARY KEY" if is_postgres(db) else "INTEGER PRIMARY KEY AUTOINCREMENT"
    db.execute_sql(
        "CREATE TABLE custom_field ("
        f" id {key},"
        " key VARCHAR(100) NOT NULL,"
        " name VARCHAR(100) NOT NULL,"
        " entity VARCHAR(12) NOT NULL,"
        " type VARCHAR(8) NOT NULL,"
        " choices TEXT,"
        " required BOOLEAN NOT NULL DEFAULT FALSE,"
        " pipeline_id INTEGER REFERENCES pipeline (id) ON DELETE CASCADE,"
        " position INTEGER NOT NULL,"
        " on_card BOOLEAN NOT NULL DEFAULT FALSE,"
        " created_at TIMESTAMP NOT NULL,"
        " archived BOOLEAN NOT NULL DEFAULT FALSE)"
    )
    db.execute_sql("CREATE UNIQUE INDEX custom_field_key ON custom_field (entity, key)")
    db.execute_sql(
        "CREATE TABLE custom_value ("
        f" id {key},"
        " field_id INTEGER NOT NULL REFERENCES custom_field (id) ON DELETE CASCADE,"
        " entity_id INTEGER NOT NULL,"
        " value TEXT NOT NULL)"
    )
    db.execute_sql("CREATE UNIQUE INDEX custom_value_entity ON custom_value (field_id, entity_id)")
    # The filter's look-up of a value. The value leads: an index led by
    # field_id alone, covering, would look better to SQLite's planner (it has
    # no statistics) than the unique one for a window of cards' values, and
    # read every value of the field instead of the window's.
    db.execute_sql("CREATE INDEX custom_value_value ON custom_value (value, field_id, entity_id)")
    if is_postgres(db):
        # Live updates, as for the other tables (0005).
        for table in TABLES:
            db.execute_sql(
                f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION pipetui_notify()"
            )


def down(migrator, db):
    for table in reversed(TABLES):
        db.execute_sql(f"DROP TABLE {table}")
