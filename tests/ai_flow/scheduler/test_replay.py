"""Replay: a workflow file evaluated against given events, on a scratch database."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from schedenv import SchedEnv

from ai_flow.app.errors import InvalidArgumentError
from ai_flow.app.replay import replay_workflow
from ai_flow.metadata import decisions, read_session
from ai_flow.model.internal.events import task_status_event_key
from notification_service.model import Event

WORKFLOW = textwrap.dedent(
    """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.state import ValueStateDescriptor
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Third(Condition):
        def is_met(self, event, context):
            state = context.get_state(ValueStateDescriptor('n'))
            n = (state.value() or 0) + 1
            state.update(n)
            return n % 3 == 0

    with Workflow(name='r') as workflow:
        keeper = BashOperator(name='keeper', bash_command='sleep 60')
        t = BashOperator(name='t', bash_command='true')
        t.action_on_event_received(TaskAction.START, 'go')
        t.action_on_event_received(TaskAction.STOP, 'halt')
        u = BashOperator(name='u', bash_command='true')
        u.action_on_condition(TaskAction.START, Third(['count']))
    """
)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    yield env
    env.close()


def ev(offset: int, key: str, value: str = "x", context: dict | None = None) -> Event:
    return Event(key, value, "default", "me", json.dumps(context) if context else None, offset, 0)


def keeper_status(offset: int, status: str) -> Event:
    context = {
        "workflow_execution_id": 77,
        "task_execution_id": 999,
        "task_name": "keeper",
        "sequence_number": 1,
        "try_number": 1,
    }
    return ev(offset, task_status_event_key("r", "keeper"), status, context)


def test_replay_prints_the_actions_and_the_final_state(env: SchedEnv) -> None:
    events = [
        keeper_status(11, "RUNNING"),
        ev(12, "go"),
        ev(13, "count"),
        ev(14, "go"),
        ev(15, "count"),
        ev(16, "count"),
        ev(17, "halt"),
        ev(18, "other", context={"workflow_execution_id": 5}),
    ]
    out = replay_workflow(env.app, "r.py", WORKFLOW, "default", from_offset=10, events=events)
    assert out["statuses_from_log"] == ["keeper"]
    assert out["statuses_assumed_success"] == ["t", "u"]
    taken = [
        (a["task"], a["action"], a["event_offset"], a["made_up_status"]) for a in out["actions"]
    ]
    assert taken == [
        ("keeper", "START", None, False),  # with the execution
        ("t", "START", 12, False),
        ("t", "START", 14, False),  # run 1 succeeded at once (assumed), so run 2
        ("u", "START", 16, False),
    ]
    assert out["rule_state"] == {"u#0": {"n": 3}}
    assert out["events_not_heard"] == 1  # sent from inside another execution
    # The server's own metadata saw nothing.
    with read_session(env.factory) as s:
        assert decisions.for_event(s, 12) == []


def test_replay_needs_one_start(env: SchedEnv) -> None:
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        replay_workflow(env.app, "r.py", WORKFLOW, "default", events=[])
    with pytest.raises(InvalidArgumentError, match="has no workflow 'nope'"):
        replay_workflow(env.app, "r.py", WORKFLOW, "default", "nope", from_offset=0, events=[])


def test_replay_from_a_time_with_no_event_only_starts_the_execution(env: SchedEnv) -> None:
    out = replay_workflow(env.app, "r.py", WORKFLOW, "default", from_time=0, events=[])
    assert [(a["task"], a["action"]) for a in out["actions"]] == [("keeper", "START")]
    assert out["events"] == 0 and out["first_offset"] is None
