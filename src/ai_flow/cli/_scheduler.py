"""`aiflow scheduler errors`: the events the scheduler skipped, and why.

Not in the docs: a batch that keeps failing is retried event by event, and an event
that fails every time on its own is skipped and recorded, so one bad event cannot halt
scheduling for every namespace.
"""

from __future__ import annotations

import click

from ai_flow import ops
from ai_flow.cli._common import emit_list, output_option

COLUMNS = [
    "event_offset",
    "event_key",
    "namespace",
    "workflow_execution_id",
    "create_time",
    "error",
]


@click.group("scheduler")
def scheduler_group() -> None:
    """The scheduler's own records."""


@scheduler_group.command("errors")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@output_option
def errors(limit: int, fmt: str) -> None:
    """List the events the scheduler skipped because processing them failed, newest first."""
    rows = [e.to_dict() for e in ops.list_scheduler_errors(limit=limit)]
    emit_list(rows, fmt, COLUMNS)
