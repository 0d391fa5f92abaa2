"""A workflow's executions as a grid: one row per execution (newest first), one column
per task, each cell the task's latest run (its status and sequence number)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ai_flow.metadata import TaskExecutionRow, WorkflowExecutionRow


@dataclass(frozen=True)
class Cell:
    task_execution_id: int
    status: str
    sequence_number: int
    runs: int  # how many runs the task had in this execution


@dataclass(frozen=True)
class GridRow:
    execution: WorkflowExecutionRow
    cells: list[Cell | None]  # None: the task has not run in this execution


@dataclass(frozen=True)
class Grid:
    tasks: list[str]
    rows: list[GridRow]


def build_grid(
    task_names: Sequence[str],
    executions: Sequence[tuple[WorkflowExecutionRow, Sequence[TaskExecutionRow]]],
) -> Grid:
    """Columns: the plan's tasks, then any task only older snapshots had."""
    columns = list(task_names)
    for _execution, runs in executions:
        for run in runs:
            if run.task_name not in columns:
                columns.append(run.task_name)
    rows = []
    for execution, runs in executions:
        latest: dict[str, TaskExecutionRow] = {}
        count: dict[str, int] = {}
        for run in runs:
            count[run.task_name] = count.get(run.task_name, 0) + 1
            known = latest.get(run.task_name)
            if known is None or run.sequence_number >= known.sequence_number:
                latest[run.task_name] = run
        cells: list[Cell | None] = []
        for name in columns:
            last = latest.get(name)
            cells.append(
                None
                if last is None
                else Cell(last.id, last.status, last.sequence_number, count[name])
            )
        rows.append(GridRow(execution, cells))
    return Grid(columns, rows)
