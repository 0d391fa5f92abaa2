"""The one clock of both services; tests move it with `set_clock`."""

from __future__ import annotations

import time
from collections.abc import Callable

_now: Callable[[], float] = time.time


def now() -> float:
    """Seconds since the epoch."""
    return _now()


def now_ms() -> int:
    return int(_now() * 1000)


def set_clock(fn: Callable[[], float] | None) -> None:
    """Replace the clock (None restores the wall clock)."""
    global _now
    _now = fn or time.time
