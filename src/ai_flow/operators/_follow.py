"""Following a job on its engine's REST API until it ends."""

from __future__ import annotations

import time
from collections.abc import Callable, Set

from ai_flow.engines import EngineError
from ai_flow.operators._errors import EngineJobError

#: Seconds the REST API may stay unreachable before the task fails (the job is then left
#: to the server's reaper, which cancels it once the engine answers).
REST_TOLERANCE = 60.0


def follow_job(
    state_of: Callable[[], str | None],
    terminal: Set[str],
    *,
    what: str,
    interval: float,
    timeout: float | None,
    task: str,
) -> str:
    """Poll `state_of` until it gives a terminal state, and return it.

    None (the engine does not know the job) fails; so does an engine unreachable for
    REST_TOLERANCE seconds. With `timeout`, TimeoutError once it passes.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    unreachable_since: float | None = None
    while True:
        try:
            state = state_of()
            unreachable_since = None
        except EngineError as exc:
            now = time.monotonic()
            unreachable_since = unreachable_since or now
            if now - unreachable_since > REST_TOLERANCE:
                raise EngineJobError(
                    f"{what}: REST API unreachable for {REST_TOLERANCE:.0f}s: {exc}"
                ) from None
            state = "UNREACHABLE"
        if state is None:
            raise EngineJobError(f"{what} is unknown to its engine")
        if state in terminal:
            return state
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"Task {task!r} still running after {timeout} seconds")
        time.sleep(interval)
