"""A WorkflowExecution is one run of a workflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import WorkflowStatus


@dataclass
class WorkflowExecution:
    """Created by the scheduler when a workflow is started manually, by event or schedule."""

    workflow_id: int
    execution_type: ExecutionType
    begin_date: datetime | None = None
    end_date: datetime | None = None
    status: WorkflowStatus = WorkflowStatus.INIT
    id: int | None = None
