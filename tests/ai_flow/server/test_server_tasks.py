"""Task processes and the AIFlow server: deaths are noticed, survivors are adopted."""

from __future__ import annotations

import os
import signal
import time

import psutil
from aiflow_servers import Servers, wait_until

from ai_flow import ops

VICTIM = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='victim') as workflow:
        BashOperator(name='sleeper', bash_command='sleep 30')
"""

SURVIVOR = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='survivor') as workflow:
        slow = BashOperator(name='slow', bash_command='sleep 3')
        after = BashOperator(name='after', bash_command='echo after')
        after.start_after(slow)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie, waiting to be reaped by this test process, is not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_killed_task_process_fails_its_task_execution(servers: Servers) -> None:
    execution_id = servers.run(VICTIM, "victim")
    servers.wait_tasks(execution_id, {"sleeper": ["RUNNING"]})
    [task] = servers.tasks(execution_id)
    pid = wait_until(lambda: servers.task_row(task.id).pid, what="the task's pid")
    os.killpg(pid, signal.SIGKILL)  # the runtime and its bash: no chance to report
    servers.wait_tasks(execution_id, {"sleeper": ["FAILED"]}, timeout=20)
    assert ops.get_task_execution(task.id).end_date is not None
    servers.wait_execution(execution_id, "FAILED")


def test_a_task_survives_a_server_stop_and_is_adopted_after_restart(servers: Servers) -> None:
    execution_id = servers.run(SURVIVOR, "survivor")
    servers.wait_tasks(execution_id, {"slow": ["RUNNING"]})
    [slow] = servers.tasks(execution_id)
    pid = wait_until(lambda: servers.task_row(slow.id).pid, what="the task's pid")

    servers.stop_aiflow()
    assert _alive(pid), "stopping the server must leave its tasks running"
    time.sleep(0.5)
    assert _alive(pid)

    servers.start_aiflow()
    # The new server watches the old task without calling it dead...
    time.sleep(1.0)
    assert servers.statuses(execution_id) == {"slow": ["RUNNING"]}
    assert _alive(pid)
    # ...records its SUCCESS and carries on with the rules that follow.
    servers.wait_tasks(execution_id, {"slow": ["SUCCESS"], "after": ["SUCCESS"]}, timeout=20)
    assert servers.task_row(slow.id).pid == pid
    servers.wait_execution(execution_id, "SUCCESS")


def test_a_task_that_finishes_while_the_server_is_down_is_recorded(servers: Servers) -> None:
    execution_id = servers.run(SURVIVOR, "survivor")
    servers.wait_tasks(execution_id, {"slow": ["RUNNING"]})
    [slow] = servers.tasks(execution_id)
    pid = wait_until(lambda: servers.task_row(slow.id).pid, what="the task's pid")
    servers.stop_aiflow()
    wait_until(lambda: not _alive(pid), timeout=15, what="the task to finish")
    servers.start_aiflow()
    servers.wait_tasks(execution_id, {"slow": ["SUCCESS"], "after": ["SUCCESS"]}, timeout=20)
    servers.wait_execution(execution_id, "SUCCESS")


BUSY = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='busy') as workflow:
        BashOperator(name='running', bash_command='sleep 60')
        BashOperator(name='queued', bash_command='echo never')
"""


def test_a_stop_is_not_queued_behind_a_start_waiting_for_capacity(servers_factory) -> None:  # noqa: ANN001
    servers: Servers = servers_factory(local_executor_parallelism=1)
    execution_id = servers.run(BUSY, "busy")
    servers.wait_tasks(execution_id, {"running": ["RUNNING"], "queued": ["QUEUED"]})
    ops.stop_task_execution(execution_id, "queued")
    servers.wait_tasks(execution_id, {"queued": ["STOPPED"], "running": ["RUNNING"]})
    ops.stop_task_execution(execution_id, "running")
    servers.wait_tasks(execution_id, {"running": ["STOPPED"]})
    servers.wait_execution(execution_id, "SUCCESS")


STOP_REASONS = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Told(BashOperator):
        def stop(self, context):
            print('stopped because', context.stop_reason, flush=True)
            super().stop(context)

    with Workflow(name='reasons') as workflow:
        by_user = Told(name='by_user', bash_command='sleep 60')
        by_rule = Told(name='by_rule', bash_command='sleep 60')
        by_rule.action_on_event_received(TaskAction.STOP, 'halt')
        by_workflow = Told(name='by_workflow', bash_command='sleep 60')
"""


def test_operators_are_told_why_they_stop(servers: Servers) -> None:
    execution_id = servers.run(STOP_REASONS, "reasons")
    running = {"by_user": ["RUNNING"], "by_rule": ["RUNNING"], "by_workflow": ["RUNNING"]}
    servers.wait_tasks(execution_id, running)
    ops.stop_task_execution(execution_id, "by_user")
    servers.client.send_event("halt", "")
    servers.wait_tasks(execution_id, {"by_user": ["STOPPED"], "by_rule": ["STOPPED"]})
    ops.stop_workflow_execution(execution_id)
    servers.wait_tasks(execution_id, {"by_workflow": ["STOPPED"]})
    logs = servers.home / "logs" / "reasons" / str(execution_id)
    for task, reason in (
        ("by_user", "USER"),
        ("by_rule", "RULE"),
        ("by_workflow", "WORKFLOW_STOP"),
    ):
        assert f"stopped because {reason}" in (logs / task / "1.log").read_text()
    assert {t.stop_reason for t in servers.tasks(execution_id)} == {"USER", "RULE", "WORKFLOW_STOP"}
