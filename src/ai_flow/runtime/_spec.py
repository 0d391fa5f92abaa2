"""TaskSpec: everything a task process needs, written as JSON by the launcher."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ai_flow.runtime._context import TaskContext


@dataclass(frozen=True)
class TaskSpec:
    """One run of one task: identity, files and where to report.

    The lock, heartbeat, status and spec files share ``lock_path``'s stem, so a spec
    fully determines the files the launcher and the runtime exchange.
    """

    workflow_execution_id: int
    task_execution_id: int
    task_name: str
    sequence_number: int
    try_number: int
    workflow_name: str
    namespace: str
    snapshot_path: str
    working_dir: str
    log_path: str
    notification_server_uri: str
    heartbeat_interval: float
    lock_path: str
    #: Seconds the runtime gives ``operator.stop`` (and the task) after SIGTERM.
    stop_timeout: float = 10.0

    @property
    def key(self) -> tuple[int, str, int]:
        """What launching is idempotent by."""
        return (self.workflow_execution_id, self.task_name, self.sequence_number)

    def _sibling(self, suffix: str) -> str:
        return str(Path(self.lock_path).with_suffix(suffix))

    @property
    def heartbeat_path(self) -> str:
        return self._sibling(".heartbeat")

    @property
    def status_path(self) -> str:
        return self._sibling(".status")

    @property
    def spec_path(self) -> str:
        return self._sibling(".json")

    def task_context(self) -> TaskContext:
        return TaskContext(
            namespace=self.namespace,
            workflow_name=self.workflow_name,
            task_name=self.task_name,
            workflow_execution_id=self.workflow_execution_id,
            task_execution_id=self.task_execution_id,
            sequence_number=self.sequence_number,
            try_number=self.try_number,
            notification_server_uri=self.notification_server_uri,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TaskSpec:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: str | os.PathLike[str] | None = None) -> str:
        """Write the spec atomically (default: ``spec_path``); returns the path."""
        target = os.fspath(path or self.spec_path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.tmp.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(self.to_json())
        os.replace(tmp, target)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TaskSpec:
        with open(path) as f:
            return cls.from_json(f.read())
