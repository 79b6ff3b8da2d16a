"""Pipelines a team shapes: a pipeline can be archived, a stage removed.

A removed stage stays as a row (``removed_at`` set), because the history of
the deals that passed through it names it; it leaves every list, the board
and the figures. Its name is free again: the unique index of a pipeline's
stage names becomes partial, over the stages not removed (both SQLite and
PostgreSQL have partial indexes). An archived pipeline (``archived_at``)
leaves the board's pipeline switch and the lists; its deals keep their rows.
"""

from peewee import DateTimeField

NAME_INDEX = "stage_pipeline_id_name"


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("pipeline", "archived_at", DateTimeField(null=True)),
        migrator.add_column("stage", "removed_at", DateTimeField(null=True)),
    )
    db.execute_sql(f"DROP INDEX IF EXISTS {NAME_INDEX}")
    db.execute_sql(f"CREATE UNIQUE INDEX {NAME_INDEX} ON stage (pipeline_id, name) WHERE removed_at IS NULL")


def down(migrator, db):
    db.execute_sql(f"DROP INDEX IF EXISTS {NAME_INDEX}")
    # Removed stages come back into their pipelines: renamed, so that their
    # names do not clash with the stages that took them, and placed last.
    db.execute_sql("UPDATE stage SET name = name || ' (removed #' || CAST(id AS VARCHAR(20)) || ')', "
                   "position = position + 100000 WHERE removed_at IS NOT NULL")
    migrator.migrate(
        migrator.drop_column("pipeline", "archived_at"),
        migrator.drop_column("stage", "removed_at"),
    )
    db.execute_sql(f"CREATE UNIQUE INDEX {NAME_INDEX} ON stage (pipeline_id, name)")
