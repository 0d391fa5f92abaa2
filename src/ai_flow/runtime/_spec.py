"""TaskSpec: what a task runtime needs to run one try, on any host.

It holds no path of the server's machine: the snapshot is named by its blob URIs (the
runtime fetches it with the blob manager described here), the servers by their
addresses, the try by its identity. Where files go on the host that runs it is the
runtime's own business (`task_paths`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ai_flow.blob_manager import SnapshotFiles
from ai_flow.runtime._context import TaskContext


@dataclass(frozen=True)
class TaskSpec:
    workflow_execution_id: int
    task_execution_id: int
    task_name: str
    sequence_number: int
    try_number: int
    workflow_name: str
    namespace: str
    snapshot: SnapshotFiles
    notification_server_uri: str
    #: The AIFlow servers' internal RPC (claims and heartbeats), ``host:port[,...]``: the
    #: launching server first, then the others serving the same database.
    server_address: str
    blob_manager_class: str
    blob_manager_config: dict[str, Any] = field(default_factory=dict)
    heartbeat_interval: float = 10.0
    #: Seconds the runtime gives ``operator.stop`` (and the task) after a stop request.
    stop_timeout: float = 10.0
    #: The operator's ``queue`` option: where a queueing executor (Celery) sends the try.
    queue: str | None = None
    #: With auth_tokens on the servers: the try's own token for the internal RPC (good
    #: for this task execution only), and the token its events carry to the
    #: notification server (None: $NOTIFICATION_TOKEN of the host that runs it).
    server_token: str | None = None
    notification_token: str | None = None

    @property
    def key(self) -> tuple[int, int]:
        """What a claim is unique by: (task execution, try)."""
        return (self.task_execution_id, self.try_number)

    @property
    def label(self) -> str:
        return (
            f"{self.workflow_name}.{self.task_name} (execution {self.workflow_execution_id}, "
            f"run {self.sequence_number}, try {self.try_number})"
        )

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
            notification_token=self.notification_token,
        )

    def to_json(self) -> str:
        data = asdict(self)
        data["snapshot"] = self.snapshot.to_dict()
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TaskSpec:
        data = json.loads(text)
        data["snapshot"] = SnapshotFiles.from_dict(data["snapshot"])
        # A newer server may add fields this runtime does not know (a rolling upgrade
        # runs old workers beside new servers): they are left out, not an error.
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
