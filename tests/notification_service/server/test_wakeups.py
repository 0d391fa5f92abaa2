"""A commit wakes the listen streams itself: with the fallback poll and the streams'
recheck pushed out to an hour, a listener still hears a new event at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from notification_service.client import ListenerProcessor, NotificationClient
from notification_service.model import Event
from notification_service.server import NotificationServer, _notifier, _service
from notification_service.settings import NotificationServerSettings
from notification_service.storage import make_engine, upgrade

HOUR = 3600.0


class _Collect(ListenerProcessor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.got = threading.Event()

    def process(self, events: list[Event]) -> None:
        self.events.extend(events)
        self.got.set()


def test_a_local_commit_wakes_listeners_without_any_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _notifier.OffsetNotifier.__init__

    def slow_poll(self, read_latest, loop, poll_interval: float = HOUR) -> None:  # noqa: ANN001
        original(self, read_latest, loop, HOUR)

    monkeypatch.setattr(_notifier.OffsetNotifier, "__init__", slow_poll)
    monkeypatch.setattr(_service, "LISTEN_RECHECK_SECONDS", HOUR)
    uri = f"sqlite:///{tmp_path}/ns.db"
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    server = NotificationServer(
        NotificationServerSettings(db_uri=uri, server_port=0, host="127.0.0.1")
    )
    port = server.start()
    client = NotificationClient(f"127.0.0.1:{port}")
    collect = _Collect()
    listener = client.register_listener(collect, event_keys=["k"], begin_offset=0)
    try:
        for round_ in range(3):
            collect.got.clear()
            client.send_event("k", str(round_))
            # Only the commit's own wake-up can deliver it within the hour.
            assert collect.got.wait(30), f"round {round_}: the listener was not woken"
        assert [e.value for e in collect.events] == ["0", "1", "2"]
    finally:
        client.unregister_listener(listener)
        client.close()
        server.stop(grace=0.5)
