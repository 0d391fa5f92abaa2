"""What /metrics reads from the database at scrape time (the counters live in memory)."""

from __future__ import annotations

from dataclasses import dataclass

from ai_flow.app._context import App
from ai_flow.evaluator import ERROR_STATE
from ai_flow.metadata import commands, rule_state
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.status import TASK_ALIVE_STATUSES


@dataclass(frozen=True)
class Gauges:
    commands_pending: int
    tasks_alive: dict[str, int]  # by status (QUEUED, RUNNING, ...)
    rule_errors: int


def scheduler_gauges(app: App) -> Gauges:
    with app.read() as s:
        return Gauges(
            commands.count_pending(s),
            tasks.count_by_status(s, sorted(x.value for x in TASK_ALIVE_STATUSES)),
            rule_state.count_errors(s, ERROR_STATE),
        )
