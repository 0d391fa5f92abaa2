"""Status events of task executions: one deterministic idempotency id per status.

Event: key ``task_status_event_key(workflow, task)``, value the TaskStatus value,
namespace the workflow's, sender ``ai_flow.task_runtime``, context JSON naming the
execution. Idempotency id ``te:<task_execution_id>:<try_number>:<STATUS>``: whoever
sends a status (task process, launcher on its behalf, a retry after a crash) the
notification service stores it once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import replace

from ai_flow.model.internal.events import task_status_event_key
from ai_flow.model.status import TaskStatus
from ai_flow.runtime._files import StatusRecord, read_status, write_status
from ai_flow.runtime._spec import TaskSpec
from notification_service.client import NotificationClient, NotificationError
from notification_service.model import Event

log = logging.getLogger(__name__)

TASK_RUNTIME_SENDER = "ai_flow.task_runtime"


def status_idempotency_id(spec: TaskSpec, status: TaskStatus | str) -> str:
    return f"te:{spec.task_execution_id}:{spec.try_number}:{TaskStatus(status).value}"


def status_event_context(spec: TaskSpec, error: str | None = None) -> str:
    context = {
        "workflow_execution_id": spec.workflow_execution_id,
        "task_execution_id": spec.task_execution_id,
        "task_name": spec.task_name,
        "sequence_number": spec.sequence_number,
        "try_number": spec.try_number,
    }
    if error:
        context["error"] = error[:2000]  # a message, not a traceback dump
    return json.dumps(context)


def status_client(spec: TaskSpec, retry_seconds: float = 60.0) -> NotificationClient:
    """A client tagging events as the task runtime does."""
    return NotificationClient(
        spec.notification_server_uri,
        namespace=spec.namespace,
        sender=TASK_RUNTIME_SENDER,
        retry_seconds=retry_seconds,
    )


def send_status_event(
    client: NotificationClient,
    spec: TaskSpec,
    status: TaskStatus | str,
    error: str | None = None,
) -> Event:
    status = TaskStatus(status)
    return client.send_event(
        task_status_event_key(spec.workflow_name, spec.task_name),
        status.value,
        context=status_event_context(spec, error),
        idempotency_id=status_idempotency_id(spec, status),
    )


def final_status(spec: TaskSpec) -> StatusRecord | None:
    """The final status recorded for this spec's try, None if none was."""
    record = read_status(spec.status_path)
    return record if record is not None and record.try_number == spec.try_number else None


def record_final_status(
    spec: TaskSpec, status: TaskStatus | str, pid: int | None = None, error: str | None = None
) -> StatusRecord:
    """Record ``status`` locally unless a final status (or a later try) was recorded;
    returns the record that stands. Sending is ``report_final_status``'s job."""
    recorded = read_status(spec.status_path)
    if recorded is not None and recorded.try_number > spec.try_number:
        return recorded  # a later try superseded this one: nothing to say about it
    record = final_status(spec)
    if record is None:
        record = StatusRecord(TaskStatus(status), spec.try_number, pid, False, time.time(), error)
        write_status(spec.status_path, record)
    return record


def report_final_status(
    spec: TaskSpec,
    status: TaskStatus | str,
    client: NotificationClient | None = None,
    pid: int | None = None,
    error: str | None = None,
) -> StatusRecord:
    """Record ``status`` locally, then send it; the first recorded final status wins.

    Returns the record of the status actually reported (of a later try, if one ran).

    Writing the file before sending means a process killed in between is found with a
    recorded status, which a later call resends under the same idempotency id.
    """
    record = record_final_status(spec, status, pid, error)
    if record.try_number > spec.try_number:
        return record
    if not record.reported:
        own = client is None
        client = client or status_client(spec, retry_seconds=15.0)
        try:
            send_status_event(client, spec, record.status, record.error)
        finally:
            if own:
                client.close()
        record = replace(record, reported=True)
        write_status(spec.status_path, record)
    return record


class StatusReporter:
    """Reports RUNNING once and exactly one final status, from any thread."""

    def __init__(self, spec: TaskSpec, client: NotificationClient):
        self.spec = spec
        self.client = client
        self._lock = threading.Lock()
        self.final: TaskStatus | None = None

    def running(self) -> None:
        with self._lock:
            if self.final is None:
                self._send(TaskStatus.RUNNING)

    def finish(self, status: TaskStatus, error: str | None = None) -> TaskStatus:
        """Record and send ``status`` unless a final status was reported already."""
        with self._lock:
            if self.final is None:
                try:
                    record = report_final_status(self.spec, status, self.client, os.getpid(), error)
                    self.final = record.status
                except NotificationError as err:
                    # Recorded locally with reported=False: the launcher can resend it.
                    log.error("could not report %s: %s", status.value, err)
                    self.final = status
            return self.final

    def _send(self, status: TaskStatus) -> None:
        try:
            send_status_event(self.client, self.spec, status)
        except NotificationError as err:
            log.error("could not report %s: %s", status.value, err)
