"""Workflow snapshots: an immutable uploaded source plus artifacts that executions run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import WorkflowExecutionRow, WorkflowSnapshotRow
from ai_flow.metadata._util import page, rowcount
from ai_flow.metadata.errors import ConflictError, NotFoundError
from ai_flow.metadata.workflows import get_workflow_by_id
from notification_service.util.clock import now_ms


def compute_signature(source: bytes, artifacts: Sequence[Mapping[str, Any]]) -> str:
    """sha256 over the source and the (name, uri) of each artifact, order-independent."""
    digest = hashlib.sha256(source)
    pairs = sorted((a["name"], a["uri"]) for a in artifacts)
    digest.update(json.dumps(pairs).encode())
    return digest.hexdigest()


def create_snapshot(
    session: Session,
    workflow_id: int,
    *,
    file_name: str,
    uri: str,
    signature: str,
    description: dict[str, Any],
    artifacts: Sequence[Mapping[str, Any]] = (),
) -> WorkflowSnapshotRow:
    """Store a snapshot and make it the workflow's latest. Artifacts are
    `{"name", "uri"}` plus `"directory": true` for a directory stored as a zip."""
    workflow = get_workflow_by_id(session, workflow_id)
    now = now_ms()
    row = WorkflowSnapshotRow(
        workflow_id=workflow_id,
        file_name=file_name,
        uri=uri,
        artifacts=[
            {
                "name": a["name"],
                "uri": a["uri"],
                **({"directory": True} if a.get("directory") else {}),
            }
            for a in artifacts
        ],
        signature=signature,
        description=description,
        create_time=now,
    )
    session.add(row)
    session.flush()
    workflow.latest_snapshot_id = row.id
    workflow.update_time = now
    session.flush()
    return row


def get_snapshot(session: Session, snapshot_id: int) -> WorkflowSnapshotRow:
    row = session.get(WorkflowSnapshotRow, snapshot_id)
    if row is None:
        raise NotFoundError(f"workflow snapshot {snapshot_id} does not exist")
    return row


def list_snapshots(
    session: Session, workflow_id: int, limit: int | None = None, offset: int | None = None
) -> list[WorkflowSnapshotRow]:
    """Newest first."""
    stmt = (
        select(WorkflowSnapshotRow)
        .where(WorkflowSnapshotRow.workflow_id == workflow_id)
        .order_by(WorkflowSnapshotRow.id.desc())
    )
    return list(session.scalars(page(stmt, limit, offset)))


def delete_snapshot(session: Session, snapshot_id: int) -> None:
    """Delete a snapshot no execution ran; the workflow's latest falls back to the previous."""
    row = get_snapshot(session, snapshot_id)
    _refuse_if_used(session, WorkflowExecutionRow.snapshot_id == snapshot_id, str(snapshot_id))
    workflow = get_workflow_by_id(session, row.workflow_id)
    session.execute(delete(WorkflowSnapshotRow).where(WorkflowSnapshotRow.id == snapshot_id))
    if workflow.latest_snapshot_id == snapshot_id:
        workflow.latest_snapshot_id = session.scalar(
            select(func.max(WorkflowSnapshotRow.id)).where(
                WorkflowSnapshotRow.workflow_id == workflow.id
            )
        )
    session.flush()


def delete_snapshots(session: Session, workflow_id: int) -> int:
    """Delete every snapshot of the workflow (refused while executions exist); the count."""
    workflow = get_workflow_by_id(session, workflow_id)
    _refuse_if_used(
        session, WorkflowExecutionRow.workflow_id == workflow_id, f"of workflow {workflow_id}"
    )
    result = session.execute(
        delete(WorkflowSnapshotRow).where(WorkflowSnapshotRow.workflow_id == workflow_id)
    )
    workflow.latest_snapshot_id = None
    session.flush()
    return rowcount(result)


def _refuse_if_used(session: Session, where: Any, what: str) -> None:
    # Executions cascade from their snapshot; deleting it would silently drop history.
    used = session.scalar(select(func.count()).select_from(WorkflowExecutionRow).where(where))
    if used:
        raise ConflictError(f"workflow snapshot {what} is used by {used} execution(s)")
