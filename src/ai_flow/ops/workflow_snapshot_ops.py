"""Workflow snapshots: the immutable uploads executions run from."""

from __future__ import annotations

from ai_flow.ops._client import RPC_TIMEOUT, NotFoundError, build, call
from ai_flow.ops._meta import WorkflowSnapshotMeta
from ai_flow.ops._paging import page, ref
from ai_flow.proto import aiflow_pb2 as pb


def get_workflow_snapshot(snapshot_id: int) -> WorkflowSnapshotMeta | None:
    try:
        msg = call(
            lambda s: s.GetWorkflowSnapshot(
                build(pb.IdRequest, id=snapshot_id), timeout=RPC_TIMEOUT
            )
        )
    except NotFoundError:
        return None
    return WorkflowSnapshotMeta.from_proto(msg)


def list_workflow_snapshots(
    workflow_name: str,
    namespace: str = "default",
    limit: int | None = None,
    offset: int | None = None,
) -> list[WorkflowSnapshotMeta]:
    request = build(
        pb.ListByWorkflowRequest, workflow=ref(workflow_name, namespace), page=page(limit, offset)
    )
    msg = call(lambda s: s.ListWorkflowSnapshots(request, timeout=RPC_TIMEOUT))
    return [WorkflowSnapshotMeta.from_proto(m) for m in msg.snapshots]


def delete_workflow_snapshot(snapshot_id: int) -> None:
    call(
        lambda s: s.DeleteWorkflowSnapshot(build(pb.IdRequest, id=snapshot_id), timeout=RPC_TIMEOUT)
    )


def delete_workflow_snapshots(workflow_name: str, namespace: str = "default") -> int:
    msg = call(
        lambda s: s.DeleteWorkflowSnapshots(ref(workflow_name, namespace), timeout=RPC_TIMEOUT)
    )
    return msg.count
