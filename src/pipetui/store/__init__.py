"""The store: Peewee models, the database opener and migrations.

Knows nothing of the TUI or the CLI.
"""

from pipetui.store.database import (
    DatabaseOpenError,
    Location,
    is_postgres,
    migrate,
    open_database,
    parse_location,
)
from pipetui.store.models import (
    ALL_MODELS,
    LOST,
    OPEN,
    WON,
    Activity,
    Contact,
    CustomField,
    CustomValue,
    Deal,
    FieldChange,
    LineItem,
    LostReason,
    Note,
    Organization,
    Pipeline,
    Product,
    Quota,
    Rep,
    Stage,
    StageChange,
    database_proxy,
)

__all__ = [
    "ALL_MODELS", "LOST", "OPEN", "WON", "Activity", "Contact", "CustomField", "CustomValue",
    "DatabaseOpenError", "Deal", "FieldChange", "LineItem", "Location", "LostReason", "Note", "Organization",
    "Pipeline", "Product", "Quota", "Rep", "Stage",
    "StageChange", "database_proxy", "is_postgres", "migrate", "open_database", "parse_location",
]
