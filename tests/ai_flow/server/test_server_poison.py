"""One event that cannot be processed does not halt scheduling: it is skipped, recorded
and listed (`aiflow scheduler errors`), and the events after it are acted on."""

from __future__ import annotations

import json

import pytest
from aiflow_servers import Servers
from click.testing import CliRunner

from ai_flow import ops
from ai_flow.cli import cli
from ai_flow.scheduler import EventProcessor

AFTER = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='after_poison') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        later = BashOperator(name='later', bash_command='echo still scheduling')
        later.action_on_event_received(TaskAction.START, 'after')
        # Expected, so the scheduler reads it (it reads no event nobody expects).
        never = BashOperator(name='never', bash_command='echo never')
        never.action_on_event_received(TaskAction.START, 'poison')
"""


def test_a_poison_event_is_skipped_recorded_and_listed(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    process_one = EventProcessor._process_one

    def failing(self, batch, index, event, lookup):  # noqa: ANN001, ANN202
        if event.key == "poison":
            raise ValueError(f"event {event.offset} breaks the processor")
        return process_one(self, batch, index, event, lookup)

    monkeypatch.setattr(EventProcessor, "_process_one", failing)
    execution_id = servers.run(AFTER, "after_poison")
    servers.wait_tasks(execution_id, {"keeper": ["RUNNING"]})
    poison = servers.client.send_event("poison", "x")
    servers.client.send_event("after", "y")
    servers.wait_tasks(execution_id, {"later": ["SUCCESS"]}, timeout=60)
    [error] = ops.list_scheduler_errors()
    assert (error.event_offset, error.event_key, error.namespace) == (
        poison.offset,
        "poison",
        "default",
    )
    assert error.error.startswith(f"ValueError: event {poison.offset} breaks the processor (at ")

    result = CliRunner().invoke(
        cli, ["--server", ops._client.server_address(), "scheduler", "errors", "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.output)
    assert listed["event_offset"] == poison.offset and listed["event_key"] == "poison"
    ops.stop_workflow_execution(execution_id)
