"""Access control of the gRPC API and the internal RPC: every method, table-driven.

One AIFlow server with `auth_tokens` serves the whole module. Namespace `team` holds
two workflows with executions (a running task each), snapshots, schedules and
triggers, so rules that find the namespace from an id look up real rows. For every
RPC of both services: no token and a bad token are UNAUTHENTICATED, the token of
another namespace is PERMISSION_DENIED, the right token gets past the check (any
other answer). Destructive calls use the spare workflow's rows for the right token, so
the order the cases run in does not matter.
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiflow_servers import Servers, free_port, start_servers, stop_servers, wait_until

from ai_flow import ops
from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.rule import WorkflowRule
from ai_flow.proto import aiflow_pb2 as pb
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.server._access import RULES
from notification_service.util.auth import auth_metadata

ADMIN = "admin-token-0123456789"
TEAM = "team-token-0123456789"
OTHER = "other-token-0123456789"
READER = "reader-token-0123456789"
TOKENS = [
    {"name": "admin", "token": ADMIN},
    {"name": "team", "token": TEAM, "write": ["team"]},
    {"name": "other", "token": OTHER, "write": ["other"]},
    {"name": "reader", "token": READER, "read": ["team"]},
]

WORKFLOWS = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='wf', namespace='team') as wf:
        BashOperator(name='sleeper', bash_command='sleep 600')

    with Workflow(name='spare', namespace='team') as spare:
        BashOperator(name='sleeper', bash_command='sleep 600')
"""
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED
AUTH_CODES = (UNAUTHENTICATED, PERMISSION_DENIED)


@dataclass
class Rows:
    """One workflow's rows in namespace `team`."""

    workflow: str
    snapshot: int
    execution: int
    task: int
    schedule: int
    trigger: int


@dataclass
class World:
    servers: Servers
    api: pb_grpc.AIFlowServiceStub
    internal: pb_grpc.AIFlowInternalServiceStub
    main: Rows
    spare: Rows
    source: str
    source_uri: str

    def try_token(self, task_execution_id: int) -> str:
        assert self.servers.aiflow is not None
        token = self.servers.aiflow.authenticator.try_token(task_execution_id)
        assert token is not None
        return token


def _rows(name: str) -> Rows:
    snapshot = ops.list_workflow_snapshots(name, "team")[0].id
    execution = ops.start_workflow_execution(name, "team")
    tasks = wait_until(lambda: ops.list_task_executions(execution), what="a task execution")
    schedule = ops.add_workflow_schedule("interval@1 0 0 0", name, "team").id
    trigger = ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("k")), name, "team").id
    return Rows(name, snapshot, execution, tasks[0].id, schedule, trigger)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("access")
    with pytest.MonkeyPatch.context() as mp:
        servers = start_servers(tmp)
        mp.setenv("AIFLOW_HOME", str(servers.home))
        mp.setenv("AIFLOW_TOKEN", ADMIN)
        try:
            server = servers.start_aiflow(auth_tokens=TOKENS)
            ops.add_namespace("team")
            ops.add_namespace("other")
            path = servers.write(textwrap.dedent(WORKFLOWS))
            ops.upload_workflows(str(path))
            main, spare = _rows("wf"), _rows("spare")
            snapshot = ops.get_workflow_snapshot(main.snapshot)
            assert snapshot is not None
            api = pb_grpc.AIFlowServiceStub(grpc.insecure_channel(f"localhost:{server.port}"))
            internal = pb_grpc.AIFlowInternalServiceStub(
                grpc.insecure_channel(f"localhost:{server.internal_port}")
            )
            yield World(servers, api, internal, main, spare, path.read_text(), snapshot.uri)
        finally:
            stop_servers(servers)


Request = Callable[[World, Rows], Any]


def _ref(rows: Rows) -> pb.WorkflowRef:
    return pb.WorkflowRef(namespace="team", name=rows.workflow)


def _by_ref(w: World, r: Rows) -> pb.ListByWorkflowRequest:
    return pb.ListByWorkflowRequest(workflow=_ref(r))


@dataclass(frozen=True)
class Case:
    """How to call one RPC on namespace `team`; `destructive`: the right token gets the
    spare workflow's rows; `right`: the token that may make the call."""

    request: Request
    destructive: bool = False
    right: str = TEAM
    # Not refused for another namespace's token: the answer is filtered instead.
    filtered: bool = False


def _upload(w: World, r: Rows) -> pb.UploadWorkflowsRequest:
    return pb.UploadWorkflowsRequest(
        file_name="workflows.py", source=w.source, source_uri=w.source_uri
    )


CASES: dict[str, Case] = {
    "AddNamespace": Case(
        lambda w, r: pb.NamespaceRequest(namespace=pb.NamespaceProto(name="team"))
    ),
    "GetNamespace": Case(lambda w, r: pb.NameRequest(name="team")),
    "ListNamespaces": Case(lambda w, r: pb.ListNamespacesRequest(), filtered=True),
    "UpdateNamespace": Case(
        lambda w, r: pb.NamespaceRequest(namespace=pb.NamespaceProto(name="team"))
    ),
    # `team` still holds workflows: the right token gets a conflict, nothing is deleted.
    "DeleteNamespace": Case(lambda w, r: pb.NameRequest(name="team")),
    "UploadWorkflows": Case(_upload),
    "GetWorkflow": Case(lambda w, r: _ref(r)),
    "ListWorkflows": Case(lambda w, r: pb.ListWorkflowsRequest(namespace="team")),
    "DeleteWorkflow": Case(lambda w, r: _ref(r), destructive=True),
    "DisableWorkflow": Case(lambda w, r: _ref(r), destructive=True),
    "EnableWorkflow": Case(lambda w, r: _ref(r)),
    "GetWorkflowSnapshot": Case(lambda w, r: pb.IdRequest(id=r.snapshot)),
    "ListWorkflowSnapshots": Case(_by_ref),
    "DeleteWorkflowSnapshot": Case(lambda w, r: pb.IdRequest(id=r.snapshot), destructive=True),
    "DeleteWorkflowSnapshots": Case(lambda w, r: _ref(r), destructive=True),
    "StartWorkflowExecution": Case(lambda w, r: _ref(r), destructive=True),
    "StopWorkflowExecution": Case(lambda w, r: pb.IdRequest(id=r.execution), destructive=True),
    "StopWorkflowExecutions": Case(lambda w, r: _ref(r), destructive=True),
    "GetWorkflowExecution": Case(lambda w, r: pb.IdRequest(id=r.execution)),
    "ListWorkflowExecutions": Case(_by_ref),
    "DeleteWorkflowExecution": Case(lambda w, r: pb.IdRequest(id=r.execution), destructive=True),
    "GetTaskExecution": Case(lambda w, r: pb.IdRequest(id=r.task)),
    "ListTaskExecutions": Case(
        lambda w, r: pb.ListTaskExecutionsRequest(workflow_execution_id=r.execution)
    ),
    "StartTaskExecution": Case(
        lambda w, r: pb.TaskRef(workflow_execution_id=r.execution, task_name="sleeper"),
        destructive=True,
    ),
    "StopTaskExecution": Case(
        lambda w, r: pb.TaskRef(workflow_execution_id=r.execution, task_name="sleeper"),
        destructive=True,
    ),
    "AddWorkflowSchedule": Case(
        lambda w, r: pb.AddWorkflowScheduleRequest(workflow=_ref(r), expression="cron@0 0 1 1 *"),
        destructive=True,
    ),
    "GetWorkflowSchedule": Case(lambda w, r: pb.IdRequest(id=r.schedule)),
    "ListWorkflowSchedules": Case(_by_ref),
    "PauseWorkflowSchedule": Case(lambda w, r: pb.IdRequest(id=r.schedule)),
    "ResumeWorkflowSchedule": Case(lambda w, r: pb.IdRequest(id=r.schedule)),
    "DeleteWorkflowSchedule": Case(lambda w, r: pb.IdRequest(id=r.schedule), destructive=True),
    "DeleteWorkflowSchedules": Case(lambda w, r: _ref(r), destructive=True),
    "AddWorkflowTrigger": Case(
        lambda w, r: pb.AddWorkflowTriggerRequest(workflow=_ref(r), rule="not a rule"),
    ),
    "GetWorkflowTrigger": Case(lambda w, r: pb.IdRequest(id=r.trigger)),
    "ListWorkflowTriggers": Case(_by_ref),
    "PauseWorkflowTrigger": Case(lambda w, r: pb.IdRequest(id=r.trigger)),
    "ResumeWorkflowTrigger": Case(lambda w, r: pb.IdRequest(id=r.trigger)),
    "DeleteWorkflowTrigger": Case(lambda w, r: pb.IdRequest(id=r.trigger), destructive=True),
    "DeleteWorkflowTriggers": Case(lambda w, r: _ref(r), destructive=True),
    # Scheduler errors name events of every namespace: a global read.
    "ListSchedulerErrors": Case(lambda w, r: pb.ListSchedulerErrorsRequest(), right=ADMIN),
    "ExplainTaskExecution": Case(
        lambda w, r: pb.ExplainTaskExecutionRequest(
            task=pb.TaskRef(workflow_execution_id=r.execution, task_name="sleeper")
        )
    ),
    "ExplainEvent": Case(lambda w, r: pb.ExplainEventRequest(offset=1), right=ADMIN),
    "ExplainWorkflowExecution": Case(
        lambda w, r: pb.ExplainWorkflowExecutionRequest(id=r.execution)
    ),
    "ReplayWorkflow": Case(
        lambda w, r: pb.ReplayWorkflowRequest(
            file_name="workflows.py", source=w.source, workflow=r.workflow, namespace="team"
        )
    ),
}
# The internal RPC: a try wrong on purpose (99), so the right token's answer is a refusal
# of the try, never a change to the running one.
INTERNAL: dict[str, Request] = {
    "ClaimTask": lambda w, r: pb.ClaimTaskRequest(
        task_execution_id=r.task, try_number=99, token="x", host="h", pid=1
    ),
    "TaskHeartbeat": lambda w, r: pb.TaskHeartbeatRequest(
        task_execution_id=r.task, try_number=99, token="x"
    ),
    "RecordExternalJob": lambda w, r: pb.RecordExternalJobRequest(
        task_execution_id=r.task, try_number=99, token="x", job_ended=True
    ),
}


def _methods(service: str) -> set[str]:
    return {m.name for m in pb.DESCRIPTOR.services_by_name[service].methods}


def test_every_rpc_has_exactly_one_rule_and_one_case() -> None:
    api, internal = _methods("AIFlowService"), _methods("AIFlowInternalService")
    assert not api & internal, "method names must be unique across the services"
    assert set(RULES) == api | internal, "a method without an access rule (or a stale rule)"
    assert set(CASES) == api, "every API method needs a case in this test"
    assert set(INTERNAL) == internal, "every internal method needs a case in this test"
    for service in ("AIFlowService", "AIFlowInternalService"):
        for method in pb.DESCRIPTOR.services_by_name[service].methods:
            assert not method.client_streaming and not method.server_streaming, method.name


def _code(rpc: Callable[..., Any], request: Any, token: str | None) -> grpc.StatusCode:
    try:
        rpc(request, timeout=60, metadata=auth_metadata(token) or None)
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


def _details(rpc: Callable[..., Any], request: Any, token: str | None) -> str:
    with pytest.raises(grpc.RpcError) as caught:
        rpc(request, timeout=60, metadata=auth_metadata(token) or None)
    return str(caught.value.details())


@pytest.mark.parametrize("method", sorted(CASES))
def test_api_rpc(world: World, method: str) -> None:
    case = CASES[method]
    rpc = getattr(world.api, method)
    request = case.request(world, world.main)
    assert _code(rpc, request, None) == UNAUTHENTICATED
    assert "requires a token" in _details(rpc, request, None)
    assert _code(rpc, request, "not-a-token-of-this-server") == UNAUTHENTICATED
    assert _details(rpc, request, "wrong-token-xyz") == "the token is not valid for this server"
    if not case.filtered:
        assert _code(rpc, request, OTHER) == PERMISSION_DENIED
        # A try's token is no key to the API.
        assert _code(rpc, request, world.try_token(world.main.task)) == PERMISSION_DENIED
    right = case.request(world, world.spare) if case.destructive else request
    assert _code(rpc, right, case.right) not in AUTH_CODES


@pytest.mark.parametrize("method", sorted(INTERNAL))
def test_internal_rpc(world: World, method: str) -> None:
    rpc = getattr(world.internal, method)
    request = INTERNAL[method](world, world.main)
    assert _code(rpc, request, None) == UNAUTHENTICATED
    assert _code(rpc, request, "not-a-token-of-this-server") == UNAUTHENTICATED
    assert _code(rpc, request, OTHER) == PERMISSION_DENIED
    assert _code(rpc, request, READER) == PERMISSION_DENIED  # reading is not enough
    # The try token of another task execution (even of the same namespace).
    other_try = world.try_token(world.spare.task)
    assert _code(rpc, request, other_try) == PERMISSION_DENIED
    assert "may not act for task execution" in _details(rpc, request, other_try)
    forged = world.try_token(world.main.task)[:-1] + "0"
    if forged == world.try_token(world.main.task):
        forged = forged[:-1] + "1"
    assert _code(rpc, request, forged) == UNAUTHENTICATED
    assert _code(rpc, request, world.try_token(world.main.task)) not in AUTH_CODES
    assert _code(rpc, request, TEAM) not in AUTH_CODES


def test_scoped_tokens(world: World) -> None:
    listed = world.api.ListNamespaces

    def names(token: str, page: pb.Page | None = None) -> list[str]:
        request = pb.ListNamespacesRequest(page=page)
        return [n.name for n in listed(request, metadata=auth_metadata(token)).namespaces]

    assert names(OTHER) == ["other"]
    assert names(TEAM) == ["team"]
    assert names(READER) == ["team"]
    assert names(ADMIN) == ["default", "other", "team"]
    assert names(ADMIN, pb.Page(limit=1, offset=1)) == ["other"]
    assert names(TEAM, pb.Page(limit=1, offset=1)) == []
    # Read is not write.
    get = world.api.GetWorkflowExecution
    assert _code(get, pb.IdRequest(id=world.main.execution), READER) == grpc.StatusCode.OK
    start = world.api.StartWorkflowExecution
    assert (
        _details(start, _ref(world.main), READER) == "token 'reader' may not write namespace 'team'"
    )
    # An id nobody has is NOT_FOUND for a scoped token too (ids are no secrets).
    missing = pb.IdRequest(id=10**9)
    assert _code(get, missing, OTHER) == grpc.StatusCode.NOT_FOUND


def test_user_calls_are_recorded_with_the_token_name(world: World) -> None:
    started = ops.explain_workflow_execution(world.main.execution)["started_by"]
    assert (started["source"], started["detail"]) == ("USER", "started by a user (token 'admin')")
    execution = world.api.StartWorkflowExecution(_ref(world.main), metadata=auth_metadata(TEAM)).id
    started = ops.explain_workflow_execution(execution)["started_by"]
    assert started["detail"] == "started by a user (token 'team')"
    # A START of the alive sleeper is recorded (skipped) with the token too.
    ref = pb.TaskRef(workflow_execution_id=execution, task_name="sleeper")
    world.api.StartTaskExecution(ref, metadata=auth_metadata(TEAM))
    newest = ops.explain_workflow_execution(execution)["decisions"][0]
    assert newest["detail"].startswith("call by a user (token 'team'): START skipped")
    world.api.StopWorkflowExecution(pb.IdRequest(id=execution), metadata=auth_metadata(TEAM))
    newest = ops.explain_workflow_execution(execution)["decisions"]
    assert "stopped by a user (token 'team')" in [d["detail"] for d in newest]


def test_an_upload_into_a_foreign_namespace_stores_nothing(world: World) -> None:
    other_file = WORKFLOWS.replace("name='wf'", "name='sneaky'")
    request = _upload(world, world.main)
    request.source = textwrap.dedent(other_file)
    details = _details(world.api.UploadWorkflows, request, OTHER)
    assert details == "token 'other' may not write namespace 'team'"
    assert _code(world.api.GetWorkflow, pb.WorkflowRef(namespace="team", name="sneaky"), ADMIN) == (
        grpc.StatusCode.NOT_FOUND
    )
    # A read-only token does not even get its file evaluated.
    details = _details(world.api.UploadWorkflows, request, READER)
    assert details == "token 'reader' may not write any namespace"


def test_tasks_run_with_their_try_token(world: World) -> None:
    """The running sleepers claimed their tries and heartbeat through the RPC with auth
    on: their rows say RUNNING with a pid."""

    def running() -> bool:
        row = world.servers.task_row(world.main.task)
        return str(getattr(row.status, "value", row.status)) == "RUNNING" and bool(row.pid)

    wait_until(running, what="the sleeper to run")


def test_ops_errors(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIFLOW_TOKEN")
    with pytest.raises(ops.AuthenticationError, match="requires a token"):
        ops.list_namespaces()
    monkeypatch.setenv("AIFLOW_TOKEN", "wrong-token-xyz")
    with pytest.raises(ops.AuthenticationError, match="^the token is not valid for this server$"):
        ops.get_workflow_execution(world.main.execution)
    monkeypatch.setenv("AIFLOW_TOKEN", OTHER)
    with pytest.raises(ops.PermissionDeniedError, match="may not read namespace 'team'"):
        ops.get_workflow_execution(world.main.execution)
    monkeypatch.setenv("AIFLOW_TOKEN", READER)
    assert [n.name for n in ops.list_namespaces()] == ["team"]
    # Another server of an HA list would refuse the token too: it is not tried.
    assert world.servers.aiflow is not None
    ops.set_server_address(f"localhost:{world.servers.aiflow.port},localhost:{free_port()}")
    try:
        with pytest.raises(ops.PermissionDeniedError):
            ops.start_workflow_execution("wf", "team")
        monkeypatch.setenv("AIFLOW_TOKEN", "wrong-token-xyz")
        with pytest.raises(ops.AuthenticationError):
            ops.list_namespaces()
    finally:
        ops.set_server_address(f"localhost:{world.servers.aiflow.port}")


def test_ops_reads_the_token_from_the_client_config(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIFLOW_TOKEN")
    config = Path(os.environ["AIFLOW_HOME"]) / "aiflow_client.yaml"
    config.write_text(f"token: {READER}\n")
    try:
        assert [n.name for n in ops.list_namespaces()] == ["team"]
    finally:
        config.unlink()


def test_an_open_server_on_the_network_warns_at_start(
    servers_factory: Callable[..., Servers], caplog: pytest.LogCaptureFixture
) -> None:
    servers = servers_factory(aiflow=False)
    with caplog.at_level(logging.WARNING, logger="ai_flow.server"):
        servers.start_aiflow(host="0.0.0.0")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        "listening on 0.0.0.0 without auth_tokens: anyone who can reach this host can use "
        "the server; add auth_tokens to aiflow_server.yaml"
    ) in warnings
    # Without tokens nothing is checked and tries get no token.
    assert servers.aiflow is not None and not servers.aiflow.authenticator.enabled
    assert [n.name for n in ops.list_namespaces()] == ["default"]
    caplog.clear()
    servers.stop_aiflow()
    with caplog.at_level(logging.WARNING, logger="ai_flow.server"):
        servers.start_aiflow(host="0.0.0.0", auth_tokens=TOKENS)
    assert not [r for r in caplog.records if "without auth_tokens" in r.getMessage()]
