"""Deal titles up to 500 characters: imports from other CRMs bring long ones.

SQLite does not enforce a VARCHAR length, so only PostgreSQL has work to do.
"""

from pipetui.store.database import is_postgres


def up(migrator, db):
    if is_postgres(db):
        db.execute_sql("ALTER TABLE deal ALTER COLUMN title TYPE VARCHAR(500)")


def down(migrator, db):
    if is_postgres(db):
        db.execute_sql("ALTER TABLE deal ALTER COLUMN title TYPE VARCHAR(200)")
