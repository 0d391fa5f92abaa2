"""The group-commit writer on its own loop, with an in-memory storage that counts (and,
for the writer-thread mode of PostgreSQL/MySQL, holds) its commits: the requests of one
turn share one transaction and each gets back its own events with their offsets; what
arrives while a thread commit runs forms the next group; a failed commit is reported to
every request of its group. Waits are bounded, so a lost answer fails, never hangs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from notification_service.model import Event
from notification_service.server._writer import GroupCommitWriter
from notification_service.storage import MemoryEventStorage, NewEvent

T = TypeVar("T")


def run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a thread of its own: a browser test of the same session may
    leave its (Playwright) loop running on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


WAIT = 10.0


class Counting(MemoryEventStorage):
    def __init__(self, hold_first: bool = False, fail: bool = False) -> None:
        super().__init__()
        self.commits: list[int] = []  # events per commit
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.fail = fail

    def add_events(self, events: list[NewEvent]) -> list[Event]:
        self.entered.set()
        assert self.release.wait(WAIT)
        if self.fail:
            raise RuntimeError("the database went away")
        self.commits.append(len(events))
        return super().add_events(events)


def new(*values: str) -> list[NewEvent]:
    return [NewEvent("k", v) for v in values]


def answers(stored: list[list[Event]]) -> list[list[tuple[int | None, str | None]]]:
    return [[(e.offset, e.value) for e in events] for events in stored]


def test_requests_of_one_turn_share_a_commit_and_get_their_own_offsets() -> None:
    async def main() -> tuple[list, list[int]]:
        storage = Counting()
        writer = GroupCommitWriter(storage, lambda _: None, asyncio.get_running_loop(), True)
        futures = [
            writer.submit(new("a1", "a2")),
            writer.submit(new("b1")),
            writer.submit(new("c1", "c2")),
        ]
        done = await asyncio.wait_for(asyncio.gather(*futures), WAIT)
        return list(done), storage.commits

    done, commits = run_loop(main())
    assert commits == [5]  # one transaction for the three requests
    assert answers(done) == [
        [(1, "a1"), (2, "a2")],
        [(3, "b1")],
        [(4, "c1"), (5, "c2")],
    ]


def test_what_arrives_during_a_thread_commit_forms_the_next_group() -> None:
    committed: list[int] = []

    async def main() -> tuple[list, list[int]]:
        storage = Counting(hold_first=True)
        loop = asyncio.get_running_loop()
        writer = GroupCommitWriter(
            storage, lambda evs: committed.extend(e.offset for e in evs), loop, False
        )
        try:
            first = writer.submit(new("a"))
            assert await asyncio.to_thread(storage.entered.wait, WAIT)  # the commit runs
            later = [writer.submit(new("b")), writer.submit(new("c"))]
            storage.release.set()
            done = await asyncio.wait_for(asyncio.gather(first, *later), WAIT)
        finally:
            storage.release.set()
            writer.close()
        return list(done), storage.commits

    done, commits = run_loop(main())
    assert commits == [1, 2]
    assert answers(done) == [[(1, "a")], [(2, "b")], [(3, "c")]]
    assert committed == [1, 2, 3]  # listeners were told of both commits


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "thread"])
def test_a_failed_commit_is_reported_to_every_request_of_its_group(inline: bool) -> None:
    async def main() -> list:
        storage = Counting(fail=True)
        writer = GroupCommitWriter(storage, lambda _: None, asyncio.get_running_loop(), inline)
        try:
            futures = [writer.submit(new("a")), writer.submit(new("b"))]
            return await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), WAIT)
        finally:
            writer.close()

    results = run_loop(main())
    assert [str(r) for r in results] == ["the database went away"] * 2
