"""Events the scheduler skipped (see ai_flow.scheduler's poison-event handling)."""

from __future__ import annotations

from ai_flow.app._context import App
from ai_flow.metadata import SchedulerErrorRow, scheduler_errors


def list_scheduler_errors(
    app: App, limit: int | None, offset: int | None
) -> list[SchedulerErrorRow]:
    with app.read() as s:
        return scheduler_errors.list_errors(s, limit=limit, offset=offset)
