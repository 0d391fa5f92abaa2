"""The README's "Scheduling semantics" rules that had no test of their own, one test per
rule (its docstring is the rule), driven with events made by the test against a real
metadata database and no task process (tests/ai_flow/scheduler/schedenv.py). Each is
named in tests/ai_flow/test_readme_rules.py and killed by a mutant in
tools/mutations.yaml."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from schedenv import SchedEnv

from ai_flow.app import executions, workflows
from ai_flow.metadata import read_session
from ai_flow.metadata import task_executions as tasks
from ai_flow.scheduler._interest import STATUS_PREFIX, interest
from notification_service.model import Event

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='sem') as workflow:
        BashOperator(name='auto', bash_command='true')
        t = BashOperator(name='t', bash_command='true')
        t.action_on_event_received(TaskAction.START, 'go')
        t.action_on_event_received(TaskAction.STOP, 'halt')
        t.action_on_event_received(TaskAction.RESTART, 'again')
"""


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path_factory.mktemp("semantics"))
    env.upload(WORKFLOW)
    yield env
    env.close()


@pytest.fixture
def env(uploaded: SchedEnv) -> Iterator[SchedEnv]:
    """One upload for the module; each test starts its own executions and stops them."""
    yield uploaded
    workflows.set_workflow_enabled(uploaded.app, "default", "sem", True)
    running, _ = executions.list_executions(uploaded.app, "default", "sem", None, None)
    for execution in running:
        if execution.status == "RUNNING":
            executions.stop_execution(uploaded.app, execution.id)


def runs(env: SchedEnv, execution_id: int, task: str) -> list[tuple[int, str, str | None]]:
    """(sequence number, status, stop reason) of every run of `task`, oldest first."""
    with read_session(env.factory) as s:
        rows = tasks.list_task_executions(s, execution_id, task)
    return [(r.sequence_number, r.status, r.stop_reason) for r in rows]


def status(env: SchedEnv, execution_id: int) -> str:
    return executions.get_execution(env.app, execution_id)[0].status


def test_a_task_without_a_start_rule_starts_with_the_execution(env: SchedEnv) -> None:
    """Tasks with no START rule start with the workflow execution."""
    execution_id = env.start("sem")
    assert env.statuses(execution_id) == {"auto": "QUEUED"}  # t waits for its rule


def test_restart_stops_the_alive_run_and_starts_the_next_sequence_number(env: SchedEnv) -> None:
    """RESTART stops the alive run and starts the next sequence number."""
    execution_id = env.start("sem")
    env.commit([env.event("go")])
    env.commit([env.event("again")])
    assert runs(env, execution_id, "t") == [(1, "STOPPING", "RESTART"), (2, "QUEUED", None)]


def test_stop_stops_the_alive_run(env: SchedEnv) -> None:
    """STOP stops the alive run."""
    execution_id = env.start("sem")
    env.commit([env.event("go")])
    env.commit([env.event("halt")])
    assert runs(env, execution_id, "t") == [(1, "STOPPING", "RULE")]


def test_an_event_from_outside_reaches_every_running_execution_of_its_namespace(
    env: SchedEnv,
) -> None:
    """An event from outside (CLI, another system) reaches every running execution in its
    namespace whose rules expect the key."""
    first, second = env.start("sem"), env.start("sem")
    env.commit([env.event("go")])  # no execution in its context
    assert runs(env, first, "t") == [(1, "QUEUED", None)]
    assert runs(env, second, "t") == [(1, "QUEUED", None)]


def test_events_never_cross_namespaces(env: SchedEnv) -> None:
    """Events never cross namespaces."""
    execution_id = env.start("sem")
    offset = env.event("unused").offset
    env.commit([Event("go", None, "other", "test", None, offset, 0)])
    assert runs(env, execution_id, "t") == []
    env.commit([env.event("go")])  # the same key in its own namespace does start t
    assert runs(env, execution_id, "t") == [(1, "QUEUED", None)]


def test_an_execution_is_running_while_a_task_is_alive(env: SchedEnv) -> None:
    """A workflow execution is RUNNING while a task is alive."""
    execution_id = env.start("sem")
    env.commit([env.event("go", execution_id=execution_id)])
    env.commit([env.status(execution_id, "sem", "auto", "FAILED")])
    assert env.statuses(execution_id) == {"auto": "FAILED", "t": "QUEUED"}
    assert status(env, execution_id) == "RUNNING"
    env.commit([env.status(execution_id, "sem", "t", "SUCCESS")])
    assert status(env, execution_id) == "FAILED"


def test_an_execution_fails_when_no_task_is_alive_and_a_last_run_failed(env: SchedEnv) -> None:
    """FAILED when no task is alive and some task's last run failed."""
    execution_id = env.start("sem")
    env.commit([env.status(execution_id, "sem", "auto", "FAILED")])
    assert status(env, execution_id) == "FAILED"  # t never ran, yet nothing is alive


def test_an_execution_succeeds_when_every_task_ran_and_none_failed(env: SchedEnv) -> None:
    """SUCCESS when every task has run and none failed (a run stopped by a rule counts as
    done)."""
    execution_id = env.start("sem")
    env.commit([env.status(execution_id, "sem", "auto", "SUCCESS")])
    env.commit([env.event("go", execution_id=execution_id)])
    env.commit([env.event("halt", execution_id=execution_id)])
    env.commit([env.status(execution_id, "sem", "t", "STOPPED")])
    assert env.statuses(execution_id) == {"auto": "SUCCESS", "t": "STOPPED"}
    assert status(env, execution_id) == "SUCCESS"


def test_an_execution_is_stopped_when_stopped(env: SchedEnv) -> None:
    """STOPPED when stopped."""
    execution_id = env.start("sem")
    executions.stop_execution(env.app, execution_id)
    assert status(env, execution_id) == "STOPPED"
    assert runs(env, execution_id, "auto") == [(1, "STOPPING", "WORKFLOW_STOP")]


def test_stop_tells_why_in_the_stop_reason(env: SchedEnv) -> None:
    """`stop(context)` finds why in `context.stop_reason` (`RULE`, `RESTART`, `USER`,
    `WORKFLOW_STOP`; `TIMEOUT` and `HEARTBEAT` come from the watch pass, see
    tests/ai_flow/server/test_runner_units.py)."""
    execution_id = env.start("sem")
    env.commit([env.event("go", execution_id=execution_id)])
    env.commit([env.event("again", execution_id=execution_id)])
    env.commit([env.event("halt", execution_id=execution_id)])
    executions.stop_task_execution(env.app, execution_id, "auto")
    assert [r[2] for r in runs(env, execution_id, "t")] == ["RESTART", "RULE"]
    assert runs(env, execution_id, "auto") == [(1, "STOPPING", "USER")]
    other = env.start("sem")
    executions.stop_execution(env.app, other)
    assert runs(env, other, "auto") == [(1, "STOPPING", "WORKFLOW_STOP")]


def test_a_disabled_workflows_runs_already_going_finish_and_are_recorded(env: SchedEnv) -> None:
    """A disabled workflow's runs already going finish and are recorded."""
    execution_id = env.start("sem")
    env.commit([env.event("go", execution_id=execution_id)])
    env.commit([env.status(execution_id, "sem", "auto", "SUCCESS")])
    workflows.set_workflow_enabled(env.app, "default", "sem", False)
    env.commit([env.status(execution_id, "sem", "t", "SUCCESS")])
    assert env.statuses(execution_id) == {"auto": "SUCCESS", "t": "SUCCESS"}
    assert status(env, execution_id) == "SUCCESS"


def test_user_requests_still_work_in_a_disabled_workflow(env: SchedEnv) -> None:
    """User requests still work in a disabled workflow (its rules start nothing)."""
    execution_id = env.start("sem")
    workflows.set_workflow_enabled(env.app, "default", "sem", False)
    env.commit([env.event("go", execution_id=execution_id)])
    assert runs(env, execution_id, "t") == []
    executions.start_task_execution(env.app, execution_id, "t")
    assert runs(env, execution_id, "t") == [(1, "QUEUED", None)]
    executions.stop_task_execution(env.app, execution_id, "t")
    assert runs(env, execution_id, "t") == [(1, "STOPPING", "USER")]


def test_the_scheduler_reads_only_the_keys_something_running_expects(env: SchedEnv) -> None:
    """The scheduler reads only the events something running expects (task statuses, the
    keys of running executions' rules and of triggers): the rest cost it nothing."""
    with read_session(env.factory) as s:
        before = interest(s, env.snapshots)
    env.start("sem")
    with read_session(env.factory) as s:
        after = interest(s, env.snapshots)
    assert before.keys is not None and "go" not in before.keys
    assert after.keys is not None and {"go", "halt", "again"} <= after.keys
    assert "noise" not in after.keys
    assert after.prefixes == [STATUS_PREFIX]  # and every task status


def test_an_execution_hears_every_event_of_its_keys_sent_after_it_started(
    env: SchedEnv,
) -> None:
    """An execution hears every event of its keys sent after it started: its start
    changes the keys version, so a batch read with the old filter commits nothing."""
    with read_session(env.factory) as s:
        before = interest(s, env.snapshots)
    execution_id = env.start("sem")
    with read_session(env.factory) as s:
        assert interest(s, env.snapshots).version != before.version
    env.commit([env.event("go")])  # (SchedEnv.commit reopens as the stream would)
    assert runs(env, execution_id, "t") == [(1, "QUEUED", None)]


def test_an_upload_is_evaluated_in_a_child_process(uploaded: SchedEnv, tmp_path: Path) -> None:
    """**User code never runs in the AIFlow server.** An upload is evaluated in a child
    process and stored with a description the server schedules from."""
    mark = tmp_path / "pid"
    uploaded.upload(
        f"""
        import os
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator

        with open({str(mark)!r}, 'w') as f:
            f.write(str(os.getpid()))
        with Workflow(name='child') as workflow:
            BashOperator(name='only', bash_command='true')
        """
    )
    assert int(mark.read_text()) != os.getpid()
    execution_id = uploaded.start("child")
    mark.unlink()
    assert uploaded.statuses(execution_id) == {"only": "QUEUED"}
    assert not mark.exists()  # scheduled from the stored description, not the file
    executions.stop_execution(uploaded.app, execution_id)


def test_built_in_conditions_run_in_the_server(env: SchedEnv) -> None:
    """Built-in conditions run in the server (no evaluator request)."""
    execution_id = env.start("sem")
    env.requests.clear()
    env.commit([env.event("go"), env.event("halt")])
    assert runs(env, execution_id, "t") == [(1, "STOPPING", "RULE")]
    assert env.requests == []


def test_a_database_outage_is_waited_out_however_long_it_lasts(
    env: SchedEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event that processing fails on every time is skipped, but not for a database
    outage, which is waited out: more failures than the retries before a skip."""
    from sqlalchemy.exc import OperationalError

    from ai_flow.scheduler import EventProcessor

    execution_id = env.start("sem")
    process_one = EventProcessor._process_one
    failures = iter(range(20))  # the retries before a skip are 3 + 3

    def down(self, batch, index, event, lookup):  # noqa: ANN001, ANN202
        if next(failures, None) is not None:
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return process_one(self, batch, index, event, lookup)

    monkeypatch.setattr(EventProcessor, "_process_one", down)
    monkeypatch.setattr(env.scheduler, "_pause", lambda failures: None)
    errors = len(env.errors())
    env.commit([env.event("go")])
    assert runs(env, execution_id, "t") == [(1, "QUEUED", None)]
    assert len(env.errors()) == errors
