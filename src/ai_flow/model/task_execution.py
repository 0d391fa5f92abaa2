"""A TaskExecution is one run of a task inside a workflow execution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import TaskStatus


@dataclass
class TaskExecution:
    """Created by the scheduler; ``sequence_number`` counts runs of the task (from 1)."""

    workflow_execution_id: int
    task_name: str
    sequence_number: int
    execution_type: ExecutionType
    begin_date: datetime | None = None
    end_date: datetime | None = None
    status: TaskStatus = TaskStatus.INIT
    id: int | None = None
