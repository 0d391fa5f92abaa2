"""SqlEventStorage on SQLite, PostgreSQL and MariaDB/MySQL (real databases)."""

from __future__ import annotations

import time
from collections.abc import Iterator

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


@pytest.fixture
def storage(db_uri: str) -> Iterator[SqlEventStorage]:
    engine = make_engine(db_uri)
    upgrade(engine)
    store = SqlEventStorage(engine=engine)
    yield store
    store.close()


def _offsets(events: list) -> list[int]:
    return [e.offset for e in events]


def test_add_assigns_dense_offsets_in_input_order(storage: SqlEventStorage) -> None:
    first = storage.add_events([NewEvent("a", "1"), NewEvent("b", "2")])
    second = storage.add_events([NewEvent("c", "3", namespace="ns", sender="s", context="ctx")])
    assert _offsets(first) == [1, 2]
    assert [e.key for e in first] == ["a", "b"]
    assert _offsets(second) == [3]
    event = second[0]
    assert (event.value, event.namespace, event.sender, event.context) == ("3", "ns", "s", "ctx")
    assert event.create_time == pytest.approx(time.time() * 1000, abs=5000)
    listed = storage.list_events(EventFilter(), 100)
    assert _offsets(listed) == [1, 2, 3]
    assert listed[2] == event
    assert storage.latest_offset() == 3


def test_empty_storage(storage: SqlEventStorage) -> None:
    assert storage.latest_offset() == 0
    assert storage.list_events(EventFilter(), 10) == []
    assert storage.count_events(EventFilter()) == {}
    assert storage.time_to_offset(int(time.time() * 1000)) == 0


def test_filters(storage: SqlEventStorage) -> None:
    storage.add_events(
        [
            NewEvent("k1", "v1", namespace="n1", sender="alice"),  # 1
            NewEvent("k2", "v2", namespace="n1", sender="bob"),  # 2
            NewEvent("k1", "v3", namespace="n2", sender="alice"),  # 3
            NewEvent("k3", None, namespace="n2"),  # 4
            NewEvent("k1", "v5", namespace="n1", sender="bob"),  # 5
        ]
    )

    def offsets(**kw: object) -> list[int]:
        return _offsets(storage.list_events(EventFilter(**kw), 100))

    assert offsets(keys=("k1",)) == [1, 3, 5]
    assert offsets(keys=("k1", "k3")) == [1, 3, 4, 5]
    assert offsets(keys=("*",)) == [1, 2, 3, 4, 5]
    assert offsets(keys=("missing",)) == []
    assert offsets(namespace="n1") == [1, 2, 5]
    assert offsets(namespace="n1", keys=("k1",)) == [1, 5]
    assert offsets(sender="alice") == [1, 3]
    assert offsets(begin_offset=2) == [3, 4, 5]  # exclusive
    assert offsets(end_offset=2) == [1, 2]  # inclusive
    assert offsets(begin_offset=1, end_offset=4) == [2, 3, 4]
    assert offsets(begin_offset=5) == []
    assert _offsets(storage.list_events(EventFilter(), 2)) == [1, 2]
    assert _offsets(storage.list_events(EventFilter(begin_offset=3), 1)) == [4]

    assert storage.count_events(EventFilter()) == {"alice": 2, "bob": 2, None: 1}
    assert storage.count_events(EventFilter(keys=("k1",))) == {"alice": 2, "bob": 1}
    assert storage.count_events(EventFilter(namespace="n2", begin_offset=3)) == {None: 1}
    assert storage.count_events(EventFilter(end_offset=1)) == {"alice": 1}


def test_begin_time_and_time_to_offset(storage: SqlEventStorage) -> None:
    (first,) = storage.add_events([NewEvent("early")])
    time.sleep(0.02)
    (second,) = storage.add_events([NewEvent("late")])
    assert second.create_time > first.create_time
    late = storage.list_events(EventFilter(begin_time=second.create_time), 10)
    assert _offsets(late) == [2]
    assert _offsets(storage.list_events(EventFilter(begin_time=first.create_time), 10)) == [1, 2]
    assert storage.time_to_offset(first.create_time - 1) == 0
    assert storage.time_to_offset(first.create_time) == 1
    assert storage.time_to_offset(second.create_time - 1) == 1
    assert storage.time_to_offset(second.create_time + 10_000) == 2


def test_idempotent_resend_returns_first_copy(storage: SqlEventStorage) -> None:
    (original,) = storage.add_events([NewEvent("k", "v1", idempotency_id="id-1")])
    (again,) = storage.add_events([NewEvent("k", "other value", idempotency_id="id-1")])
    assert again == original
    assert storage.latest_offset() == 1
    assert len(storage.list_events(EventFilter(), 10)) == 1

    # Mixed batch: the known id maps to the old event, new ones get fresh offsets.
    mixed = storage.add_events(
        [
            NewEvent("k", "x", idempotency_id="id-2"),
            NewEvent("k", "y", idempotency_id="id-1"),
            NewEvent("k", "z"),
            NewEvent("k", "x again", idempotency_id="id-2"),  # duplicate inside the batch
        ]
    )
    assert _offsets(mixed) == [2, 1, 3, 2]
    assert mixed[3] == mixed[0]
    assert mixed[1] == original
    assert storage.latest_offset() == 3
    assert [e.value for e in storage.list_events(EventFilter(), 10)] == ["v1", "x", "z"]


def test_only_duplicates_store_nothing(storage: SqlEventStorage) -> None:
    storage.add_events([NewEvent("k", "v", idempotency_id="a"), NewEvent("k", idempotency_id="b")])
    again = storage.add_events(
        [NewEvent("k", idempotency_id="b"), NewEvent("k", idempotency_id="a")]
    )
    assert _offsets(again) == [2, 1]
    assert storage.latest_offset() == 2
    (fresh,) = storage.add_events([NewEvent("k")])
    assert fresh.offset == 3


def test_limits_and_unicode(storage: SqlEventStorage) -> None:
    long_key = "k" * 1023 + "é"
    text = "héllo wörld ✓ 日本語 🚀"
    big = ("0123456789abcdef" * 65536)[: 1024 * 1024 - 10] + "🚀"  # ~1 MiB, 4-byte char
    storage.add_events(
        [
            NewEvent(long_key, text, namespace="名前空間", sender="送信者", context=text),
            NewEvent("big", big, context=big),
        ]
    )
    first, second = storage.list_events(EventFilter(), 10)
    assert first.key == long_key and len(first.key) == 1024
    assert (first.value, first.namespace, first.sender, first.context) == (
        text,
        "名前空間",
        "送信者",
        text,
    )
    assert second.value == big and second.context == big
    assert _offsets(storage.list_events(EventFilter(keys=(long_key,)), 10)) == [1]
    assert _offsets(storage.list_events(EventFilter(namespace="名前空間"), 10)) == [1]


def test_none_values_roundtrip(storage: SqlEventStorage) -> None:
    storage.add_events([NewEvent("k"), NewEvent("k", "")])
    first, second = storage.list_events(EventFilter(), 10)
    assert (first.value, first.sender, first.context) == (None, None, None)
    assert second.value == ""


def test_keys_are_case_sensitive(storage: SqlEventStorage) -> None:
    # MySQL's default collation would match "Key" to "key"; the columns use utf8mb4_bin.
    storage.add_events([NewEvent("Key"), NewEvent("key"), NewEvent("k", namespace="Default")])
    assert _offsets(storage.list_events(EventFilter(keys=("key",)), 10)) == [2]
    assert _offsets(storage.list_events(EventFilter(namespace="default"), 10)) == [1, 2]


def test_members(storage: SqlEventStorage) -> None:
    storage.heartbeat_member("h1:1", 1000)
    storage.heartbeat_member("h2:2", 2000)
    storage.heartbeat_member("h1:1", 3000)  # upsert, not a second row
    assert [(m.server_uri, m.update_time) for m in storage.list_members(0)] == [
        ("h1:1", 3000),
        ("h2:2", 2000),
    ]
    assert [m.server_uri for m in storage.list_members(2500)] == ["h1:1"]
    storage.remove_member("h1:1")
    storage.remove_member("nobody:0")
    assert [m.server_uri for m in storage.list_members(0)] == ["h2:2"]


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
