"""Workflow executions: start, stop, list, show, delete."""

from __future__ import annotations

from ai_flow.ops._client import RPC_TIMEOUT, NotFoundError, build, call
from ai_flow.ops._meta import WorkflowExecutionMeta
from ai_flow.ops._paging import page, ref
from ai_flow.proto import aiflow_pb2 as pb


def start_workflow_execution(workflow_name: str, namespace: str = "default") -> int:
    """Start a new execution of the workflow's latest snapshot; returns its id."""
    msg = call(
        lambda s: s.StartWorkflowExecution(ref(workflow_name, namespace), timeout=RPC_TIMEOUT)
    )
    return msg.id


def stop_workflow_execution(workflow_execution_id: int) -> None:
    """Asynchronously stop the execution and all of its tasks."""
    request = build(pb.IdRequest, id=workflow_execution_id)
    call(lambda s: s.StopWorkflowExecution(request, timeout=RPC_TIMEOUT))


def stop_workflow_executions(workflow_name: str, namespace: str = "default") -> int:
    """Asynchronously stop every running execution of the workflow; returns how many."""
    msg = call(
        lambda s: s.StopWorkflowExecutions(ref(workflow_name, namespace), timeout=RPC_TIMEOUT)
    )
    return msg.count


def get_workflow_execution(workflow_execution_id: int) -> WorkflowExecutionMeta | None:
    try:
        msg = call(
            lambda s: s.GetWorkflowExecution(
                build(pb.IdRequest, id=workflow_execution_id), timeout=RPC_TIMEOUT
            )
        )
    except NotFoundError:
        return None
    return WorkflowExecutionMeta.from_proto(msg)


def list_workflow_executions(
    workflow_name: str,
    namespace: str = "default",
    limit: int | None = None,
    offset: int | None = None,
) -> list[WorkflowExecutionMeta]:
    request = build(
        pb.ListByWorkflowRequest, workflow=ref(workflow_name, namespace), page=page(limit, offset)
    )
    msg = call(lambda s: s.ListWorkflowExecutions(request, timeout=RPC_TIMEOUT))
    return [WorkflowExecutionMeta.from_proto(m) for m in msg.executions]


def delete_workflow_execution(workflow_execution_id: int) -> None:
    """Delete a finished execution with its task executions."""
    request = build(pb.IdRequest, id=workflow_execution_id)
    call(lambda s: s.DeleteWorkflowExecution(request, timeout=RPC_TIMEOUT))
