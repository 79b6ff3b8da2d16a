"""Indexes for the queries the board and the metrics run.

Partial indexes (``WHERE deleted_at IS NULL``) leave soft-deleted deals out.
SQLite only treats an index as covering when every column the query names is
in it, so the covering ones end in ``deleted_at`` too.
"""

LIVE = "deleted_at IS NULL"

INDEXES = [
    # Board: the top cards of one stage, by value.
    ("deal_board", "deal", "status, stage_id, value DESC, id, deleted_at", LIVE),
    # Stage totals (count, value, weighted value per currency): covering.
    ("deal_stage_totals", "deal", "status, stage_id, currency, value, probability, deleted_at", LIVE),
    # Forecast by close period: covering.
    ("deal_forecast", "deal",
     "status, expected_close, currency, value, probability, stage_id, owner_id, deleted_at", LIVE),
    # Win rate, sales cycle and won value per period and rep.
    ("deal_closed", "deal", "status, closed_at, owner_id, currency, value, created_at, deleted_at", LIVE),
    ("deal_owner", "deal", "owner_id, status", LIVE),
    ("deal_title", "deal", "title", None),
    ("stage_change_deal", "stage_change", "deal_id, changed_at", None),
    ("stage_change_to_stage", "stage_change", "to_stage_id, changed_at", None),
    ("activity_deal", "activity", "deal_id, done, due_date", None),
    ("activity_due", "activity", "done, due_date", None),
    ("note_deal", "note", "deal_id, created_at", None),
    ("quota_period", "quota", "period_kind, period_start, rep_id", None),
]


def up(migrator, db):
    for name, table, columns, where in INDEXES:
        sql = f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
        if where:
            sql += f" WHERE {where}"
        db.execute_sql(sql)


def down(migrator, db):
    for name, _table, _columns, _where in INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
