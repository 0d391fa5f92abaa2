"""The ops API against a real AIFlow server (SQLite metadata; one smoke run per SQL server)."""

from __future__ import annotations

import pytest
from aiflow_servers import Servers, free_port

from ai_flow import ops

ONE_TASK = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='wf') as workflow:
        BashOperator(name='a', bash_command='echo {text}')
"""

LONG_TASK = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='long') as workflow:
        BashOperator(name='sleeper', bash_command='sleep 30')
"""

TWO_LONG_TASKS = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='long2') as workflow:
        BashOperator(name='sleeper', bash_command='sleep 30')
        BashOperator(name='keeper', bash_command='sleep 30')
"""

TWO_TASKS = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='pair') as workflow:
        first = BashOperator(name='first', bash_command='echo first')
        second = BashOperator(name='second', bash_command='echo second')
        second.start_after(first)
"""


# Namespaces


def test_namespaces_crud(servers: Servers) -> None:
    assert [n.name for n in ops.list_namespaces()] == ["default"]
    added = ops.add_namespace("team", {"owner": "me", "level": 3})
    assert added == ops.NamespaceMeta("team", {"owner": "me", "level": "3"})
    assert ops.get_namespace("team") == added
    with pytest.raises(ops.AlreadyExistsError, match="team"):
        ops.add_namespace("team")
    assert ops.update_namespace("team", {"owner": "you"}).properties == {"owner": "you"}
    assert ops.get_namespace("team").properties == {"owner": "you"}
    assert sorted(n.name for n in ops.list_namespaces()) == ["default", "team"]
    assert [n.name for n in ops.list_namespaces(limit=1)] == ["default"]

    assert ops.get_namespace("nope") is None
    with pytest.raises(ops.NotFoundError, match="nope"):
        ops.delete_namespace("nope")
    ops.delete_namespace("team")
    assert ops.get_namespace("team") is None


@pytest.mark.parametrize("name", ["bad name/../x", "../etc", "", "-x", "a" * 129])
def test_namespace_names_are_validated_like_workflow_names(servers: Servers, name: str) -> None:
    with pytest.raises(ops.InvalidArgumentError, match="namespace name"):
        ops.add_namespace(name)
    assert [n.name for n in ops.list_namespaces()] == ["default"]


# Uploads


def test_reupload_of_identical_content_keeps_the_snapshot(servers: Servers) -> None:
    [first] = servers.upload(ONE_TASK.format(text="v1"))
    assert (first.namespace, first.name, first.is_enabled) == ("default", "wf", True)
    assert [t["name"] for t in first.description["tasks"]] == ["a"]
    # The same bytes from another path: nothing new.
    [again] = servers.upload(ONE_TASK.format(text="v1"))
    assert again.snapshot_id == first.snapshot_id
    assert [s.id for s in ops.list_workflow_snapshots("wf")] == [first.snapshot_id]
    # Changed content: a new snapshot becomes the latest.
    [changed] = servers.upload(ONE_TASK.format(text="v2"))
    assert changed.id == first.id
    assert changed.snapshot_id != first.snapshot_id
    assert [s.id for s in ops.list_workflow_snapshots("wf")] == [
        changed.snapshot_id,
        first.snapshot_id,
    ]
    assert ops.get_workflow("wf").snapshot_id == changed.snapshot_id
    assert [w.name for w in ops.list_workflows()] == ["wf"]


BROKEN = {
    "syntax": (
        """
        from ai_flow.model.workflow import Workflow

        with Workflow(name='wf') as w:
            x = (1,
        """,
        ":5",
        "SyntaxError",
    ),
    "exception": (
        """
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator

        with Workflow(name='wf') as w:
            BashOperator(name='a', bash_command='echo a')
            raise RuntimeError('boom in the file')
        """,
        ":7",
        "RuntimeError: boom in the file",
    ),
    "no_workflow": (
        """
        import os

        VALUE = os.sep
        """,
        "",
        "no workflow",
    ),
    "foreign_task_rule": (
        """
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator

        with Workflow(name='one') as w1:
            a = BashOperator(name='a', bash_command='echo a')
        with Workflow(name='two') as w2:
            b = BashOperator(name='b', bash_command='echo b')
            b.start_after(a)
        """,
        ":9",
        "belongs to workflow 'one'",
    ),
    "bad_operator_argument": (
        """
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator

        with Workflow(name='wf') as w:
            BashOperator(name='a', bash_command='echo a', retries=-1)
        """,
        ":6",
        "retries",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_is_refused_with_its_name_and_line(servers: Servers, case: str) -> None:
    source, line, reason = BROKEN[case]
    path = servers.write(source, name=f"broken_{case}.py")
    with pytest.raises(ops.InvalidArgumentError) as info:
        ops.upload_workflows(str(path))
    message = str(info.value)
    assert f"broken_{case}.py{line}" in message
    assert reason in message
    assert "\n" not in message.strip()
    assert ops.list_workflows() == []


def test_unknown_namespace_in_a_file_stores_nothing(servers: Servers) -> None:
    source = """
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator

        with Workflow(name='fine') as w1:
            BashOperator(name='a', bash_command='echo a')
        with Workflow(name='lost', namespace='nowhere') as w2:
            BashOperator(name='b', bash_command='echo b')
    """
    with pytest.raises(ops.AIFlowClientError) as info:
        servers.upload(source, name="two_namespaces.py")
    message = str(info.value)
    assert "nowhere" in message and "does not exist" in message
    assert "two_namespaces.py" in message
    assert ops.list_workflows() == []
    assert ops.get_workflow("fine") is None
    # Once the namespace exists the same file goes in.
    ops.add_namespace("nowhere")
    servers.upload(source, name="two_namespaces.py")
    assert [w.name for w in ops.list_workflows("nowhere")] == ["lost"]
    assert [w.name for w in ops.list_workflows()] == ["fine"]


def test_missing_file_and_unknown_workflow(servers: Servers, tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ops.InvalidArgumentError, match="does not exist"):
        ops.upload_workflows(str(tmp_path / "absent.py"))
    assert ops.get_workflow("absent") is None
    with pytest.raises(ops.NotFoundError):
        ops.delete_workflow("absent")
    with pytest.raises(ops.NotFoundError):
        ops.start_workflow_execution("absent")
    with pytest.raises(ops.NotFoundError):
        ops.list_workflows("no_such_namespace")


# Workflows


def test_delete_workflow_is_refused_while_an_execution_runs(servers: Servers) -> None:
    execution_id = servers.run(LONG_TASK, "long")
    servers.wait_tasks(execution_id, {"sleeper": ["RUNNING"]})
    with pytest.raises(ops.InvalidArgumentError, match="unfinished"):
        ops.delete_workflow("long")
    assert ops.get_workflow("long") is not None
    ops.stop_workflow_execution(execution_id)
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED"]})
    ops.delete_workflow("long")
    assert ops.get_workflow("long") is None
    assert ops.get_workflow_execution(execution_id) is None
    assert ops.list_workflows() == []


def test_disabled_workflow_cannot_start(servers: Servers) -> None:
    servers.upload(ONE_TASK.format(text="hi"))
    assert ops.disable_workflow("wf").is_enabled is False
    assert ops.get_workflow("wf").is_enabled is False
    with pytest.raises(ops.InvalidArgumentError, match="disabled"):
        ops.start_workflow_execution("wf")
    assert ops.list_workflow_executions("wf") == []
    assert ops.enable_workflow("wf").is_enabled is True
    execution_id = ops.start_workflow_execution("wf")
    servers.wait_execution(execution_id, "SUCCESS")


# Snapshots


def test_snapshots_list_get_delete(servers: Servers) -> None:
    [v1] = servers.upload(ONE_TASK.format(text="v1"))
    [v2] = servers.upload(ONE_TASK.format(text="v2"))
    snapshot = ops.get_workflow_snapshot(v2.snapshot_id)
    assert snapshot.workflow_id == v2.id
    assert snapshot.file_name == "workflow.py"
    assert snapshot.signature and snapshot.create_time is not None
    assert ops.get_workflow_snapshot(9999) is None
    assert [s.id for s in ops.list_workflow_snapshots("wf", limit=1)] == [v2.snapshot_id]

    # A snapshot an execution ran from stays.
    execution_id = ops.start_workflow_execution("wf")
    servers.wait_execution(execution_id, "SUCCESS")
    assert ops.get_workflow_execution(execution_id).snapshot_id == v2.snapshot_id
    with pytest.raises(ops.InvalidArgumentError, match="used by 1 execution"):
        ops.delete_workflow_snapshot(v2.snapshot_id)
    with pytest.raises(ops.InvalidArgumentError):
        ops.delete_workflow_snapshots("wf")
    ops.delete_workflow_snapshot(v1.snapshot_id)
    assert ops.get_workflow_snapshot(v1.snapshot_id) is None
    assert [s.id for s in ops.list_workflow_snapshots("wf")] == [v2.snapshot_id]
    with pytest.raises(ops.NotFoundError):
        ops.delete_workflow_snapshot(v1.snapshot_id)

    ops.delete_workflow_execution(execution_id)
    assert ops.delete_workflow_snapshots("wf") == 1
    assert ops.list_workflow_snapshots("wf") == []
    assert ops.get_workflow("wf").snapshot_id is None
    with pytest.raises(ops.InvalidArgumentError, match="no snapshot"):
        ops.start_workflow_execution("wf")


# Workflow executions


def test_workflow_executions_list_get_stop_delete(servers: Servers) -> None:
    servers.upload(LONG_TASK)
    first = ops.start_workflow_execution("long")
    second = ops.start_workflow_execution("long")
    assert [e.id for e in ops.list_workflow_executions("long")] == [second, first]
    execution = ops.get_workflow_execution(first)
    assert (execution.workflow_name, execution.namespace) == ("long", "default")
    assert execution.execution_type == "MANUAL"
    assert execution.status == "RUNNING" and execution.begin_date is not None
    assert ops.get_workflow_execution(9999) is None
    servers.wait_tasks(first, {"sleeper": ["RUNNING"]})
    servers.wait_tasks(second, {"sleeper": ["RUNNING"]})

    with pytest.raises(ops.InvalidArgumentError, match="stop it before deleting"):
        ops.delete_workflow_execution(first)

    ops.stop_workflow_execution(first)
    assert ops.get_workflow_execution(first).status == "STOPPED"
    servers.wait_tasks(first, {"sleeper": ["STOPPED"]})
    assert ops.get_workflow_execution(second).status == "RUNNING"

    third = ops.start_workflow_execution("long")
    assert ops.stop_workflow_executions("long") == 2
    for execution_id in (second, third):
        servers.wait_tasks(execution_id, {"sleeper": ["STOPPED"]})
        assert ops.get_workflow_execution(execution_id).status == "STOPPED"
    assert ops.stop_workflow_executions("long") == 0

    ops.delete_workflow_execution(first)
    assert ops.get_workflow_execution(first) is None
    assert [e.id for e in ops.list_workflow_executions("long")] == [third, second]
    with pytest.raises(ops.NotFoundError):
        ops.delete_workflow_execution(first)


# Task executions


def test_task_executions_list_get_start_stop(servers: Servers) -> None:
    servers.upload(TWO_LONG_TASKS)
    # `keeper` keeps the execution RUNNING while `sleeper` is stopped and restarted.
    execution_id = ops.start_workflow_execution("long2")
    servers.wait_tasks(execution_id, {"sleeper": ["RUNNING"], "keeper": ["RUNNING"]})
    [running] = [t for t in ops.list_task_executions(execution_id) if t.task_name == "sleeper"]
    assert (running.task_name, running.sequence_number, running.try_number) == ("sleeper", 1, 1)
    assert ops.get_task_execution(running.id) == running
    assert ops.get_task_execution(9999) is None

    # Starting a running task is a no-op that returns the alive run.
    assert ops.start_task_execution(execution_id, "sleeper") == running.id
    assert len(ops.list_task_executions(execution_id)) == 2

    ops.stop_task_execution(execution_id, "sleeper")
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED"]})
    stopped = ops.get_task_execution(running.id)
    assert stopped.end_date is not None
    with pytest.raises(ops.InvalidArgumentError, match="no running execution"):
        ops.stop_task_execution(execution_id, "sleeper")
    with pytest.raises(ops.InvalidArgumentError, match="no task 'ghost'"):
        ops.start_task_execution(execution_id, "ghost")

    # A finished task starts again with the next sequence number.
    new_id = ops.start_task_execution(execution_id, "sleeper")
    assert new_id != running.id
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED", "RUNNING"]})
    assert ops.get_task_execution(new_id).sequence_number == 2
    assert ops.get_task_execution(new_id).execution_type == "MANUAL"
    assert len(ops.list_task_executions(execution_id, limit=2)) == 2
    assert ops.get_workflow_execution(execution_id).status == "RUNNING"

    ops.stop_workflow_execution(execution_id)
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED", "STOPPED"], "keeper": ["STOPPED"]})
    with pytest.raises(ops.InvalidArgumentError, match="not RUNNING"):
        ops.start_task_execution(execution_id, "sleeper")
    with pytest.raises(ops.NotFoundError):
        ops.list_task_executions(9999)


# Other metadata backends


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_upload_and_execute_on_sql_server(servers_factory, request, backend: str) -> None:  # noqa: ANN001
    uri = request.getfixturevalue(f"{backend}_uri")
    servers = servers_factory(metadata_uri=uri)
    [meta] = servers.upload(TWO_TASKS)
    [again] = servers.upload(TWO_TASKS)
    assert again.snapshot_id == meta.snapshot_id
    execution_id = ops.start_workflow_execution("pair")
    servers.wait_execution(execution_id, "SUCCESS")
    assert servers.statuses(execution_id) == {"first": ["SUCCESS"], "second": ["SUCCESS"]}
    assert ops.delete_workflow_execution(execution_id) is None
    ops.delete_workflow("pair")
    assert ops.list_workflows() == []


# Connection


def test_ops_reconnect_at_once_when_the_server_is_back(servers_factory) -> None:  # noqa: ANN001
    port = free_port()
    servers = servers_factory(rpc_port=port)
    assert ops.get_namespace("default") is not None
    servers.stop_aiflow()
    for _ in range(3):  # failed attempts grow gRPC's reconnect backoff
        with pytest.raises(ops.ServerUnavailableError, match=f"localhost:{port}"):
            ops.list_namespaces()
    servers.start_aiflow(rpc_port=port)
    assert [n.name for n in ops.list_namespaces()] == ["default"]
