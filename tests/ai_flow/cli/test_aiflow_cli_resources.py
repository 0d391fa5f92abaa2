"""Resource commands in-process against a fake ops API: output formats, prompts, errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
import yaml

from ai_flow import ops

BEGIN = datetime(2024, 1, 31, 12, 0, 0, tzinfo=timezone.utc)


def _task(id_: int, status: str, end: datetime | None) -> ops.TaskExecutionMeta:
    return ops.TaskExecutionMeta(
        id=id_,
        workflow_execution_id=1,
        task_name=f"task{id_}",
        sequence_number=1,
        try_number=2,
        execution_type="MANUAL",
        status=status,
        begin_date=BEGIN,
        end_date=end,
    )


EXECUTION = ops.WorkflowExecutionMeta(
    id=1,
    workflow_id=7,
    namespace="default",
    workflow_name="wf",
    snapshot_id=3,
    execution_type="MANUAL",
    status="RUNNING",
    begin_date=BEGIN,
    end_date=None,
)
WORKFLOW = ops.WorkflowMeta(
    id=7,
    namespace="default",
    name="wf",
    is_enabled=True,
    create_time=BEGIN,
    update_time=BEGIN,
    snapshot_id=3,
    description={
        "tasks": [{"name": "a"}, {"name": "b"}],
        "rules": {"b": [{"action": "START", "condition": {"expect_event_keys": ["k"]}}]},
    },
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Replace the ops calls the commands make; records calls by name."""
    calls: dict[str, list[Any]] = {}

    def record(name: str, result: Any = None):  # noqa: ANN202
        def fn(*args: Any, **kwargs: Any) -> Any:
            calls.setdefault(name, []).append(args)
            if isinstance(result, Exception):
                raise result
            # Paged listings: a second page would start past the data.
            return [] if kwargs.get("offset") else result

        monkeypatch.setattr(ops, name, fn)

    record("list_task_executions", [_task(1, "SUCCESS", BEGIN), _task(2, "RUNNING", None)])
    record("get_workflow_execution", EXECUTION)
    record("list_workflow_executions", [EXECUTION])
    record("get_task_execution", _task(2, "RUNNING", None))
    record("get_workflow", WORKFLOW)
    record("list_workflows", [WORKFLOW])
    record("delete_workflow")
    record("delete_workflow_execution")
    record("start_workflow_execution", 1)
    record("upload_workflows", [WORKFLOW])
    record("add_namespace")
    record("get_namespace", ops.NamespaceMeta("ns1", {"b": "2", "a": "1"}))
    return calls


def test_task_execution_list_json_has_the_api_field_names(invoke, fake) -> None:
    result = invoke("task-execution", "list", "1", "-o", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert list(rows[0]) == [
        "id",
        "workflow_execution_id",
        "task_name",
        "sequence_number",
        "try_number",
        "execution_type",
        "status",
        "begin_date",
        "end_date",
        "error",
        "host",
        "pid",
        "stop_reason",
        "external_job",
        "savepoint",
    ]
    assert rows[0]["id"] == 1 and rows[0]["try_number"] == 2
    assert rows[0]["end_date"] == "2024-01-31T12:00:00+00:00"
    assert rows[1]["end_date"] is None and rows[1]["error"] is None


def test_yaml_and_plain_outputs(invoke, fake) -> None:
    rows = yaml.safe_load(invoke("task-execution", "list", "1", "-o", "yaml").output)
    assert rows[1]["status"] == "RUNNING" and rows[1]["end_date"] is None
    plain = invoke("task-execution", "list", "1", "-o", "plain").output.splitlines()
    assert plain[0].split("\t")[:3] == ["id", "workflow_execution_id", "task_name"]
    assert plain[2].split("\t")[-1] == ""  # unset end_date is empty, not "None"


def test_show_prints_one_object(invoke, fake) -> None:
    shown = json.loads(invoke("workflow-execution", "show", "1", "-o", "json").output)
    assert shown["id"] == 1 and shown["workflow_id"] == 7 and shown["end_date"] is None
    assert shown["status"] == "RUNNING" and shown["workflow_name"] == "wf"
    task = json.loads(invoke("task-execution", "show", "2", "-o", "json").output)
    assert task["try_number"] == 2
    assert "try_number" in invoke("task-execution", "show", "2").output


def test_tables_are_not_wrapped_when_piped(invoke, fake) -> None:
    output = invoke("workflow-execution", "list", "wf").output
    line = next(x for x in output.splitlines() if "RUNNING" in x)
    assert "2024-01-31T12:00:00+00:00" in line and "wf" in line


def test_workflow_show_summarises_tasks_and_rules(invoke, fake) -> None:
    output = invoke("workflow", "show", "wf").output
    assert "a, b" in output and "b: START on [k]" in output
    full = json.loads(invoke("workflow", "show", "wf", "-o", "json").output)
    assert full["description"]["tasks"][0]["name"] == "a"
    listed = json.loads(invoke("workflow", "list", "-o", "json").output)
    assert listed[0]["name"] == "wf" and "description" not in listed[0]


def test_start_and_upload_messages(invoke, fake) -> None:
    assert invoke("workflow-execution", "start", "wf").output == (
        "Workflow execution: 1 submitted.\n"
    )
    assert fake["start_workflow_execution"] == [("wf", "default")]
    uploaded = invoke("workflow", "upload", "wf.py", "--files", "a.txt, b.txt")
    assert uploaded.output == "Workflow: default.wf, submitted.\n"
    assert fake["upload_workflows"] == [("wf.py", ["a.txt", "b.txt"])]


@pytest.mark.parametrize(
    ("args", "deleted"),
    [
        (["workflow", "delete", "wf"], "delete_workflow"),
        (["workflow-execution", "delete", "1"], "delete_workflow_execution"),
    ],
)
def test_delete_asks_first(invoke, fake, args: list[str], deleted: str) -> None:
    refused = invoke(*args, input="n\n")
    assert refused.exit_code == 1
    assert refused.output.endswith("Error: aborted; nothing was changed\n")
    assert deleted not in fake
    assert invoke(*args, input="y\n").exit_code == 0
    assert invoke(*args, "-y").exit_code == 0
    assert len(fake[deleted]) == 2


def test_unknown_ids_and_names_are_one_line(invoke, fake, monkeypatch) -> None:
    monkeypatch.setattr(ops, "get_workflow_execution", lambda _id: None)
    monkeypatch.setattr(ops, "get_workflow", lambda _name, _ns: None)
    cases = {
        ("workflow-execution", "show", "9"): "Error: workflow execution 9 does not exist\n",
        ("task-execution", "list", "9"): "Error: workflow execution 9 does not exist\n",
        ("workflow", "show", "x", "-n", "ns"): "Error: workflow ns.x does not exist\n",
    }
    for args, message in cases.items():
        result = invoke(*args)
        assert (result.exit_code, result.output) == (1, message)


def test_client_errors_become_error_lines(invoke, monkeypatch) -> None:
    def unavailable(*_args: Any, **_kwargs: Any) -> None:
        raise ops.ServerUnavailableError("AIFlow server localhost:1 is unreachable: refused")

    def invalid(*_args: Any, **_kwargs: Any) -> None:
        raise ops.InvalidArgumentError("wf.py:3: boom: RuntimeError: boom")

    monkeypatch.setattr(ops, "list_workflows", unavailable)
    monkeypatch.setattr(ops, "upload_workflows", invalid)
    down = invoke("--server", "localhost:1", "workflow", "list")
    assert down.exit_code == 1
    assert down.output.startswith("Error: AIFlow server localhost:1 is unreachable: refused (is")
    broken = invoke("workflow", "upload", "wf.py")
    assert (broken.exit_code, broken.output) == (1, "Error: wf.py:3: boom: RuntimeError: boom\n")


def test_namespace_properties(invoke, fake) -> None:
    assert invoke("namespace", "add", "ns1", "--properties", "a=1, b=2").exit_code == 0
    assert fake["add_namespace"] == [("ns1", {"a": "1", "b": "2"})]
    assert "a=1,b=2" in invoke("namespace", "show", "ns1").output
    assert json.loads(invoke("namespace", "show", "ns1", "-o", "json").output) == {
        "name": "ns1",
        "properties": {"b": "2", "a": "1"},
    }
    bad = invoke("namespace", "add", "x", "--properties", "oops")
    assert bad.exit_code == 2 and "expected key=value, got 'oops'" in bad.output
