"""Workflow triggers: serialised workflow rules that start executions on events."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import WorkflowRow, WorkflowSnapshotRow, WorkflowTriggerRow
from ai_flow.metadata._util import page, rowcount
from ai_flow.metadata.errors import NotFoundError
from ai_flow.metadata.workflows import get_workflow_by_id
from notification_service.util.clock import now_ms


def create_trigger(
    session: Session, workflow_id: int, rule: str, *, is_paused: bool = False
) -> WorkflowTriggerRow:
    """`rule` is the serialised WorkflowRule (its format belongs to the scheduler)."""
    get_workflow_by_id(session, workflow_id)
    row = WorkflowTriggerRow(
        workflow_id=workflow_id, rule=rule, is_paused=is_paused, create_time=now_ms()
    )
    session.add(row)
    session.flush()
    return row


def get_trigger(session: Session, trigger_id: int) -> WorkflowTriggerRow:
    row = session.get(WorkflowTriggerRow, trigger_id)
    if row is None:
        raise NotFoundError(f"workflow trigger {trigger_id} does not exist")
    return row


def list_triggers(
    session: Session, workflow_id: int, limit: int | None = None, offset: int | None = None
) -> list[WorkflowTriggerRow]:
    stmt = (
        select(WorkflowTriggerRow)
        .where(WorkflowTriggerRow.workflow_id == workflow_id)
        .order_by(WorkflowTriggerRow.id)
    )
    return list(session.scalars(page(stmt, limit, offset)))


def list_rules(session: Session) -> list[str]:
    """The stored rule of every trigger, paused or not, of any workflow."""
    return list(session.scalars(select(WorkflowTriggerRow.rule)))


def list_active_in_namespace(
    session: Session, namespace: str
) -> list[tuple[WorkflowTriggerRow, WorkflowRow, WorkflowSnapshotRow]]:
    """Unpaused triggers of the enabled workflows of `namespace`, with the workflow and
    its latest snapshot, by id."""
    stmt = (
        select(WorkflowTriggerRow, WorkflowRow, WorkflowSnapshotRow)
        .join(WorkflowRow, WorkflowRow.id == WorkflowTriggerRow.workflow_id)
        .join(WorkflowSnapshotRow, WorkflowSnapshotRow.id == WorkflowRow.latest_snapshot_id)
        .where(
            WorkflowTriggerRow.is_paused.is_(False),
            WorkflowRow.is_enabled.is_(True),
            WorkflowRow.namespace == namespace,
        )
        .order_by(WorkflowTriggerRow.id)
    )
    return [(t, wf, snap) for t, wf, snap in session.execute(stmt)]


def set_trigger_paused(session: Session, trigger_id: int, paused: bool) -> WorkflowTriggerRow:
    row = get_trigger(session, trigger_id)
    row.is_paused = paused
    session.flush()
    return row


def delete_trigger(session: Session, trigger_id: int) -> None:
    get_trigger(session, trigger_id)
    session.execute(delete(WorkflowTriggerRow).where(WorkflowTriggerRow.id == trigger_id))
    session.expire_all()


def delete_triggers(session: Session, workflow_id: int) -> int:
    """Delete every trigger of the workflow (and their rule state); the number deleted."""
    get_workflow_by_id(session, workflow_id)
    result = session.execute(
        delete(WorkflowTriggerRow).where(WorkflowTriggerRow.workflow_id == workflow_id)
    )
    session.expire_all()
    return rowcount(result)
