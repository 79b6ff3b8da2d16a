"""An index for the funnel: the stage changes of a period, by time.

Covering for the entries of a period (which stage, which deal, from where),
so the funnel reads a range of the index instead of the whole history.
"""

INDEX = ("stage_change_period", "stage_change", "changed_at, to_stage_id, deal_id, from_stage_id")


def up(migrator, db):
    name, table, columns = INDEX
    db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def down(migrator, db):
    db.execute_sql(f"DROP INDEX IF EXISTS {INDEX[0]}")
