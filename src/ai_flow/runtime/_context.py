"""Who is running: the identity of the current task execution, for user code."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Protocol

from ai_flow.model.internal.memory_context import MemoryContext
from ai_flow.model.stop_reason import StopReason
from ai_flow.runtime import environment

if TYPE_CHECKING:  # annotations only: the engines' HTTP clients load with a job
    from ai_flow.engines import ExternalJob


@dataclass(frozen=True)
class TaskContext:
    """Identity of one task execution; set by the runtime, read by AIFlowNotificationClient."""

    namespace: str
    workflow_name: str
    task_name: str
    workflow_execution_id: int
    task_execution_id: int
    sequence_number: int
    try_number: int
    notification_server_uri: str | None = None
    #: What AIFlowNotificationClient presents to a notification server with auth_tokens.
    notification_token: str | None = None

    @property
    def sender(self) -> str:
        """Sender of events the task's user code sends."""
        return f"{self.workflow_name}.{self.task_name}"

    def event_context(self) -> str:
        """Context of user events: lets the scheduler route them to this execution."""
        return json.dumps(
            {
                "workflow_execution_id": self.workflow_execution_id,
                "task_execution_id": self.task_execution_id,
                "task_name": self.task_name,
            }
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TaskContext:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("a task context is a JSON object")
        # Fields a newer runtime added are left out (as TaskSpec.from_json does).
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class JobRecorder(Protocol):
    """Where a try's engine jobs and savepoints are recorded (the server, over the RPC)."""

    def __call__(
        self,
        *,
        external_job: str | None = None,
        savepoint: str | None = None,
        job_ended: bool = False,
    ) -> bool: ...


class TaskRuntimeContext(MemoryContext):
    """The Context handed to operators: in-memory state plus the task's identity.

    ``stop_reason`` is set before ``operator.stop(context)`` is called: why the task is
    asked to stop (a StopReason, or None if the server could not say).
    ``last_savepoint`` is the savepoint the latest earlier run of this task in the
    workflow execution took (None if none did).

    Operators that run jobs on engines record them here as soon as they know them
    (``record_external_job``), and say when they saw them end (``external_job_ended``):
    a job whose try dies without saying so is cancelled by the server.
    """

    def __init__(
        self,
        task: TaskContext,
        recorder: JobRecorder | None = None,
        last_savepoint: str | None = None,
    ):
        super().__init__()
        self.task = task
        self.stop_reason: StopReason | None = None
        self.last_savepoint = last_savepoint
        self._recorder = recorder
        self.external_job: ExternalJob | None = None

    def record_external_job(self, job: ExternalJob) -> None:
        self.external_job = job
        if self._recorder is not None:
            self._recorder(external_job=job.to_json())

    def external_job_ended(self) -> None:
        if self._recorder is not None and self.external_job is not None:
            self._recorder(job_ended=True)

    def record_savepoint(self, path: str) -> None:
        self.last_savepoint = path
        if self._recorder is not None:
            self._recorder(savepoint=path)


_lock = threading.Lock()
_current: TaskContext | None = None


def set_current_task_context(context: TaskContext | None) -> None:
    """Install ``context`` for this process and the processes it spawns."""
    global _current
    with _lock:
        _current = context
    if context is not None:
        environment.export_task_context_json(context.to_json())


def current_task_context() -> TaskContext | None:
    """The task context of this process (set in-process or inherited), None outside a task."""
    with _lock:
        if _current is not None:
            return _current
    raw = environment.read_task_context_json()
    if raw is None:
        return None
    try:
        return TaskContext.from_json(raw)
    except (ValueError, TypeError):
        return None  # a foreign or stale value: behave as outside a task
