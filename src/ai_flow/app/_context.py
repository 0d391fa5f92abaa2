"""The application context: what the use cases need besides their arguments."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.app._heartbeats import HeartbeatBook
from ai_flow.evaluator import EvaluatorPool
from ai_flow.metadata import read_session, write_session
from ai_flow.scheduler import SnapshotStore

if TYPE_CHECKING:
    from notification_service.client import NotificationClient


def _nothing() -> None:
    pass


@dataclass
class App:
    """`lock` serialises scheduling writes (the scheduler's batches, the timer loop and
    the use cases that start or stop things), so a decision such as "start unless
    alive" never races another writer of this server. `on_commands` wakes the command
    runner after commands were queued; `on_schedules_changed` the timer loop. `events`
    reads the notification server (explain, replay); None where nothing set it."""

    factory: sessionmaker[Session]
    lock: threading.Lock
    snapshots: SnapshotStore
    evaluators: EvaluatorPool
    heartbeats: HeartbeatBook = field(default_factory=HeartbeatBook)
    on_commands: Callable[[], None] = _nothing
    on_schedules_changed: Callable[[], None] = _nothing
    events: NotificationClient | None = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with read_session(self.factory) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with write_session(self.factory) as session:
            yield session

    @contextmanager
    def scheduling(self) -> Iterator[Session]:
        """A write transaction under the scheduling lock."""
        with self.lock, write_session(self.factory) as session:
            yield session
