"""MemoryEventStorage follows the same contract as the SQL backends."""

from __future__ import annotations

import time

from notification_service.model import EventFilter
from notification_service.storage import MemoryEventStorage, NewEvent


def test_memory_storage_contract() -> None:
    store = MemoryEventStorage()
    assert store.latest_offset() == 0
    first = store.add_events([NewEvent("a", "1", sender="s"), NewEvent("b", idempotency_id="x")])
    assert [e.offset for e in first] == [1, 2]
    again = store.add_events([NewEvent("b", idempotency_id="x"), NewEvent("a", namespace="n")])
    assert [e.offset for e in again] == [2, 3]
    assert again[0] == first[1]
    assert [e.offset for e in store.list_events(EventFilter(begin_offset=1), 10)] == [2, 3]
    assert [e.offset for e in store.list_events(EventFilter(keys=("a",)), 1)] == [1]
    assert [e.offset for e in store.list_events(EventFilter(namespace="n"), 10)] == [3]
    assert store.count_events(EventFilter()) == {"s": 1, None: 2}
    assert store.time_to_offset(int(time.time() * 1000) + 1000) == 3
    assert store.time_to_offset(0) == 0
    store.heartbeat_member("h:1", 10)
    assert [m.server_uri for m in store.list_members(5)] == ["h:1"]
    assert store.list_members(11) == []
    store.remove_member("h:1")
    assert store.list_members(0) == []
