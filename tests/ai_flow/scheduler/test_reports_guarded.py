"""What a task status report does to its task execution (`scheduler/_reports.py`), and
the retries it starts, driven with status events made by the test: the first final
status of a try wins, a report about an earlier try is ignored, a try asked to stop
stays STOPPING, a try being stopped is never retried, `retries=N` gives N retries after
their delay, and rules evaluated on a retried try's report see RETRYING."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from schedenv import SchedEnv

from ai_flow.app import executions
from ai_flow.metadata import commands, read_session
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.internal.events import task_status_event_key
from notification_service.model import Event
from notification_service.util import clock

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.status import TaskStatus
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='r') as workflow:
        BashOperator(name='flaky', bash_command='false', retries=2, retry_delay=30)
        BashOperator(name='once', bash_command='true')
        BashOperator(name='keeper', bash_command='sleep 60')
        on_failure = BashOperator(name='on_failure', bash_command='true')
        on_failure.action_on_task_status(TaskAction.START, {'flaky': TaskStatus.FAILED})
"""


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path_factory.mktemp("reports"))
    env.upload(WORKFLOW)
    yield env
    env.close()


@pytest.fixture
def env(uploaded: SchedEnv) -> Iterator[SchedEnv]:
    """One upload for the module; each test starts its own execution."""
    yield uploaded
    clock.set_clock(None)


def report(env: SchedEnv, execution_id: int, task: str, status: str, try_number: int) -> Event:
    """The status event the task's latest run sends from its try `try_number`."""
    with read_session(env.factory) as s:
        row = tasks.latest_task_execution(s, execution_id, task)
        assert row is not None
        context = {
            "workflow_execution_id": execution_id,
            "task_execution_id": row.id,
            "task_name": task,
            "sequence_number": row.sequence_number,
            "try_number": try_number,
        }
    return Event(
        task_status_event_key("r", task),
        status,
        "default",
        "rt",
        json.dumps(context),
        next(env._offsets),  # noqa: SLF001
        0,
    )


def latest(env: SchedEnv, execution_id: int, task: str):  # noqa: ANN201
    with read_session(env.factory) as s:
        row = tasks.latest_task_execution(s, execution_id, task)
        assert row is not None
        return row


def test_the_first_final_status_of_a_try_wins(env: SchedEnv) -> None:
    execution_id = env.start("r")
    env.commit([report(env, execution_id, "once", "RUNNING", 1)])
    env.commit([report(env, execution_id, "once", "SUCCESS", 1)])
    env.commit([report(env, execution_id, "once", "FAILED", 1)])  # late, e.g. the server's
    assert env.statuses(execution_id)["once"] == "SUCCESS"


def test_a_report_about_an_earlier_try_is_ignored(env: SchedEnv) -> None:
    execution_id = env.start("r")
    env.commit([report(env, execution_id, "flaky", "FAILED", 1)])
    row = latest(env, execution_id, "flaky")
    assert (row.status, row.try_number) == ("RETRYING", 2)
    env.commit([report(env, execution_id, "flaky", "RUNNING", 1)])  # try 1, late
    env.commit([report(env, execution_id, "flaky", "SUCCESS", 1)])
    row = latest(env, execution_id, "flaky")
    assert (row.status, row.try_number) == ("RETRYING", 2)


def test_a_try_asked_to_stop_before_it_came_up_stays_stopping(env: SchedEnv) -> None:
    execution_id = env.start("r")
    executions.stop_task_execution(env.app, execution_id, "once")  # still QUEUED
    assert env.statuses(execution_id)["once"] == "STOPPING"
    env.commit([report(env, execution_id, "once", "RUNNING", 1)])
    assert env.statuses(execution_id)["once"] == "STOPPING"


def test_a_try_being_stopped_that_fails_is_not_retried(env: SchedEnv) -> None:
    execution_id = env.start("r")
    env.commit([report(env, execution_id, "flaky", "RUNNING", 1)])
    executions.stop_task_execution(env.app, execution_id, "flaky")
    env.commit([report(env, execution_id, "flaky", "FAILED", 1)])
    row = latest(env, execution_id, "flaky")
    assert (row.status, row.try_number) == ("FAILED", 1)


def test_retries_give_n_more_tries_each_after_its_delay(env: SchedEnv) -> None:
    now = 5_000_000.0
    clock.set_clock(lambda: now)
    execution_id = env.start("r")
    for try_number in (1, 2):
        env.commit([report(env, execution_id, "flaky", "FAILED", try_number)])
        row = latest(env, execution_id, "flaky")
        assert (row.status, row.try_number) == ("RETRYING", try_number + 1)
        with read_session(env.factory) as s:
            starts = [c for c in commands.pending(s) if c.task_execution_id == row.id]
        # The retry's START waits out retry_delay (30 s).
        assert [c.not_before for c in starts][-1] == int(now * 1000) + 30_000
        with read_session(env.factory) as s:
            assert not [
                c for c in commands.pending(s, now=int(now * 1000)) if c.id == starts[-1].id
            ]
    env.commit([report(env, execution_id, "flaky", "FAILED", 3)])  # the last of 1 + 2 tries
    row = latest(env, execution_id, "flaky")
    assert (row.status, row.try_number) == ("FAILED", 3)


def test_rules_see_retrying_not_failed_while_a_retry_is_left(env: SchedEnv) -> None:
    execution_id = env.start("r")
    env.commit([report(env, execution_id, "flaky", "FAILED", 1)])
    assert "on_failure" not in env.statuses(execution_id)  # downstream waits
    env.commit([report(env, execution_id, "flaky", "FAILED", 2)])
    assert "on_failure" not in env.statuses(execution_id)
    env.commit([report(env, execution_id, "flaky", "FAILED", 3)])  # final
    assert env.statuses(execution_id)["on_failure"] == "QUEUED"
