"""Workflows: a named entry in a namespace pointing at its latest snapshot."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import WorkflowRow
from ai_flow.metadata._util import page
from ai_flow.metadata.errors import AlreadyExistsError, NotFoundError
from ai_flow.metadata.namespaces import get_namespace
from notification_service.util.clock import now_ms


def create_workflow(
    session: Session, namespace: str, name: str, is_enabled: bool = True
) -> WorkflowRow:
    get_namespace(session, namespace)
    if find_workflow(session, namespace, name) is not None:
        raise AlreadyExistsError(f"workflow {namespace}.{name} already exists")
    now = now_ms()
    row = WorkflowRow(
        namespace=namespace, name=name, is_enabled=is_enabled, create_time=now, update_time=now
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyExistsError(f"workflow {namespace}.{name} already exists") from None
    return row


def find_workflow(session: Session, namespace: str, name: str) -> WorkflowRow | None:
    stmt = select(WorkflowRow).where(WorkflowRow.namespace == namespace, WorkflowRow.name == name)
    return session.scalars(stmt).one_or_none()


def get_workflow(session: Session, namespace: str, name: str) -> WorkflowRow:
    row = find_workflow(session, namespace, name)
    if row is None:
        raise NotFoundError(f"workflow {namespace}.{name} does not exist")
    return row


def get_workflow_by_id(session: Session, workflow_id: int) -> WorkflowRow:
    row = session.get(WorkflowRow, workflow_id)
    if row is None:
        raise NotFoundError(f"workflow {workflow_id} does not exist")
    return row


def list_workflows(
    session: Session, namespace: str, limit: int | None = None, offset: int | None = None
) -> list[WorkflowRow]:
    stmt = select(WorkflowRow).where(WorkflowRow.namespace == namespace).order_by(WorkflowRow.name)
    return list(session.scalars(page(stmt, limit, offset)))


def set_workflow_enabled(session: Session, namespace: str, name: str, enabled: bool) -> WorkflowRow:
    row = get_workflow(session, namespace, name)
    row.is_enabled = enabled
    row.update_time = now_ms()
    session.flush()
    return row


def delete_workflow(session: Session, namespace: str, name: str) -> None:
    """Delete the workflow with its snapshots, executions, schedules, triggers and state."""
    row = get_workflow(session, namespace, name)
    session.execute(delete(WorkflowRow).where(WorkflowRow.id == row.id))
    # Rows removed by ON DELETE CASCADE may still sit in the identity map.
    session.expire_all()
