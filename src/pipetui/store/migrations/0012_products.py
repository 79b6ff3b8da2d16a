"""Products: a catalogue (name, unit price, currency) and the line items of
a deal (a product, a quantity, a unit price and a discount).

Money is integer minor units, as everywhere. A quantity may have up to two
decimals (1.5 hours, 2.25 kg) and is kept as an integer number of
hundredths, so that neither backend ever holds it as a float; the discount
is a whole percent from 0 to 100. An item's unit price is copied from the
product when it is added (and may be changed), in the item's currency, which
is the deal's: a later change of the catalogue's price leaves the deals
alone.
"""

from pipetui.store.database import is_postgres

TABLES = ("product", "line_item")


def up(migrator, db):
    key = "BIGSERIAL PRIMARY KEY" if is_postgres(db) else "INTEGER PRIMARY KEY AUTOINCREMENT"
    db.execute_sql(
        "CREATE TABLE product ("
        f" id {key},"
        " name VARCHAR(200) NOT NULL,"
        " unit_price BIGINT NOT NULL,"
        " currency VARCHAR(3) NOT NULL,"
        " archived BOOLEAN NOT NULL DEFAULT FALSE,"
        " created_at TIMESTAMP NOT NULL)"
    )
    # Unique as written; that two names differ by more than case is the
    # core's check (an index on lower() would hang on the function SQLite is
    # given at opening, which other tools reading the file do not have).
    db.execute_sql("CREATE UNIQUE INDEX product_name ON product (name)")
    db.execute_sql(
        "CREATE TABLE line_item ("
        f" id {key},"
        " deal_id INTEGER NOT NULL REFERENCES deal (id) ON DELETE CASCADE,"
        " product_id INTEGER NOT NULL REFERENCES product (id),"
        " quantity_hundredths BIGINT NOT NULL,"
        " unit_price BIGINT NOT NULL,"
        " currency VARCHAR(3) NOT NULL,"
        " discount SMALLINT NOT NULL DEFAULT 0,"
        " position INTEGER NOT NULL,"
        " created_at TIMESTAMP NOT NULL)"
    )
    db.execute_sql("CREATE INDEX line_item_deal ON line_item (deal_id, position)")
    db.execute_sql("CREATE INDEX line_item_product ON line_item (product_id)")
    if is_postgres(db):
        # Live updates, as for the other tables (0005, 0008).
        for table in TABLES:
            db.execute_sql(
                f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION pipetui_notify()"
            )


def down(migrator, db):
    for table in reversed(TABLES):
        db.execute_sql(f"DROP TABLE {table}")
