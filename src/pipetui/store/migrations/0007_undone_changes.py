"""Undo that restores instead of writing a reverse change.

Every stage or status change keeps the deal as it was just before and just
after it (``before_state``, ``after_state``: JSON of its stage, status, time
entered in the stage, last activity, own probability, close time and lost
reason), so that undo and redo can put the deal back exactly; ``undone_at``
marks a change taken back, which no figure counts. Rows written before this
migration have none of them: they stay as they are, not undone.

The funnel's index (0004) becomes partial, over the changes not undone, so
that it stays covering for the funnel's query.
"""

from peewee import DateTimeField, TextField

PERIOD_INDEX = ("stage_change_period", "stage_change", "changed_at, to_stage_id, deal_id, from_stage_id")
# SQLite only treats an index as covering when it holds every column the
# query names, the one of the partial WHERE too.
PARTIAL_COLUMNS = PERIOD_INDEX[2] + ", undone_at"
COLUMNS = ("undone_at", "before_state", "after_state")


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("stage_change", "undone_at", DateTimeField(null=True)),
        migrator.add_column("stage_change", "before_state", TextField(null=True)),
        migrator.add_column("stage_change", "after_state", TextField(null=True)),
    )
    name, table, _columns = PERIOD_INDEX
    db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    db.execute_sql(f"CREATE INDEX {name} ON {table} ({PARTIAL_COLUMNS}) WHERE undone_at IS NULL")


def down(migrator, db):
    name, table, columns = PERIOD_INDEX
    db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    # Changes that were undone leave with the marks: the history they would
    # join no longer leads to the deal as it is.
    db.execute_sql("DELETE FROM stage_change WHERE undone_at IS NOT NULL")
    migrator.migrate(*(migrator.drop_column("stage_change", column) for column in COLUMNS))
    db.execute_sql(f"CREATE INDEX {name} ON {table} ({columns})")
