"""PostgreSQL: the change notification names the schema written to, so that
pipelines kept in different schemas of one database do not wake each
other's screens (NOTIFY channels are database-wide)."""

from pipetui.store.database import is_postgres


def up(migrator, db):
    if not is_postgres(db):
        return
    db.execute_sql(
        "CREATE OR REPLACE FUNCTION pipetui_notify() RETURNS trigger AS $$ "
        "BEGIN PERFORM pg_notify('pipetui_changes', TG_TABLE_SCHEMA); RETURN NULL; END "
        "$$ LANGUAGE plpgsql"
    )


def down(migrator, db):
    if not is_postgres(db):
        return
    db.execute_sql(
        "CREATE OR REPLACE FUNCTION pipetui_notify() RETURNS trigger AS $$ "
        "BEGIN PERFORM pg_notify('pipetui_changes', TG_TABLE_NAME); RETURN NULL; END "
        "$$ LANGUAGE plpgsql"
    )
