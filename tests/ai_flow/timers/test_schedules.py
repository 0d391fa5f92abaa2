"""Workflow schedules and periodic tasks, fired by the server's timer loop."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from aiflow_servers import Servers, wait_until
from sqlalchemy import select

from ai_flow import metadata, ops
from ai_flow.metadata import WorkflowExecutionRow, read_session, write_session
from notification_service.util.clock import set_clock

ECHO = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='scheduled') as w:
        BashOperator(name='hello', bash_command='echo hello')
"""


def _add_schedule(servers: Servers, expression: str) -> int:
    with write_session(servers.db()) as s:
        workflow = metadata.workflows.get_workflow(s, "default", "scheduled")
        schedule_id = metadata.schedules.create_schedule(s, workflow.id, expression).id
    servers.aiflow.timers.wake()
    return schedule_id


def _executions(servers: Servers) -> list[WorkflowExecutionRow]:
    with read_session(servers.db()) as s:
        rows = list(s.scalars(select(WorkflowExecutionRow).order_by(WorkflowExecutionRow.id)))
        s.expunge_all()
        return rows


def test_interval_schedule_fires_pauses_resumes_and_is_deleted(servers: Servers) -> None:
    servers.upload(ECHO)
    created = time.time()
    schedule_id = _add_schedule(servers, "interval@0 0 0 2")
    wait_until(lambda: len(_executions(servers)) >= 2, 10, "two scheduled executions")
    first, second = _executions(servers)[:2]
    assert {first.execution_type, second.execution_type} == {"PERIODIC"}
    assert first.begin_date / 1000 >= created + 1.9  # one interval from creation
    assert second.trigger_info["fire_time"] - first.trigger_info["fire_time"] == 2000
    servers.wait_execution(first.id, "SUCCESS")

    with write_session(servers.db()) as s:
        metadata.schedules.set_schedule_paused(s, schedule_id, True)
    paused_count = len(_executions(servers))
    time.sleep(3)
    assert len(_executions(servers)) == paused_count

    with write_session(servers.db()) as s:
        resumed = metadata.schedules.set_schedule_paused(s, schedule_id, False)
        resumed_at = time.time()
        # Continues from now: the pause is not caught up.
        assert resumed.next_fire_time / 1000 >= resumed_at + 1.9
    servers.aiflow.timers.wake()
    wait_until(lambda: len(_executions(servers)) == paused_count + 1, 6, "a fire after resume")

    with write_session(servers.db()) as s:
        metadata.schedules.delete_schedule(s, schedule_id)
    deleted_count = len(_executions(servers))
    time.sleep(2.5)
    assert len(_executions(servers)) == deleted_count


def _utc(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def test_cron_schedule_with_a_movable_clock(servers: Servers) -> None:
    servers.upload(ECHO)
    now = [_utc(2031, 1, 1, 10, 30)]
    set_clock(lambda: now[0])
    try:
        schedule_id = _add_schedule(servers, "cron@0 * * * *")
        timers = servers.aiflow.timers

        def schedule() -> metadata.WorkflowScheduleRow:
            with read_session(servers.db()) as s:
                return metadata.schedules.get_schedule(s, schedule_id)

        assert schedule().next_fire_time == _utc(2031, 1, 1, 11) * 1000
        now[0] = _utc(2031, 1, 1, 10, 59, 59)
        timers.fire_due()
        assert _executions(servers) == []

        now[0] = _utc(2031, 1, 1, 11)
        timers.fire_due()
        timers.fire_due()  # the loop thread may race us: still exactly one
        time.sleep(1.2)  # one more pass of the loop at the same instant
        [first] = _executions(servers)
        assert first.trigger_info["fire_time"] == _utc(2031, 1, 1, 11) * 1000
        assert schedule().next_fire_time == _utc(2031, 1, 1, 12) * 1000

        # Down from 11:00 to 15:30: one run for the missed period, then on schedule.
        now[0] = _utc(2031, 1, 1, 15, 30)
        timers.fire_due()
        time.sleep(1.2)
        runs = _executions(servers)
        assert len(runs) == 2
        assert runs[1].trigger_info["fire_time"] == _utc(2031, 1, 1, 12) * 1000
        assert schedule().next_fire_time == _utc(2031, 1, 1, 16) * 1000
    finally:
        set_clock(None)


PERIODIC = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='periodic_workflow') as w:
        task_1 = BashOperator(name='task_1', bash_command='echo I am the 1st task',
                              periodic_expression='interval@0 0 0 2')
        task_2 = BashOperator(name='task_2', bash_command='echo I am the 2nd task')
        task_3 = BashOperator(name='task_3', bash_command='echo I am the 3rd task')
        task_3.start_after(task_1)
        slow = BashOperator(name='slow', bash_command='sleep 2.5',
                            periodic_expression='interval@0 0 0 1')
"""


def test_periodic_task_runs_on_its_period_and_downstream_after_each_run(
    servers: Servers,
) -> None:
    execution_id = servers.run(PERIODIC, "periodic_workflow")
    servers.wait_tasks(execution_id, {"task_2": ["SUCCESS"]})
    assert "task_1" not in servers.statuses(execution_id)  # first run at its first fire

    def runs_of(name: str) -> list:
        return [t for t in servers.tasks(execution_id) if t.task_name == name]

    wait_until(
        lambda: len([t for t in runs_of("task_3") if t.status == "SUCCESS"]) >= 2,
        15,
        "task_3 after two runs of task_1",
    )
    # Every task has run and none failed, yet periodic tasks keep it RUNNING until stopped.
    assert ops.get_workflow_execution(execution_id).status == "RUNNING"
    ops.stop_workflow_execution(execution_id)
    servers.wait_execution(execution_id, "STOPPED")
    task_1, task_3 = runs_of("task_1"), runs_of("task_3")
    assert [t.execution_type for t in task_1] == ["PERIODIC"] * len(task_1)
    for run_1, run_3 in zip(task_1, task_3, strict=False):
        assert run_3.begin_date >= run_1.end_date  # after each run of task_1
    # A fire while the previous run is alive is skipped: runs of `slow` never overlap.
    slow = runs_of("slow")
    for a, b in zip(slow, slow[1:], strict=False):
        assert a.end_date is not None and b.begin_date >= a.end_date
    # Stopped: no more fires.
    counts = len(servers.tasks(execution_id))
    time.sleep(2.5)
    assert len(servers.tasks(execution_id)) == counts
