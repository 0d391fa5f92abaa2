"""Rules on events, driven with events made by the test (no server, no tasks): per task
the first rule whose condition is met wins, an event sent from inside a task affects
only its own execution, a disabled workflow's executions start nothing new from rules,
START starts nothing while a run is alive, and an execution is SUCCESS only once every
task has run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from schedenv import SchedEnv

from ai_flow.app import executions, workflows
from ai_flow.metadata import read_session
from ai_flow.metadata import task_executions as tasks

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='rules') as workflow:
        BashOperator(name='once', bash_command='true')
        t = BashOperator(name='t', bash_command='true')
        t.action_on_event_received(TaskAction.START, 'go')
        t.action_on_event_received(TaskAction.STOP, 'go')
"""


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path_factory.mktemp("rules"))
    env.upload(WORKFLOW)
    yield env
    env.close()


@pytest.fixture
def env(uploaded: SchedEnv) -> Iterator[SchedEnv]:
    yield uploaded
    workflows.set_workflow_enabled(uploaded.app, "default", "rules", True)
    running, _ = executions.list_executions(uploaded.app, "default", "rules", None, None)
    for execution in running:
        if execution.status == "RUNNING":
            executions.stop_execution(uploaded.app, execution.id)


def runs(env: SchedEnv, execution_id: int, task: str) -> list[str]:
    with read_session(env.factory) as s:
        rows = tasks.list_task_executions(s, execution_id)
    return [r.status for r in sorted(rows, key=lambda r: r.sequence_number) if r.task_name == task]


def status(env: SchedEnv, execution_id: int) -> str:
    return executions.get_execution(env.app, execution_id)[0].status


def test_the_first_rule_met_wins(env: SchedEnv) -> None:
    execution_id = env.start("rules")
    env.commit([env.event("go")])  # START (rule 0) and STOP (rule 1) are both met
    assert runs(env, execution_id, "t") == ["QUEUED"]


def test_an_event_of_one_execution_reaches_no_other(env: SchedEnv) -> None:
    first, second = env.start("rules"), env.start("rules")
    env.commit([env.event("go", execution_id=second)])
    assert runs(env, first, "t") == []
    assert runs(env, second, "t") == ["QUEUED"]


def test_a_disabled_workflow_starts_no_run_from_its_rules(env: SchedEnv) -> None:
    execution_id = env.start("rules")
    workflows.set_workflow_enabled(env.app, "default", "rules", False)
    env.commit([env.event("go")])
    assert runs(env, execution_id, "t") == []
    workflows.set_workflow_enabled(env.app, "default", "rules", True)
    env.commit([env.event("go")])
    assert runs(env, execution_id, "t") == ["QUEUED"]


def test_start_starts_nothing_while_a_run_is_alive(env: SchedEnv) -> None:
    execution_id = env.start("rules")
    env.commit([env.event("go")])
    env.commit([env.event("go")])
    assert runs(env, execution_id, "t") == ["QUEUED"]


def test_an_execution_with_a_task_that_never_ran_stays_running(env: SchedEnv) -> None:
    execution_id = env.start("rules")
    env.commit([env.status(execution_id, "rules", "once", "SUCCESS")])
    assert env.statuses(execution_id) == {"once": "SUCCESS"}
    assert status(env, execution_id) == "RUNNING"  # a rule may still start t
    env.commit([env.event("go", execution_id=execution_id)])
    env.commit([env.status(execution_id, "rules", "t", "SUCCESS")])
    assert status(env, execution_id) == "SUCCESS"
