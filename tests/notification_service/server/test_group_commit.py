"""Group commit with real concurrent senders: several client processes send at once
while each commit is slowed down, so sends pile up and share transactions. Each sender
must get back its own events and offsets, and the log must hold exactly what was sent."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

from notification_service.client import NotificationClient
from notification_service.model import Event
from notification_service.server import NotificationServer
from notification_service.settings import NotificationServerSettings
from notification_service.storage import NewEvent, SqlEventStorage, make_engine, upgrade

SENDERS = 4
EACH = 150


class SlowCommits(SqlEventStorage):
    """Each commit takes 5 ms longer: whatever arrives meanwhile forms the next group."""

    def add_events(self, events: list[NewEvent]) -> list[Event]:
        time.sleep(0.005)
        return super().add_events(events)


def _send(uri: str, sender: int, out: mp.Queue) -> None:
    with NotificationClient(uri, sender=f"s{sender}") as client:
        answers = []
        for i in range(EACH):
            stored = client.send_event(f"k{sender}", f"{sender}-{i}")
            answers.append((stored.offset, stored.key, stored.value))
    out.put((sender, answers))


def test_senders_in_one_group_each_get_their_own_offsets(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/ns.db"
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    server = NotificationServer(
        NotificationServerSettings(db_uri=uri, server_port=0, host="127.0.0.1"),
        storage=SlowCommits(uri),
    )
    port = server.start()
    try:
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        procs = [
            ctx.Process(target=_send, args=(f"127.0.0.1:{port}", n, out)) for n in range(SENDERS)
        ]
        for p in procs:
            p.start()
        results = dict(out.get(timeout=300) for _ in procs)
        for p in procs:
            p.join(60)
        # Groups really formed: fewer transactions than events.
        assert server.stats.append_batches < SENDERS * EACH
        stored = {}
        with NotificationClient(f"127.0.0.1:{port}") as client:
            for event in client.list_events(begin_offset=0, limit=SENDERS * EACH + 10):
                stored[event.offset] = (event.key, event.value, event.sender)
        assert sorted(stored) == list(range(1, SENDERS * EACH + 1))
        for sender, answers in results.items():
            # In its own order, with the offsets its events really have in the log.
            assert [value for _, _, value in answers] == [f"{sender}-{i}" for i in range(EACH)]
            offsets = [offset for offset, _, _ in answers]
            assert offsets == sorted(offsets)
            for offset, key, value in answers:
                assert stored[offset] == (key, value, f"s{sender}")
    finally:
        server.stop(grace=0.5)
