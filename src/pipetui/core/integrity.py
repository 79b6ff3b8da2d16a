"""Checks that the history explains the present, for tests, stress runs and repairs."""

from __future__ import annotations

from pipetui.store import database_proxy as db

# Undone changes are left out: the history that explains the present is the
# changes not taken back.
# The first change of a deal comes from nowhere; every later one starts where
# the one before it ended.
_BROKEN_CHAINS = """
SELECT DISTINCT deal_id FROM (
    SELECT deal_id, from_stage_id, from_status,
           LAG(to_stage_id) OVER w AS previous_stage,
           LAG(to_status) OVER w AS previous_status,
           ROW_NUMBER() OVER w AS position
    FROM stage_change
    WHERE undone_at IS NULL
    WINDOW w AS (PARTITION BY deal_id ORDER BY changed_at, id)
) AS steps
WHERE (position = 1 AND (from_stage_id IS NOT NULL OR from_status IS NOT NULL))
   OR (position > 1 AND (from_stage_id IS DISTINCT FROM previous_stage
                         OR from_status IS DISTINCT FROM previous_status))
"""

# The last change of a deal ends in its current stage and status.
_WRONG_ENDINGS = """
SELECT d.id FROM deal AS d
LEFT JOIN stage_change AS c ON c.id = (
    SELECT s.id FROM stage_change AS s WHERE s.deal_id = d.id AND s.undone_at IS NULL
    ORDER BY s.changed_at DESC, s.id DESC LIMIT 1)
WHERE c.id IS NULL OR c.to_stage_id <> d.stage_id OR c.to_status <> d.status
"""


def deals_with_inconsistent_history() -> list[int]:
    """Ids of deals whose StageChange rows do not lead exactly to their
    current stage and status (an empty list when all is well)."""
    broken = {row[0] for row in db.execute_sql(_BROKEN_CHAINS).fetchall()}
    broken |= {row[0] for row in db.execute_sql(_WRONG_ENDINGS).fetchall()}
    return sorted(broken)
