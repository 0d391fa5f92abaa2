"""Several writer processes on one database: offsets stay dense and become visible in order."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from notification_service.model import EventFilter
from notification_service.storage import SqlEventStorage, make_engine, upgrade

WRITERS = 4
BATCHES_PER_WRITER = 60

# Each writer appends batches of 1..5 events as fast as it can, after a common start time.
WRITER_SCRIPT = """
import random, sys, time
from notification_service.storage import NewEvent, SqlEventStorage
uri, writer, batches, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
store = SqlEventStorage(uri)
rng = random.Random(writer)
time.sleep(max(0.0, start_at - time.time()))
total = 0
for b in range(batches):
    n = rng.randint(1, 5)
    stored = store.add_events(
        [NewEvent(f"w{writer}", f"{b}.{i}", sender=f"w{writer}") for i in range(n)]
    )
    assert [e.offset for e in stored] == list(range(stored[0].offset, stored[0].offset + n))
    total += n
store.close()
print(total)
"""


class OrderChecker(threading.Thread):
    """Polls list_events(begin_offset=last seen) and records any ordering violation."""

    def __init__(self, store: SqlEventStorage) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.last = 0
        self.reads = 0
        self.errors: list[str] = []
        self.done = threading.Event()

    def poll_once(self) -> None:
        events = self.store.list_events(EventFilter(begin_offset=self.last), 1000)
        self.reads += 1
        for event in events:
            if event.offset <= self.last:
                self.errors.append(f"offset {event.offset} after {self.last} was seen")
            elif event.offset != self.last + 1:
                self.errors.append(f"gap: saw {event.offset} right after {self.last}")
            self.last = max(self.last, event.offset)

    def run(self) -> None:
        while not self.done.is_set():
            self.poll_once()


@pytest.mark.timeout(120)
def test_concurrent_writer_processes_keep_offsets_dense_and_ordered(db_uri: str) -> None:
    engine = make_engine(db_uri)
    upgrade(engine)
    store = SqlEventStorage(engine=engine)
    checker = OrderChecker(store)
    checker.start()
    start_at = time.time() + 1.5  # let every interpreter import before the race starts
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, db_uri, str(w), str(BATCHES_PER_WRITER)]
            + [str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    try:
        outputs = [p.communicate(timeout=100) for p in procs]
    finally:
        for p in procs:
            p.kill()
    checker.done.set()
    checker.join(10)
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    total = sum(int(out) for out, _ in outputs)

    checker.poll_once()  # catch the tail after the writers finished
    assert checker.errors == []
    assert checker.reads > 5
    assert checker.last == total
    assert store.latest_offset() == total
    counts = store.count_events(EventFilter())
    assert sum(counts.values()) == total
    assert set(counts) == {f"w{w}" for w in range(WRITERS)}
    # Every writer's own events are in its send order.
    for w in range(WRITERS):
        values = [e.value for e in store.list_events(EventFilter(sender=f"w{w}"), 10_000)]
        batches = [tuple(map(int, v.split("."))) for v in values]
        assert batches == sorted(batches)
    store.close()
