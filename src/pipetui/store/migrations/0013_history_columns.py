"""What the figures read from a deal's history without walking it.

Each stage change row gets the columns described in core/history_columns.py: the
position it went to, how long the stay it ended lasted, when the deal last
entered the same stage before, whether it went on afterwards, and the
deal's own owner, pipeline, status and liveness (kept by a trigger on the
deal). Existing rows are filled from the history as it stands (their
``to_position`` from the stages' present order, the only one known).
Partial indexes let the funnel and the stays read a period's rows alone,
and the report's other figures read their deals from an index (chosen by
reading the query plans at a million deals).
"""

from pipetui.store.database import is_postgres

# Raw column definitions: the database's own defaults, so that a bulk
# writer that leaves a column out gets them.
COLUMNS = (
    ("to_position", "INTEGER"),
    ("stay_days", "DOUBLE PRECISION"),
    ("previous_entry_at", "TIMESTAMP"),
    ("went_on", "INTEGER NOT NULL DEFAULT 0"),
    ("deal_owner_id", "INTEGER"),
    ("deal_pipeline_id", "INTEGER"),
    ("deal_won", "INTEGER NOT NULL DEFAULT 0"),
    ("deal_live", "INTEGER NOT NULL DEFAULT 1"),
)

# One window query over the rows not undone gives every history column.
def fill(days) -> str:
    return f"""
UPDATE stage_change SET stay_days = w.stay_days, previous_entry_at = w.previous_entry_at, went_on = w.went_on
FROM (
    SELECT id,
           {days('changed_at', 'LAG(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, id)')} AS stay_days,
           CASE WHEN from_stage_id IS NULL OR from_stage_id <> to_stage_id THEN
               LAG(changed_at) OVER (PARTITION BY deal_id, to_stage_id,
                                     (from_stage_id IS NULL OR from_stage_id <> to_stage_id)
                                     ORDER BY changed_at, id)
           END AS previous_entry_at,
           CASE WHEN COALESCE(MAX(to_position) OVER later, -1) > COALESCE(to_position, -1)
                  OR MAX(CASE WHEN to_status = 'won' THEN 1 ELSE 0 END) OVER later = 1 THEN 1 ELSE 0 END
               AS went_on
    FROM stage_change
    WHERE undone_at IS NULL
    WINDOW later AS (PARTITION BY deal_id ORDER BY changed_at DESC)
) AS w
WHERE stage_change.id = w.id
"""


def _days(db):
    if is_postgres(db):
        return lambda later, earlier: f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
    return lambda later, earlier: f"(julianday({later}) - julianday({earlier}))"


DEAL_COLUMNS = ("deal_owner_id = NEW.owner_id, deal_pipeline_id = NEW.pipeline_id, "
                "deal_won = CASE WHEN NEW.status = 'won' THEN 1 ELSE 0 END, "
                "deal_live = CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE 0 END")
DEAL_CHANGED = ("OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.pipeline_id IS DISTINCT FROM NEW.pipeline_id "
                "OR OLD.status IS DISTINCT FROM NEW.status OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)")

INDEXES = [
    # The funnel: the entries of a period, stage by stage.
    ("stage_change_entries", "stage_change",
     "to_stage_id, changed_at, previous_entry_at, went_on, deal_won, deal_owner_id, deal_pipeline_id, deal_live, "
     "from_stage_id, undone_at",
     "undone_at IS NULL AND (from_stage_id IS NULL OR from_stage_id <> to_stage_id)"),
    # The stays that ended in a period, by the stage left.
    ("stage_change_stays", "stage_change",
     "from_stage_id, changed_at, stay_days, deal_owner_id, deal_pipeline_id, deal_live, from_status, undone_at",
     "undone_at IS NULL AND from_status = 'open'"),
    # The deals open at a past period's end (not closed yet, or closed after it): covering.
    ("deal_open_at", "deal",
     "closed_at, created_at, currency, value, probability, stage_id, owner_id, pipeline_id, deleted_at",
     "deleted_at IS NULL"),
    # The rotting deals of a stage.
    ("deal_rotting", "deal", "status, stage_id, last_activity_at, owner_id, pipeline_id, deleted_at",
     "deleted_at IS NULL"),
    # Why the deals closed in a period were lost, by stage.
    ("deal_lost", "deal", "status, closed_at, stage_id, lost_reason, owner_id, pipeline_id, deleted_at",
     "deleted_at IS NULL"),
]


def up(migrator, db):
    for name, definition in COLUMNS:
        db.execute_sql(f"ALTER TABLE stage_change ADD COLUMN {name} {definition}")
    db.execute_sql("UPDATE stage_change SET to_position = "
                   "(SELECT position FROM stage WHERE stage.id = stage_change.to_stage_id)")
    db.execute_sql("UPDATE stage_change SET deal_owner_id = d.owner_id, deal_pipeline_id = d.pipeline_id, "
                   "deal_won = CASE WHEN d.status = 'won' THEN 1 ELSE 0 END, "
                   "deal_live = CASE WHEN d.deleted_at IS NULL THEN 1 ELSE 0 END "
                   "FROM deal AS d WHERE d.id = stage_change.deal_id")
    db.execute_sql(fill(_days(db)))
    if is_postgres(db):
        db.execute_sql(
            "CREATE FUNCTION deal_history_follows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE stage_change SET {DEAL_COLUMNS} WHERE deal_id = NEW.id; RETURN NULL; END $$")
        db.execute_sql("CREATE TRIGGER deal_history_follows AFTER UPDATE ON deal FOR EACH ROW "
                       f"WHEN ({DEAL_CHANGED}) EXECUTE FUNCTION deal_history_follows()")
    else:
        changed = DEAL_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
        db.execute_sql(f"CREATE TRIGGER deal_history_follows AFTER UPDATE ON deal WHEN {changed} "
                       f"BEGIN UPDATE stage_change SET {DEAL_COLUMNS} WHERE deal_id = NEW.id; END")
    for name, table, columns, where in INDEXES:
        db.execute_sql(f"CREATE INDEX {name} ON {table} ({columns}) WHERE {where}")


def down(migrator, db):
    for name, _table, _columns, _where in INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    db.execute_sql("DROP TRIGGER IF EXISTS deal_history_follows" + (" ON deal" if is_postgres(db) else ""))
    if is_postgres(db):
        db.execute_sql("DROP FUNCTION IF EXISTS deal_history_follows()")
    migrator.migrate(*(migrator.drop_column("stage_change", name) for name, _definition in COLUMNS))
