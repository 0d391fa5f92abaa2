"""Status events of task executions: one deterministic idempotency id per status.

Event: key ``task_status_event_key(workflow, task)``, value the TaskStatus value,
namespace the workflow's, context JSON naming the execution and the try. Idempotency id
``te:<task_execution_id>:<try_number>:<STATUS>``: whoever sends a status (the task
runtime, or the server on behalf of a try whose process died) the notification service
stores it once.
"""

from __future__ import annotations

import json
import logging
import threading

from ai_flow.model.internal.events import task_status_event_key
from ai_flow.model.status import TaskStatus
from ai_flow.runtime._context import TaskContext
from notification_service.client import NotificationClient, NotificationError
from notification_service.model import Event

log = logging.getLogger(__name__)

TASK_RUNTIME_SENDER = "ai_flow.task_runtime"
#: Sender of the statuses the server reports for tries that cannot (their process died).
SERVER_SENDER = "ai_flow.server"


def status_idempotency_id(task: TaskContext, status: TaskStatus | str) -> str:
    return f"te:{task.task_execution_id}:{task.try_number}:{TaskStatus(status).value}"


def status_event_context(task: TaskContext, error: str | None = None) -> str:
    context: dict[str, object] = {
        "workflow_execution_id": task.workflow_execution_id,
        "task_execution_id": task.task_execution_id,
        "task_name": task.task_name,
        "sequence_number": task.sequence_number,
        "try_number": task.try_number,
    }
    if error:
        context["error"] = error[:2000]  # a message, not a traceback dump
    return json.dumps(context)


def send_status_event(
    client: NotificationClient,
    task: TaskContext,
    status: TaskStatus | str,
    error: str | None = None,
) -> Event:
    """Send (once, whatever the retries) the status event of `task`'s try; the client's
    own sender and namespace are replaced by the task's namespace."""
    status = TaskStatus(status)
    return client.send_event(
        task_status_event_key(task.workflow_name, task.task_name),
        status.value,
        namespace=task.namespace,
        context=status_event_context(task, error),
        idempotency_id=status_idempotency_id(task, status),
    )


class StatusReporter:
    """Reports RUNNING once and exactly one final status, from any thread."""

    def __init__(self, task: TaskContext, client: NotificationClient):
        self.task = task
        self.client = client
        self._lock = threading.Lock()
        self.final: TaskStatus | None = None

    def running(self) -> None:
        with self._lock:
            if self.final is None:
                self._send(TaskStatus.RUNNING)

    def finish(self, status: TaskStatus, error: str | None = None) -> TaskStatus:
        """Send `status` unless a final status was reported already; returns the one
        that stands."""
        with self._lock:
            if self.final is None:
                self.final = status
                self._send(status, error)
            return self.final

    def _send(self, status: TaskStatus, error: str | None = None) -> None:
        try:
            send_status_event(self.client, self.task, status, error)
        except NotificationError as err:
            # The server reports a dead try's status itself, under the same id.
            log.error("could not report %s: %s", status.value, err)
