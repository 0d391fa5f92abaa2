"""How many rows each listing pages through, for APIs that report `total_entries`.

Each count uses the same filter as the listing it totals (namespaces.list_namespaces,
workflows.list_workflows, ...), so a page and its total agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import (
    NamespaceRow,
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowScheduleRow,
    WorkflowSnapshotRow,
    WorkflowTriggerRow,
)


def _count(session: Session, column: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count(column)).where(*where)) or 0)


def count_namespaces(session: Session) -> int:
    return _count(session, NamespaceRow.name)


def count_workflows(session: Session, namespace: str) -> int:
    return _count(session, WorkflowRow.id, WorkflowRow.namespace == namespace)


def count_snapshots(session: Session, workflow_id: int) -> int:
    return _count(session, WorkflowSnapshotRow.id, WorkflowSnapshotRow.workflow_id == workflow_id)


def count_executions(session: Session, workflow_id: int) -> int:
    return _count(session, WorkflowExecutionRow.id, WorkflowExecutionRow.workflow_id == workflow_id)


def count_task_executions(session: Session, workflow_execution_id: int) -> int:
    return _count(
        session,
        TaskExecutionRow.id,
        TaskExecutionRow.workflow_execution_id == workflow_execution_id,
    )


def count_schedules(session: Session, workflow_id: int) -> int:
    return _count(session, WorkflowScheduleRow.id, WorkflowScheduleRow.workflow_id == workflow_id)


def count_triggers(session: Session, workflow_id: int) -> int:
    return _count(session, WorkflowTriggerRow.id, WorkflowTriggerRow.workflow_id == workflow_id)
