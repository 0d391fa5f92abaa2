"""A task execution's log as the server's host has it: read by byte range, or followed.

Local task processes write ``<log_dir>/<workflow>/<execution>/<task>/<sequence>.log``
(ai_flow.runtime.task_paths); a try that ran on another host (Celery, Kubernetes) left
its log there, so this server has none to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ai_flow.app._context import App
from ai_flow.app.errors import NotFoundError
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.status import TASK_FINISHED
from ai_flow.runtime import task_paths

MAX_READ = 1 << 20  # bytes in one read: a huge log is paged, never read whole


@dataclass(frozen=True)
class LogChunk:
    """`text` is the log from byte `offset` to `next_offset` (cut at a whole character);
    `size` is the file's size at the read and `finished` whether the task execution had
    ended before it (so nothing more will be written)."""

    text: str
    offset: int
    next_offset: int
    size: int
    finished: bool


def _whole_characters(data: bytes) -> bytes:
    """Drop a UTF-8 character cut by the end of the read; the next read starts at it."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # a lead byte: is its character whole?
            width = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= width else data[:-back]
    return data


def log_path(app: App, log_dir: Path, task_execution_id: int) -> tuple[Path, bool]:
    """The log file of the task execution and whether the task execution has ended."""
    with app.read() as s:
        te, execution, workflow, snapshot = tasks.get_with_context(s, task_execution_id)
    paths = task_paths(
        log_dir,
        workflow.name,
        execution.id,
        te.task_name,
        te.sequence_number,
        snapshot.file_name,
        log_dir,
    )
    return paths.log_path, te.status in TASK_FINISHED


def read_log(
    app: App, log_dir: Path, task_execution_id: int, offset: int = 0, limit: int = MAX_READ
) -> LogChunk:
    """Up to `limit` bytes (at most MAX_READ) from byte `offset`; past the end, nothing."""
    path, finished = log_path(app, log_dir, task_execution_id)
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            f.seek(min(offset, size))
            raw = f.read(min(limit, MAX_READ))
            # A read shorter than one character still moves on (as a replacement char).
            data = _whole_characters(raw) or raw
    except FileNotFoundError:
        raise NotFoundError(
            f"task execution {task_execution_id} has no log on this server "
            "(it has not started, or it ran on another host)"
        ) from None
    start = min(offset, size)
    return LogChunk(data.decode("utf-8", "replace"), start, start + len(data), size, finished)
