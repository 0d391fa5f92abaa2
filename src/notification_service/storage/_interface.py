"""The event storage plug-in point."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from notification_service.model import Event, EventFilter


class StorageError(Exception):
    """The storage could not do what it was asked; str() is one line naming the database
    (for SQLite, its file) and the reason."""


@dataclass(frozen=True)
class NewEvent:
    """An event to append; `idempotency_id` makes a resend return the first copy."""

    key: str
    value: str | None = None
    namespace: str = "default"
    sender: str | None = None
    context: str | None = None
    idempotency_id: str | None = None


@dataclass(frozen=True)
class Member:
    server_uri: str
    update_time: int


class EventStorage(abc.ABC):
    """Offsets are global, dense (1, 2, 3 ...) and become visible in offset order."""

    @abc.abstractmethod
    def add_events(self, events: list[NewEvent]) -> list[Event]:
        """Append atomically; returns one stored Event per input, in input order."""

    @abc.abstractmethod
    def list_events(self, flt: EventFilter, limit: int) -> list[Event]:
        """Matching events ordered by offset, at most `limit`."""

    @abc.abstractmethod
    def count_events(self, flt: EventFilter) -> dict[str | None, int]:
        """Matching event counts per sender."""

    @abc.abstractmethod
    def latest_offset(self) -> int:
        """The highest committed offset (0 when empty)."""

    @abc.abstractmethod
    def time_to_offset(self, timestamp_ms: int) -> int:
        """The highest offset created at or before `timestamp_ms` (0 if none)."""

    @abc.abstractmethod
    def heartbeat_member(self, server_uri: str, now_ms: int) -> None: ...

    @abc.abstractmethod
    def list_members(self, alive_since_ms: int) -> list[Member]: ...

    @abc.abstractmethod
    def remove_member(self, server_uri: str) -> None: ...

    @property
    def commits_in_process(self) -> bool:
        """True when a commit never waits on a network (SQLite, memory): the server then
        commits on its event loop instead of a writer thread."""
        return False

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
