"""`aiflow event ...`: what the scheduler did with an event (send and list them with
the `notification` command)."""

from __future__ import annotations

import click

from ai_flow import ops
from ai_flow.cli._explain import emit, event_lines, explain_output_option


@click.group("event")
def event_group() -> None:
    """What the scheduler did with events."""


@event_group.command("explain")
@click.argument("offset", type=click.IntRange(1, 2**63 - 1))
@explain_output_option
def explain(offset: int, fmt: str) -> None:
    """Where the event at OFFSET went (executions, triggers, rules, answers, actions),
    or why it went nowhere."""
    emit(ops.explain_event(offset), fmt, event_lines)
