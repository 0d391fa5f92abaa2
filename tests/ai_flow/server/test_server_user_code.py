"""User code never runs in the AIFlow server: workflow files, artifacts, conditions and
triggers run in child processes, one evaluator per snapshot, and whatever they do
(raise, hang, exit, crash, leak) is recorded in the rule's state while scheduling goes on.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from aiflow_servers import Servers, wait_until

from ai_flow import ops
from ai_flow.model.condition import Condition
from ai_flow.model.rule import WorkflowRule

WORKFLOW = """
    from helper import TASK, Gate

    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='versioned') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        BashOperator(name=TASK, bash_command='echo I am ' + TASK)
        gated = BashOperator(name='gated', bash_command='echo gate open')
        gated.action_on_condition(TaskAction.START, Gate(['go']))
"""

HELPER = """
    import os
    from ai_flow.model.condition import Condition

    TASK = {task!r}
    with open(os.path.join({marks!r}, str(os.getpid())), 'a') as f:
        f.write('helper ' + TASK + ' loaded\\n')

    class Gate(Condition):
        def is_met(self, event, context):
            return event.value == TASK
"""


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def test_each_execution_runs_its_own_snapshot_and_its_own_helper(
    servers: Servers, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    executions = {}
    for version, task in (("v1", "alpha"), ("v2", "beta")):
        files = tmp_path / version
        workflow = _write(files, "workflow.py", WORKFLOW)
        helper = _write(files, "helper.py", HELPER.format(task=task, marks=str(marks)))
        ops.upload_workflows(str(workflow), [str(helper)])
        executions[task] = ops.start_workflow_execution("versioned")
    servers.wait_tasks(executions["alpha"], {"alpha": ["SUCCESS"], "keeper": ["RUNNING"]})
    servers.wait_tasks(executions["beta"], {"beta": ["SUCCESS"], "keeper": ["RUNNING"]})
    assert "beta" not in servers.statuses(executions["alpha"])
    assert "alpha" not in servers.statuses(executions["beta"])

    # The same event reaches both: each execution's condition is its own snapshot's.
    servers.client.send_event("go", "beta")
    servers.wait_tasks(executions["beta"], {"gated": ["SUCCESS"]})
    servers.client.send_event("go", "alpha")
    servers.wait_tasks(executions["alpha"], {"gated": ["SUCCESS"]})
    assert servers.statuses(executions["beta"])["gated"] == ["SUCCESS"]

    # Nothing of the user's code ever ran in the server's own process (this one).
    loaders = {int(p.name) for p in marks.iterdir()}
    assert os.getpid() not in loaders
    assert "helper" not in __import__("sys").modules
    for execution_id in executions.values():
        ops.stop_workflow_execution(execution_id)


MISBEHAVING = """
    import ctypes, os, time

    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    HOARD = []

    class Misbehaving(Condition):
        def is_met(self, event, context):
            what = event.value
            if what == 'exit':
                os._exit(7)
            if what == 'crash':
                ctypes.string_at(0)
            if what == 'hang':
                time.sleep(30)
            if what == 'leak':
                HOARD.append(bytearray(60 * 2**20))
            return what == 'open'

    with Workflow(name='misbehaving') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        target = BashOperator(name='target', bash_command='echo opened')
        target.action_on_condition(TaskAction.START, Misbehaving(['poke']))
        good = BashOperator(name='good', bash_command='echo fine')
        good.action_on_event_received(TaskAction.START, 'poke')
"""


@pytest.mark.parametrize(
    ("what", "error"),
    [
        ("exit", "the evaluator process exited with code 7"),
        ("crash", "the evaluator process was killed by SIGSEGV"),
        ("hang", "condition timed out after 1s"),
    ],
)
def test_a_condition_that_kills_its_process_is_recorded_and_replaced(
    servers_factory,
    what: str,
    error: str,  # noqa: ANN001
) -> None:
    servers: Servers = servers_factory(condition_timeout=1)
    execution_id = servers.run(MISBEHAVING, "misbehaving")
    servers.wait_tasks(execution_id, {"keeper": ["RUNNING"]})
    servers.client.send_event("poke", "nothing")
    servers.wait_tasks(execution_id, {"good": ["SUCCESS"]})
    [first] = servers.aiflow.evaluators.running().values()

    servers.client.send_event("poke", what)
    servers.wait_tasks(execution_id, {"good": ["SUCCESS", "SUCCESS"]})
    assert servers.rule_states(execution_id)[("target#0", "__error__")] == error
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE

    # A fresh evaluator answers the next event, and the rule still works.
    servers.client.send_event("poke", "open")
    servers.wait_tasks(execution_id, {"target": ["SUCCESS"], "good": ["SUCCESS"] * 3})
    [second] = servers.aiflow.evaluators.running().values()
    assert second != first
    ops.stop_workflow_execution(execution_id)


def test_a_leaking_condition_is_recycled_not_the_server(servers: Servers) -> None:
    servers.aiflow.evaluators.max_rss = 200 * 2**20
    server_rss = psutil.Process().memory_info().rss
    execution_id = servers.run(MISBEHAVING, "misbehaving")
    servers.wait_tasks(execution_id, {"keeper": ["RUNNING"]})
    pids = set()
    for n in range(6):
        servers.client.send_event("poke", "leak")
        servers.wait_tasks(execution_id, {"good": ["SUCCESS"] * (n + 1)})
        pids.update(servers.aiflow.evaluators.running().values())
    assert len(pids) >= 2  # recycled once it outgrew its cap (300+ MB were asked for)
    assert psutil.Process().memory_info().rss - server_rss < 100 * 2**20
    ops.stop_workflow_execution(execution_id)


SLOW = """
    import os, time

    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Slow(Condition):
        def is_met(self, event, context):
            open({mark!r}, 'w').close()
            time.sleep(2)
            return True

    with Workflow(name='slow') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        target = BashOperator(name='target', bash_command='echo done')
        target.action_on_condition(TaskAction.START, Slow(['poke']))
"""


def test_user_conditions_run_outside_the_scheduling_transaction(
    servers: Servers, tmp_path: Path
) -> None:
    mark = tmp_path / "evaluating"
    execution_id = servers.run(SLOW.format(mark=str(mark)), "slow")
    servers.wait_tasks(execution_id, {"keeper": ["RUNNING"]})
    servers.client.send_event("poke", "x")
    wait_until(mark.exists, 20, "the condition to be evaluated")
    # The database is not held meanwhile: writes of the API go through at once.
    started = time.monotonic()
    ops.add_namespace("meanwhile")
    assert time.monotonic() - started < 1.0
    servers.wait_tasks(execution_id, {"target": ["SUCCESS"]})
    ops.stop_workflow_execution(execution_id)


TRIGGERED = """
    import os
    from ai_flow.model.condition import Condition
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with open(os.path.join({marks!r}, str(os.getpid())), 'w'):
        pass

    class EveryOther(Condition):
        def is_met(self, event, context):
            return int(event.value) % 2 == 0

    with Workflow(name='triggered') as workflow:
        BashOperator(name='t', bash_command='echo hi')
"""


class EveryOther(Condition):
    """Stands for the class of the user's script run as `python workflow.py`; the server
    resolves it by name in the snapshot, never from this process."""

    def is_met(self, event, context):  # noqa: ANN001, ANN201
        raise AssertionError("evaluated in the wrong process")


class Missing(EveryOther):
    """A class the uploaded file does not define."""


EveryOther.__module__ = Missing.__module__ = "__main__"


def test_a_user_trigger_is_checked_and_evaluated_in_the_evaluator(
    servers: Servers, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    path = servers.write(TRIGGERED.format(marks=str(marks)), "triggered.py")
    ops.upload_workflows(str(path))
    ops.add_workflow_trigger(WorkflowRule(EveryOther(["n"])), "triggered")
    for n in range(4):
        servers.client.send_event("n", str(n))
    wait_until(lambda: len(ops.list_workflow_executions("triggered")) == 2, 20, "two runs")
    loaders = {int(p.name) for p in marks.iterdir()}
    assert os.getpid() not in loaders and len(loaders) >= 2  # upload child, evaluator


def test_a_trigger_whose_class_the_snapshot_lacks_is_refused(
    servers: Servers, tmp_path: Path
) -> None:
    servers.upload(TRIGGERED.format(marks=str(tmp_path)))
    with pytest.raises(ops.InvalidArgumentError, match="class Missing .* is not defined"):
        ops.add_workflow_trigger(WorkflowRule(Missing(["n"])), "triggered")
    assert ops.list_workflow_triggers("triggered") == []
