"""Task executions: list, show, start, stop."""

from __future__ import annotations

from ai_flow.ops._client import RPC_TIMEOUT, NotFoundError, build, call
from ai_flow.ops._meta import TaskExecutionMeta
from ai_flow.ops._paging import page
from ai_flow.proto import aiflow_pb2 as pb


def get_task_execution(task_execution_id: int) -> TaskExecutionMeta | None:
    try:
        msg = call(
            lambda s: s.GetTaskExecution(
                build(pb.IdRequest, id=task_execution_id), timeout=RPC_TIMEOUT
            )
        )
    except NotFoundError:
        return None
    return TaskExecutionMeta.from_proto(msg)


def list_task_executions(
    workflow_execution_id: int, limit: int | None = None, offset: int | None = None
) -> list[TaskExecutionMeta]:
    request = build(
        pb.ListTaskExecutionsRequest,
        workflow_execution_id=workflow_execution_id,
        page=page(limit, offset),
    )
    msg = call(lambda s: s.ListTaskExecutions(request, timeout=RPC_TIMEOUT))
    return [TaskExecutionMeta.from_proto(m) for m in msg.task_executions]


def start_task_execution(workflow_execution_id: int, task_name: str) -> int:
    """Start a new run of the task unless one is alive; returns the task execution id."""
    request = build(pb.TaskRef, workflow_execution_id=workflow_execution_id, task_name=task_name)
    return call(lambda s: s.StartTaskExecution(request, timeout=RPC_TIMEOUT)).id


def stop_task_execution(workflow_execution_id: int, task_name: str) -> None:
    """Asynchronously stop the task's alive run."""
    request = build(pb.TaskRef, workflow_execution_id=workflow_execution_id, task_name=task_name)
    call(lambda s: s.StopTaskExecution(request, timeout=RPC_TIMEOUT))
