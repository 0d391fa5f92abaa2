"""Where a task runtime keeps a try's files on the host that runs it.

``<home>/working_dir/<workflow>/<execution>/`` is the working directory all tasks of an
execution share on that host; the snapshot is fetched into its ``<file stem>/``
sub-directory (so ``__file__`` of the workflow file is there, as in the docs:
``working_dir/<workflow>/*/<file stem>/tmp/...``). The log is
``<log_dir>/<workflow>/<execution>/<task>/<sequence number>.log``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TaskPaths:
    working_dir: Path
    snapshot_dir: Path
    log_path: Path


def task_paths(
    home: str | os.PathLike[str],
    workflow: str,
    execution_id: int,
    task: str,
    sequence_number: int,
    file_name: str,
    log_dir: str | os.PathLike[str] | None = None,
) -> TaskPaths:
    logs = Path(log_dir) if log_dir else Path(home) / "logs"
    working_dir = Path(home) / "working_dir" / workflow / str(execution_id)
    return TaskPaths(
        working_dir=working_dir,
        snapshot_dir=working_dir / Path(file_name).stem,
        log_path=logs / workflow / str(execution_id) / task / f"{sequence_number}.log",
    )
