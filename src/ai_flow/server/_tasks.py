"""What the server says about task tries it does not run itself: their specs for the
executor, and the statuses it reports on behalf of tries whose process died."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from ai_flow.metadata import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowSnapshotRow,
)
from ai_flow.model.status import TaskStatus
from ai_flow.runtime import SERVER_SENDER, TaskContext, TaskSpec, send_status_event
from ai_flow.scheduler import PlanError, SnapshotStore, snapshot_files
from notification_service.client import NotificationClient, NotificationError

log = logging.getLogger(__name__)


def task_context_of(
    te: TaskExecutionRow, execution: WorkflowExecutionRow, workflow: WorkflowRow
) -> TaskContext:
    return TaskContext(
        namespace=workflow.namespace,
        workflow_name=workflow.name,
        task_name=te.task_name,
        workflow_execution_id=execution.id,
        task_execution_id=te.id,
        sequence_number=te.sequence_number,
        try_number=te.try_number,
    )


def task_queue(snapshot: WorkflowSnapshotRow, task_name: str) -> str | None:
    """The operator's ``queue`` keyword (kept in its config), for queueing executors."""
    for task in (snapshot.description or {}).get("tasks") or []:
        if task.get("name") == task_name:
            queue = (task.get("config") or {}).get("queue")
            return str(queue) if queue else None
    return None


class SpecFactory:
    """TaskSpecs for the executor: everything a runtime on any host needs."""

    def __init__(
        self,
        snapshots: SnapshotStore,
        notification_server_uri: str,
        server_address: str,
        blob_manager_class: str,
        blob_manager_config: dict[str, Any],
        heartbeat_interval: float,
        stop_timeout: float,
        peers: Callable[[], Sequence[str]] = tuple,
        try_token: Callable[[int], str | None] = lambda _id: None,
        notification_token: str | None = None,
    ) -> None:
        self._snapshots = snapshots
        self._peers = peers
        # With auth_tokens: the token a try presents on the internal RPC (good for that
        # try only), and the one its events carry to the notification server.
        self._try_token = try_token
        self.notification_token = notification_token
        self.notification_server_uri = notification_server_uri
        self.server_address = server_address
        self.blob_manager_class = blob_manager_class
        self.blob_manager_config = blob_manager_config
        self.heartbeat_interval = heartbeat_interval
        self.default_stop_timeout = stop_timeout

    def server_addresses(self) -> str:
        """This server's internal RPC first, then the other live servers': the runtime
        fails over along the list."""
        return ",".join([self.server_address, *self._peers()])

    def stop_timeout(self, snapshot: WorkflowSnapshotRow, task_name: str) -> float:
        """The task's own `stop_timeout`, else the server's `task_stop_timeout`."""
        try:
            task = self._snapshots.plan(snapshot).tasks.get(task_name)
        except PlanError:
            task = None
        if task is not None and task.stop_timeout is not None:
            return float(task.stop_timeout)
        return self.default_stop_timeout

    def spec(
        self,
        te: TaskExecutionRow,
        execution: WorkflowExecutionRow,
        workflow: WorkflowRow,
        snapshot: WorkflowSnapshotRow,
    ) -> TaskSpec:
        return TaskSpec(
            workflow_execution_id=execution.id,
            task_execution_id=te.id,
            task_name=te.task_name,
            sequence_number=te.sequence_number,
            try_number=te.try_number,
            workflow_name=workflow.name,
            namespace=workflow.namespace,
            snapshot=snapshot_files(snapshot),
            notification_server_uri=self.notification_server_uri,
            server_address=self.server_addresses(),
            blob_manager_class=self.blob_manager_class,
            blob_manager_config=dict(self.blob_manager_config),
            heartbeat_interval=self.heartbeat_interval,
            stop_timeout=self.stop_timeout(snapshot, te.task_name),
            queue=task_queue(snapshot, te.task_name),
            server_token=self._try_token(te.id),
            notification_token=self.notification_token,
        )


class StatusSink:
    """Sends the status a try's process can no longer send, under the id the process
    would have used, so whoever sends first, the status is stored once."""

    def __init__(self, notification_server_uri: str, token: str | None = None) -> None:
        self._client = NotificationClient(
            notification_server_uri, sender=SERVER_SENDER, retry_seconds=5.0, token=token
        )

    def report(self, task: TaskContext, status: TaskStatus, error: str | None = None) -> bool:
        try:
            send_status_event(self._client, task, status, error)
        except NotificationError as exc:
            log.error(
                "cannot report %s for task execution %s: %s",
                status.value,
                task.task_execution_id,
                exc,
            )
            return False
        return True

    def latest_offset(self) -> int | None:
        try:
            return self._client.get_latest_offset()
        except NotificationError:
            return None

    def close(self) -> None:
        self._client.close()
