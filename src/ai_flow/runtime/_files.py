"""The lock file of a try, for executors that run tasks on the local machine.

The runtime holds an exclusive flock on it while it runs, so "running" is a fact of the
OS that survives restarts of the server; a second process started for the same try
finds it held and leaves at once. The file is never replaced (that would detach the
flock from the path); its content records who took it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass

# A prober (the executor) holds the lock for microseconds; retrying this long keeps a
# task process from mistaking a probe for a running twin.
LOCK_RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class LockRecord:
    pid: int
    try_number: int
    started_at: float


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
    try:
        with open(path) as f:
            text = f.read()
        data = json.loads(text) if text.strip() else None
        return LockRecord(**data) if isinstance(data, dict) else None
    except (FileNotFoundError, ValueError, TypeError):
        return None
