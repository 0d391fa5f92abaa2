"""Where a task execution's files live under ``$AIFLOW_HOME``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ai_flow.runtime import TaskSpec

#: Directory (inside the execution's working dir) of the files launcher and task share.
CONTROL_DIR = ".aiflow"


@dataclass(frozen=True)
class TaskPaths:
    log_path: str
    working_dir: str
    lock_path: str
    spec_path: str
    heartbeat_path: str
    status_path: str


def task_paths(
    aiflow_home: str | os.PathLike[str],
    workflow: str,
    execution_id: int | str,
    task: str,
    seq: int,
    log_dir: str | os.PathLike[str] | None = None,
) -> TaskPaths:
    """<log_dir>/<workflow>/<execution>/<task>/<seq>.log (log_dir defaults to
    $AIFLOW_HOME/logs); working_dir/<workflow>/<execution>/."""
    home = Path(aiflow_home)
    logs = Path(log_dir) if log_dir else home / "logs"
    working_dir = home / "working_dir" / workflow / str(execution_id)
    control = working_dir / CONTROL_DIR
    stem = f"{task}.{seq}"
    return TaskPaths(
        log_path=str(logs / workflow / str(execution_id) / task / f"{seq}.log"),
        working_dir=str(working_dir),
        lock_path=str(control / f"{stem}.lock"),
        spec_path=str(control / f"{stem}.json"),
        heartbeat_path=str(control / f"{stem}.heartbeat"),
        status_path=str(control / f"{stem}.status"),
    )


def make_task_spec(
    aiflow_home: str | os.PathLike[str],
    *,
    workflow_execution_id: int,
    task_execution_id: int,
    task_name: str,
    sequence_number: int,
    workflow_name: str,
    namespace: str,
    snapshot_path: str,
    notification_server_uri: str,
    try_number: int = 1,
    heartbeat_interval: float = 10.0,
    stop_timeout: float = 10.0,
    log_dir: str | os.PathLike[str] | None = None,
) -> TaskSpec:
    """A TaskSpec with the standard paths filled in."""
    paths = task_paths(
        aiflow_home, workflow_name, workflow_execution_id, task_name, sequence_number, log_dir
    )
    return TaskSpec(
        workflow_execution_id=workflow_execution_id,
        task_execution_id=task_execution_id,
        task_name=task_name,
        sequence_number=sequence_number,
        try_number=try_number,
        workflow_name=workflow_name,
        namespace=namespace,
        snapshot_path=os.fspath(snapshot_path),
        working_dir=paths.working_dir,
        log_path=paths.log_path,
        notification_server_uri=notification_server_uri,
        heartbeat_interval=heartbeat_interval,
        lock_path=paths.lock_path,
        stop_timeout=stop_timeout,
    )
