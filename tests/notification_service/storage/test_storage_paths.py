"""Both append paths of SqlEventStorage on SQLite: the raw DBAPI one (SQLite and
PostgreSQL use it) and the SQLAlchemy one (MySQL/MariaDB and other drivers), so the
latter is checked without a MySQL server. Dense offsets from 1 in input order, a resend
with a stored idempotency id returns the stored event, the same id twice in one batch is
stored once, offsets reserved for resends are given back, and filters apply (the events
after `begin_offset`, one namespace)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notification_service.model import EventFilter
from notification_service.storage import NewEvent, SqlEventStorage, make_engine, upgrade


@pytest.fixture(params=["raw", "sqlalchemy"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlEventStorage]:
    engine = make_engine(f"sqlite:///{tmp_path}/ns.db")
    upgrade(engine)
    store = SqlEventStorage(engine=engine)
    if request.param == "sqlalchemy":
        store._raw = None  # noqa: SLF001 - the generic path, as on MySQL
    else:
        assert store._raw is not None  # noqa: SLF001
    yield store
    store.close()


def test_offsets_are_dense_and_resends_store_nothing(storage: SqlEventStorage) -> None:
    first = storage.add_events([NewEvent("k", "a"), NewEvent("k", "b", idempotency_id="id-1")])
    assert [e.offset for e in first] == [1, 2]
    (again,) = storage.add_events([NewEvent("k", "other", idempotency_id="id-1")])
    assert again == first[1]
    assert storage.latest_offset() == 2
    mixed = storage.add_events(
        [
            NewEvent("k", "x", idempotency_id="id-2"),
            NewEvent("k", "y", idempotency_id="id-1"),
            NewEvent("k", "x again", idempotency_id="id-2"),  # twice in one batch
        ]
    )
    assert [e.offset for e in mixed] == [3, 2, 3]
    assert storage.latest_offset() == 3
    (fresh,) = storage.add_events([NewEvent("k", "z")])
    assert fresh.offset == 4
    assert [e.value for e in storage.list_events(EventFilter(), 10)] == ["a", "b", "x", "z"]


def test_filters_apply_in_sql(storage: SqlEventStorage) -> None:
    storage.add_events(
        [
            NewEvent("k", "1", namespace="a"),
            NewEvent("k", "2", namespace="b"),
            NewEvent("k", "3", namespace="a"),
        ]
    )
    after_1 = storage.list_events(EventFilter(begin_offset=1), 10)
    assert [e.offset for e in after_1] == [2, 3]  # the events after offset 1
    in_a = storage.list_events(EventFilter(namespace="a"), 10)
    assert [e.value for e in in_a] == ["1", "3"]
    assert storage.count_events(EventFilter(namespace="b")) == {None: 1}
