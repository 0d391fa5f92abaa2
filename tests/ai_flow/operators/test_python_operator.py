"""PythonOperator calls its function with the given arguments."""

from __future__ import annotations

import json

import pytest

from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.workflow import Workflow
from ai_flow.operators.python import PythonOperator


def add(a, b, *, scale=1):
    return (a + b) * scale


def test_calls_with_args_and_keeps_result():
    with Workflow(name="wf"):
        op = PythonOperator(name="p", python_callable=add, op_args=[1, 2], op_kwargs={"scale": 10})
    op.start(None)
    op.await_termination(None, timeout=1)
    assert op.result == 30
    assert op.get_metrics(None) == {}


def test_no_args_and_exceptions_propagate():
    calls = []

    def fail():
        calls.append(1)
        raise KeyError("boom")

    with Workflow(name="wf"):
        op = PythonOperator(name="p", python_callable=fail)
    with pytest.raises(KeyError, match="boom"):
        op.start(None)
    assert calls == [1]


def test_stop_is_best_effort():
    with Workflow(name="wf"):
        op = PythonOperator(name="p", python_callable=lambda: None)
    op.stop(None)
    assert op.stop_requested
    op.start(None)
    assert not op.stop_requested


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"python_callable": "not callable"}, "python_callable must be callable"),
        ({"python_callable": add, "op_args": "ab"}, "op_args must be a list"),
        ({"python_callable": add, "op_kwargs": [1]}, "op_kwargs must be a dict"),
    ],
)
def test_definition_errors(kwargs, message):
    with Workflow(name="wf") as wf, pytest.raises(WorkflowDefinitionError, match=message):
        PythonOperator(name="p", **kwargs)
    assert wf.tasks == {}


def test_description():
    with Workflow(name="wf"):
        op = PythonOperator(name="p", python_callable=add, op_args=[1, object()])
    d = json.loads(json.dumps(op.describe()))
    assert d["python_callable"].endswith("test_python_operator.add")
    assert d["op_args"][0] == 1 and d["op_args"][1].startswith("<object")
    assert d["operator"] == "ai_flow.operators.python.PythonOperator"
