"""Listen streams against a real in-process server on SQLite: a commit by another writer
of the database (another server, another process) reaches listeners through the
server's poll; a stream whose page was full goes on from its last event; and a listener
whose stream failed on the server's side (its database) keeps trying and hears what it
missed once the server answers again. Waits are on conditions, bounded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from notification_service.client import ListenerProcessor, NotificationClient
from notification_service.model import Event, EventFilter
from notification_service.server import NotificationServer
from notification_service.settings import NotificationServerSettings
from notification_service.storage import NewEvent, SqlEventStorage, make_engine, upgrade

WAIT = 20.0


class Collect(ListenerProcessor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()

    def process(self, events: list[Event]) -> None:
        with self._changed:
            self.events.extend(events)
            self._changed.notify_all()

    def wait_for(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.events) >= count, WAIT)


class Flaky(SqlEventStorage):
    """Its reads fail while `broken` is set, as when the database is away."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.broken = threading.Event()
        self.failed = threading.Event()

    def list_events(self, flt: EventFilter, limit: int) -> list[Event]:
        if self.broken.is_set():
            self.failed.set()
            raise RuntimeError("the database is away")
        return super().list_events(flt, limit)


@pytest.fixture
def db(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path}/ns.db"
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    return uri


@pytest.fixture
def serve(db: str) -> Iterator[Callable[..., tuple[NotificationServer, NotificationClient]]]:
    started: list[tuple[NotificationServer, NotificationClient]] = []

    def start(
        storage: SqlEventStorage | None = None,
    ) -> tuple[NotificationServer, NotificationClient]:
        server = NotificationServer(
            NotificationServerSettings(db_uri=db, server_port=0, host="127.0.0.1"),
            storage=storage,
        )
        port = server.start()
        client = NotificationClient(f"127.0.0.1:{port}")
        started.append((server, client))
        return server, client

    yield start
    for server, client in started:
        client.close()
        server.stop(grace=0.5)


def test_a_commit_by_another_writer_reaches_listeners(db: str, serve) -> None:  # noqa: ANN001
    _, client = serve()
    collect = Collect()
    client.register_listener(collect, event_keys=["k"], begin_offset=0)
    other = SqlEventStorage(db)  # a writer this server is never told about
    try:
        other.add_events([NewEvent("k", "from elsewhere")])
        assert collect.wait_for(1), "the server never noticed the other writer's commit"
    finally:
        other.close()
    assert [e.value for e in collect.events] == ["from elsewhere"]


def test_a_full_page_goes_on_from_its_last_event(serve) -> None:  # noqa: ANN001
    _, client = serve()
    client.send_events([("k", str(i)) for i in range(1200)])  # more than a listen page
    collect = Collect()
    client.register_listener(collect, event_keys=["k"], begin_offset=0)
    assert collect.wait_for(1200), f"heard {len(collect.events)} of 1200"
    assert [e.value for e in collect.events] == [str(i) for i in range(1200)]


def test_a_listener_keeps_trying_after_a_server_side_failure(db: str, serve) -> None:  # noqa: ANN001
    before = SqlEventStorage(db)  # stored before the server started: read from the database
    before.add_events([NewEvent("k", "1"), NewEvent("k", "2")])
    before.close()
    storage = Flaky(db)
    storage.broken.set()
    _, client = serve(storage)
    collect = Collect()
    client.register_listener(collect, event_keys=["k"], begin_offset=0)
    assert storage.failed.wait(WAIT)  # the stream failed on the server
    storage.broken.clear()
    assert collect.wait_for(2), "the listener went quiet after the failure"
    client.send_event("k", "3")
    assert collect.wait_for(3)
    assert [e.value for e in collect.events] == ["1", "2", "3"]
