"""PostgreSQL: a NOTIFY on every write to the pipeline's tables, so that open
screens and monitors refresh within a second of anyone's commit. Statement
triggers, so a bulk write sends one notification, and NOTIFY is delivered
only when the writing transaction commits. SQLite needs nothing: its
``PRAGMA data_version`` already moves with every commit.
"""

from pipetui.store.database import is_postgres

TABLES = ["deal", "stage_change", "activity", "note", "quota", "rep", "stage", "organization", "contact"]


def up(migrator, db):
    if not is_postgres(db):
        return
    db.execute_sql(
        "CREATE OR REPLACE FUNCTION pipetui_notify() RETURNS trigger AS $$ "
        "BEGIN PERFORM pg_notify('pipetui_changes', TG_TABLE_NAME); RETURN NULL; END "
        "$$ LANGUAGE plpgsql"
    )
    for table in TABLES:
        db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
        db.execute_sql(
            f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION pipetui_notify()"
        )


def down(migrator, db):
    if not is_postgres(db):
        return
    for table in TABLES:
        db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    db.execute_sql("DROP FUNCTION IF EXISTS pipetui_notify()")
