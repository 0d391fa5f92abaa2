"""What only the SQL backends have: the schema lifecycle and construction.

The behaviour every backend shares (appends, idempotency, filters, concurrency,
reopening) is in test_storage_contract.py, on SQLite, PostgreSQL, MariaDB and memory.
"""

from __future__ import annotations

import pytest

from notification_service.model import EventFilter
from notification_service.storage import (
    NewEvent,
    SchemaError,
    SqlEventStorage,
    check_schema,
    current_revision,
    make_engine,
    reset,
    upgrade,
)


def test_check_schema_and_reset(db_uri: str) -> None:
    engine = make_engine(db_uri)
    try:
        with pytest.raises(SchemaError, match="not initialised"):
            check_schema(engine)
        assert current_revision(engine) is None
        upgrade(engine)
        check_schema(engine)
        upgrade(engine)  # idempotent
        store = SqlEventStorage(engine=engine)
        store.add_events([NewEvent("k", "v"), NewEvent("k", "w", idempotency_id="x")])
        store.heartbeat_member("h:1", 1)
        reset(engine)
        check_schema(engine)
        assert store.latest_offset() == 0
        assert store.list_events(EventFilter(), 10) == []
        assert store.list_members(0) == []
        (event,) = store.add_events([NewEvent("k", idempotency_id="x")])
        assert event.offset == 1
    finally:
        engine.dispose()


def test_constructor_needs_a_target() -> None:
    with pytest.raises(ValueError):
        SqlEventStorage()
