"""Schedules, periodic tasks, retries and timeouts through the real CLI and daemons."""

from __future__ import annotations

import time

import pytest
from af_e2e_helpers import Stack

ONE_TASK = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator
with Workflow(name='scheduled') as workflow:
    BashOperator(name='tick', bash_command='echo tick')
"""

# The docs' periodic-task example with its periods shortened to seconds.
PERIODIC = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator
with Workflow(name='periodic_task_example') as workflow:
    task1 = BashOperator(name='task_1',
                         bash_command='echo I am the 1st task',
                         periodic_expression='interval@0 0 0 2')
    task3 = BashOperator(name='task_3',
                         bash_command='echo I am the 3rd task')
    task3.start_after([task1, ])
"""

FLAKY = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator
with Workflow(name='flaky') as workflow:
    BashOperator(name='third_time_lucky', retries=2, retry_delay=0.2,
                 bash_command='n=$(cat {counter} 2>/dev/null || echo 0); '
                              'echo $((n + 1)) > {counter}; [ "$n" -ge 2 ]')
    BashOperator(name='too_slow', execution_timeout=1, bash_command='sleep 60')
"""


@pytest.fixture
def running(stack: Stack) -> Stack:
    stack.configure()
    stack.start()
    return stack


def _upload(stack: Stack, name: str, source: str) -> None:
    path = stack.tmp / f"{name}.py"
    path.write_text(source)
    stack.ok("workflow", "upload", str(path))


def _executions(stack: Stack, workflow: str) -> list[dict]:
    return stack.json("workflow-execution", "list", workflow)


def _wait(predicate, timeout: float = 30.0, what: str = "condition") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def test_interval_schedule_fires_pauses_resumes_and_is_deleted(running: Stack) -> None:
    _upload(running, "scheduled", ONE_TASK)
    bad = running.aiflow("workflow-schedule", "add", "scheduled", "every 2 seconds")
    assert bad.returncode == 1 and "interval@" in bad.stderr
    assert running.json("workflow-schedule", "list", "scheduled") == []  # nothing stored

    running.ok("workflow-schedule", "add", "scheduled", "interval@0 0 0 2")
    (schedule,) = running.json("workflow-schedule", "list", "scheduled")
    _wait(lambda: len(_executions(running, "scheduled")) >= 2, what="two fires")
    assert {e["execution_type"] for e in _executions(running, "scheduled")} == {"PERIODIC"}

    running.ok("workflow-schedule", "pause", str(schedule["id"]))
    time.sleep(0.5)  # a fire already being committed may still land
    paused_count = len(_executions(running, "scheduled"))
    time.sleep(4.5)
    assert len(_executions(running, "scheduled")) == paused_count

    running.ok("workflow-schedule", "resume", str(schedule["id"]))
    _wait(lambda: len(_executions(running, "scheduled")) > paused_count, what="a fire")

    running.ok("workflow-schedule", "delete", str(schedule["id"]), "-y")
    assert running.json("workflow-schedule", "list", "scheduled") == []
    time.sleep(0.5)
    deleted_count = len(_executions(running, "scheduled"))
    time.sleep(4.5)
    assert len(_executions(running, "scheduled")) == deleted_count


def test_periodic_task_and_its_downstream_run_on_every_period(running: Stack) -> None:
    _upload(running, "periodic_task_example", PERIODIC)
    out = running.ok("workflow-execution", "start", "periodic_task_example")
    execution_id = out.split(":")[1].split()[0]

    def runs(task: str) -> list[dict]:
        tasks = running.json("task-execution", "list", execution_id)
        return [t for t in tasks if t["task_name"] == task and t["status"] == "SUCCESS"]

    _wait(lambda: len(runs("task_3")) >= 2, timeout=40, what="task_3 twice")
    assert len(runs("task_1")) >= 2
    execution = running.json("workflow-execution", "show", execution_id)
    assert execution["status"] == "RUNNING"  # periodic: runs until stopped
    running.ok("workflow-execution", "stop", execution_id)
    _wait(
        lambda: running.json("workflow-execution", "show", execution_id)["status"] == "STOPPED",
        what="stopped",
    )


def test_retried_task_succeeds_on_third_try_and_timeout_fails(running: Stack) -> None:
    _upload(running, "flaky", FLAKY.format(counter=running.tmp / "counter"))
    out = running.ok("workflow-execution", "start", "flaky")
    execution_id = int(out.split(":")[1].split()[0])
    execution = running.wait_finished(execution_id, timeout=60)
    tasks = {t["task_name"]: t for t in running.json("task-execution", "list", str(execution_id))}
    lucky = running.json("task-execution", "show", str(tasks["third_time_lucky"]["id"]))
    assert (lucky["status"], lucky["try_number"], lucky["sequence_number"]) == ("SUCCESS", 3, 1)
    slow = running.json("task-execution", "show", str(tasks["too_slow"]["id"]))
    assert slow["status"] == "FAILED"
    assert "timed out" in (slow["error"] or "")
    assert execution["status"] == "FAILED"
