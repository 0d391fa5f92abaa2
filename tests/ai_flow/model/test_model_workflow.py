"""Workflow declaration: context manager, tasks, rules, errors, metadata and loading."""

from __future__ import annotations

import json
import textwrap

import pytest

from ai_flow.model.action import TaskAction
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.internal.conditions import SingleEventCondition, TaskStatusCondition
from ai_flow.model.internal.events import task_status_event_key
from ai_flow.model.operator import AIFlowOperator, Operator
from ai_flow.model.status import TaskStatus
from ai_flow.model.workflow import (
    Workflow,
    WorkflowContextManager,
    collect_workflows,
    load_workflows,
)
from ai_flow.operators.bash import BashOperator


def test_tasks_and_rules_are_recorded_in_order():
    with Workflow(name="wf", namespace="ns", owner="me") as wf:
        t1 = BashOperator(name="t1", bash_command="echo 1")
        t2 = BashOperator(name="t2", bash_command="echo 2")
        t3 = BashOperator(name="t3", bash_command="echo 3")
        t3.start_after([t1, t2])
        t2.action_on_event_received(action=TaskAction.START, event_key="go")
        t1.action_on_task_status(TaskAction.STOP, {t3: TaskStatus.FAILED})

    assert (wf.name, wf.namespace, wf.config) == ("wf", "ns", {"owner": "me"})
    assert list(wf.tasks) == ["t1", "t2", "t3"] and wf.tasks["t1"] is t1
    assert t1.workflow is wf
    [rule] = wf.rules["t3"]
    assert rule.action == TaskAction.START
    assert isinstance(rule.condition, TaskStatusCondition)
    assert rule.condition.upstream_task_status == {
        "t1": TaskStatus.SUCCESS,
        "t2": TaskStatus.SUCCESS,
    }
    assert rule.condition.expect_event_keys == [
        task_status_event_key("wf", "t1"),
        task_status_event_key("wf", "t2"),
    ]
    assert isinstance(wf.rules["t2"][0].condition, SingleEventCondition)
    # t1 only has a STOP rule, so it still starts with the workflow execution.
    assert wf.has_start_rule("t3") and not wf.has_start_rule("t1")
    assert wf.initial_tasks == ["t1"]
    assert [t for t, _ in wf.rules_expecting("go")] == ["t2"]


def test_start_after_accepts_a_single_task():
    with Workflow(name="wf") as wf:
        a = BashOperator(name="a", bash_command="true")
        b = BashOperator(name="b", bash_command="true")
        b.start_after(a)
    assert wf.namespace == "default"
    assert wf.rules["b"][0].condition.upstream_task_status == {"a": TaskStatus.SUCCESS}


def test_several_workflows_and_nesting():
    with Workflow(name="outer") as outer:
        BashOperator(name="a", bash_command="true")
        with Workflow(name="inner") as inner:
            BashOperator(name="a", bash_command="true")  # same name, other workflow: fine
        BashOperator(name="b", bash_command="true")
    assert list(outer.tasks) == ["a", "b"] and list(inner.tasks) == ["a"]
    assert WorkflowContextManager.get_current_workflow() is None


def test_context_is_popped_when_the_block_raises():
    with pytest.raises(RuntimeError), Workflow(name="wf"):
        raise RuntimeError("boom")
    assert WorkflowContextManager.get_current_workflow() is None


def test_operator_outside_workflow_is_rejected():
    with pytest.raises(WorkflowDefinitionError, match=r"outside a workflow.*with Workflow"):
        BashOperator(name="lonely", bash_command="true")


def test_duplicate_task_name_is_rejected_and_first_task_kept():
    with Workflow(name="wf") as wf:
        first = BashOperator(name="t", bash_command="true")
        with pytest.raises(WorkflowDefinitionError, match="Duplicate task name 't'.*'wf'"):
            BashOperator(name="t", bash_command="false")
    assert wf.tasks == {"t": first}


def test_rule_on_task_of_another_workflow_is_rejected():
    with Workflow(name="w1"):
        foreign = BashOperator(name="x", bash_command="true")
    with Workflow(name="w2") as w2:
        local = BashOperator(name="y", bash_command="true")
        with pytest.raises(WorkflowDefinitionError, match="belongs to workflow 'w1', not 'w2'"):
            local.start_after(foreign)
        with pytest.raises(WorkflowDefinitionError, match="has no task 'nope'"):
            local.action_on_task_status(TaskAction.START, {"nope": TaskStatus.SUCCESS})
    assert w2.rules == {}


@pytest.mark.parametrize("name", ["", "has space", "a/b", "-x", "x" * 129, None, 3])
def test_invalid_names_are_rejected(name):
    with pytest.raises(WorkflowDefinitionError, match="name"):
        Workflow(name=name)
    with Workflow(name="wf"), pytest.raises(WorkflowDefinitionError, match="task name"):
        BashOperator(name=name, bash_command="true")


def test_invalid_namespace_is_rejected():
    with pytest.raises(WorkflowDefinitionError, match="namespace name"):
        Workflow(name="ok", namespace="bad ns")


def test_common_operator_options():
    with Workflow(name="wf"):
        t = BashOperator(
            name="t",
            bash_command="true",
            periodic_expression="interval@0 0 1 0",
            retries=2,
            retry_delay=1.5,
            execution_timeout=30,
            queue="gpu",
        )
        d = BashOperator(name="d", bash_command="true")
    assert (t.periodic_expression, t.retries, t.retry_delay, t.execution_timeout) == (
        "interval@0 0 1 0",
        2,
        1.5,
        30,
    )
    assert t.config["queue"] == "gpu" and t.config["retries"] == 2
    assert (d.periodic_expression, d.retries, d.retry_delay, d.execution_timeout) == (
        None,
        0,
        0,
        None,
    )
    assert t.workflow.periodic_tasks == {"t": "interval@0 0 1 0"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"retries": -1}, "retries must be an integer >= 0"),
        ({"retries": 1.5}, "retries must be an integer"),
        ({"retries": True}, "retries must be an integer"),
        ({"retry_delay": -2}, "retry_delay must be a number of seconds"),
        ({"execution_timeout": 0}, "execution_timeout must be greater than 0"),
        ({"periodic_expression": "every minute"}, "Invalid periodic expression"),
    ],
)
def test_bad_common_options(kwargs, message):
    with Workflow(name="wf") as wf, pytest.raises(WorkflowDefinitionError, match=message):
        BashOperator(name="t", bash_command="true", **kwargs)
    assert wf.tasks == {}  # a rejected task is not half-registered


def test_bad_rule_arguments():
    with Workflow(name="wf"):
        t = BashOperator(name="t", bash_command="true")
        with pytest.raises(WorkflowDefinitionError, match="Unknown task action 'JUMP'"):
            t.action_on_event_received(action="JUMP", event_key="k")
        with pytest.raises(WorkflowDefinitionError, match="Unknown task status 'DONE'"):
            t.action_on_task_status(TaskAction.START, {t: "DONE"})
        with pytest.raises(WorkflowDefinitionError, match="must be an ai_flow.model.condition"):
            t.action_on_condition(TaskAction.START, "not a condition")
        with pytest.raises(WorkflowDefinitionError, match="non-empty dict"):
            t.action_on_task_status(TaskAction.START, {})
        with pytest.raises(WorkflowDefinitionError, match="at least one task"):
            t.start_after([])
        # Strings are accepted for actions and statuses.
        rule = t.action_on_task_status("restart", {"t": "failed"})
    assert rule.action == TaskAction.RESTART
    assert rule.condition.upstream_task_status == {"t": TaskStatus.FAILED}


def test_operator_base_classes_are_abstract():
    with Workflow(name="wf"):
        with pytest.raises(TypeError):
            Operator(name="x")
        with pytest.raises(TypeError):
            AIFlowOperator(name="y")


def test_describe_is_json_able():
    def helper():
        pass

    with Workflow(name="wf", tags=["a"], obj=object()) as wf:
        t1 = BashOperator(name="t1", bash_command="echo hi", retries=1)
        t2 = BashOperator(name="t2", bash_command="echo hi", callback=helper)
        t2.start_after(t1)
        t1.action_on_event_received(TaskAction.RESTART, "k")

    d = json.loads(json.dumps(wf.describe()))
    assert d == wf.to_dict()
    assert d["name"] == "wf" and d["namespace"] == "default"
    assert d["config"]["tags"] == ["a"] and d["config"]["obj"].startswith("<object")
    assert d["tasks"][0]["operator"] == "ai_flow.operators.bash.BashOperator"
    assert d["tasks"][0]["bash_command"] == "echo hi" and d["tasks"][0]["retries"] == 1
    assert d["tasks"][1]["config"]["callback"].endswith("helper")
    [rule] = d["rules"]["t2"]
    assert rule["action"] == "START"
    assert rule["condition"] == {
        "class": "ai_flow.model.internal.conditions.TaskStatusCondition",
        "expect_event_keys": ["ai_flow.task_status/wf/t1"],
        "workflow_name": "wf",
        "upstream_task_status": {"t1": "SUCCESS"},
    }
    # What the server schedules from: the keys, and the built-in condition encoded.
    assert rule["expect_event_keys"] == ["ai_flow.task_status/wf/t1"]
    assert rule["builtin"]["class"] == "ai_flow.model.internal.conditions:TaskStatusCondition"
    assert d["plan_version"] == 1
    assert d["rules"]["t1"][0]["action"] == "RESTART"
    assert d["initial_tasks"] == ["t1"]


def test_collect_workflows():
    with Workflow(name="a") as a:
        pass
    with Workflow(name="b") as b:
        pass
    assert collect_workflows({"a": a, "alias": a, "b": b, "x": 1}) == [a, b]
    with Workflow(name="a") as a2:
        pass
    with pytest.raises(WorkflowDefinitionError, match="'a' is defined more than once"):
        collect_workflows({"a": a, "a2": a2})
    # Same name in another namespace is fine.
    with Workflow(name="a", namespace="other") as a3:
        pass
    assert collect_workflows({"a": a, "a3": a3}) == [a, a3]


def test_load_workflows_runs_the_file_without_main_block(tmp_path):
    (tmp_path / "helper_mod.py").write_text("COMMAND = 'echo from helper'\n")
    path = tmp_path / "flows.py"
    path.write_text(
        textwrap.dedent(
            """
            from helper_mod import COMMAND
            from ai_flow.model.workflow import Workflow
            from ai_flow.operators.bash import BashOperator
            from ai_flow.operators.python import PythonOperator

            def f(x):
                return x * 2

            with Workflow(name='w1') as w1:
                BashOperator(name='t', bash_command=COMMAND)
            with Workflow(name='w2') as w2:
                PythonOperator(name='p', python_callable=f, op_args=[21])

            if __name__ == '__main__':
                raise SystemExit('must not run when loaded')
            """
        )
    )
    w1, w2 = load_workflows(path)
    assert (w1.name, w2.name) == ("w1", "w2")
    assert w1.tasks["t"].bash_command == "echo from helper"
    p = w2.tasks["p"]
    p.start(None)
    assert p.result == 42
    assert str(tmp_path) not in __import__("sys").path
