"""Files the task process and the launcher share: lock, heartbeat and final status.

The lock file is never replaced (that would detach the flock from the path); its
content records who took it. The status file is replaced atomically.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from ai_flow.model.status import TaskStatus

log = logging.getLogger(__name__)

# A prober (the launcher) holds the lock for microseconds; retrying this long keeps a
# task process from mistaking a probe for a running twin.
LOCK_RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class LockRecord:
    pid: int
    try_number: int
    started_at: float


@dataclass(frozen=True)
class StatusRecord:
    status: TaskStatus
    try_number: int
    pid: int | None
    reported: bool
    finished_at: float
    #: Why the try failed (e.g. "timed out after 5s"), sent with the status event.
    error: str | None = None


def try_lock(path: str, retry_seconds: float = 0.0) -> int | None:
    """An fd holding the exclusive flock on ``path``, or None if someone else holds it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + retry_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.02)


def is_locked(path: str) -> bool:
    """True while a process holds the lock (probe: take and release at once)."""
    if not os.path.exists(path):
        return False
    fd = try_lock(path)
    if fd is None:
        return True
    os.close(fd)  # closing the only fd of this open file releases the flock
    return False


def write_lock_record(fd: int, try_number: int) -> None:
    data = json.dumps(asdict(LockRecord(os.getpid(), try_number, time.time()))).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def read_lock_record(path: str) -> LockRecord | None:
    data = _read_json(path)
    try:
        return LockRecord(**data) if data else None
    except TypeError:
        return None


def write_status(path: str, record: StatusRecord) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump({**asdict(record), "status": record.status.value}, f)
    os.replace(tmp, path)


def read_status(path: str) -> StatusRecord | None:
    data = _read_json(path)
    try:
        return StatusRecord(**{**data, "status": TaskStatus(data["status"])}) if data else None
    except (TypeError, KeyError, ValueError):
        return None


def touch(path: str) -> None:
    with open(path, "a"):
        pass
    os.utime(path)


def mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return None


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        return None  # being written right now
    return data if isinstance(data, dict) else None


class Heartbeat(threading.Thread):
    """Touches a file every ``interval`` seconds; the executor reads its mtime."""

    def __init__(self, path: str, interval: float):
        super().__init__(name="aiflow-heartbeat", daemon=True)
        self.path = path
        self.interval = max(interval, 0.05)
        self._stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                touch(self.path)
            except OSError as err:
                log.warning("heartbeat failed: %s", err)
            if self._stopping.wait(self.interval):
                return

    def stop(self) -> None:
        self._stopping.set()
