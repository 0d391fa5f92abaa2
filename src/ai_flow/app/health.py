"""The server's health as an operator asks for it: can it read its database, reach the
notification server, how far the scheduler is behind the event log, and who schedules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ai_flow.app._context import App
from ai_flow.metadata import lease, offsets


@dataclass(frozen=True)
class Health:
    """`*_error` is None when that part is fine; `scheduler_lag` counts the events stored
    but not yet committed by the scheduler (None when either side is unknown)."""

    database_error: str | None
    notification_error: str | None
    latest_offset: int | None
    committed_offset: int | None
    lease_owner: str | None
    lease_epoch: int | None
    lease_live: bool

    @property
    def healthy(self) -> bool:
        return self.database_error is None and self.notification_error is None

    @property
    def scheduler_lag(self) -> int | None:
        if self.latest_offset is None or self.committed_offset is None:
            return None
        return max(0, self.latest_offset - self.committed_offset)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def check_health(app: App, latest_offset: Callable[[], int]) -> Health:
    """`latest_offset` asks the notification server for its newest event offset."""
    database_error = committed = owner = epoch = None
    live = False
    try:
        with app.read() as s:
            committed = offsets.get_offset(s)
            holder = lease.holder(s)
            owner, epoch, live = holder.owner, holder.epoch, holder.live
    except Exception as exc:  # noqa: BLE001 - any failure is the answer, not an error
        database_error = _one_line(exc)
    notification_error = latest = None
    try:
        latest = latest_offset()
    except Exception as exc:  # noqa: BLE001 - as above
        notification_error = _one_line(exc)
    return Health(database_error, notification_error, latest, committed, owner, epoch, live)
