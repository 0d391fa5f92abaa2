"""Which namespace a row belongs to, for access checks on calls that name it by id."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowScheduleRow,
    WorkflowSnapshotRow,
    WorkflowTriggerRow,
)

Kind = Literal["snapshot", "workflow_execution", "task_execution", "schedule", "trigger"]

_BY_WORKFLOW = {
    "snapshot": WorkflowSnapshotRow,
    "workflow_execution": WorkflowExecutionRow,
    "schedule": WorkflowScheduleRow,
    "trigger": WorkflowTriggerRow,
}


def namespace_of(session: Session, kind: Kind, row_id: int) -> str | None:
    """The namespace of the `kind` row `row_id`; None when there is no such row."""
    if kind == "task_execution":
        query = (
            select(WorkflowRow.namespace)
            .join(WorkflowExecutionRow, WorkflowExecutionRow.workflow_id == WorkflowRow.id)
            .join(
                TaskExecutionRow,
                TaskExecutionRow.workflow_execution_id == WorkflowExecutionRow.id,
            )
            .where(TaskExecutionRow.id == row_id)
        )
    else:
        table = _BY_WORKFLOW[kind]
        query = (
            select(WorkflowRow.namespace)
            .join(table, table.workflow_id == WorkflowRow.id)  # type: ignore[attr-defined]
            .where(table.id == row_id)  # type: ignore[attr-defined]
        )
    return session.execute(query).scalar_one_or_none()
