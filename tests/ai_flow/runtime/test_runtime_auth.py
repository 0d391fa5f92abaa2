"""A runtime against an internal RPC with auth_tokens: the try token of its spec opens
the claim, heartbeats and records (on every server it fails over to); without it, or
with another try's, the claim is refused and nothing runs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from taskenv import TaskEnv, statuses, wait_for_statuses
from test_runtime_failover import _dead_address
from test_task_runtime import WORKFLOW, run

from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.runtime import TaskContext, TaskSpec
from ai_flow.server._access import AccessInterceptor
from ai_flow.server._internal_service import InternalServicer
from notification_service.client import NotificationClient
from notification_service.server import NotificationServer
from notification_service.settings import NotificationServerSettings
from notification_service.storage import make_engine, upgrade
from notification_service.util.auth import Authenticator, TokenGrant

AUTH = Authenticator([TokenGrant(name="admin", token="admin-token-0123456789")])


@pytest.fixture
def guarded(task_env: TaskEnv) -> Iterator[str]:
    """The internal RPC of a server with auth_tokens, on the same database."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        interceptors=[AccessInterceptor(task_env.app, AUTH)],
    )
    pb_grpc.add_AIFlowInternalServiceServicer_to_server(InternalServicer(task_env.app), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(0).wait()


def test_the_try_token_opens_the_internal_rpc_across_a_failover(
    task_env: TaskEnv, guarded: str
) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    token = AUTH.try_token(spec.task_execution_id)
    spec = dataclasses.replace(
        spec, server_address=f"{_dead_address()},{guarded}", server_token=token
    )
    assert run(task_env, spec) == 0, task_env.log(spec)
    wait_for_statuses(task_env, spec, ["RUNNING", "SUCCESS"])


def test_without_its_token_a_try_is_refused(task_env: TaskEnv, guarded: str) -> None:
    task_env.upload(WORKFLOW)
    spec = dataclasses.replace(task_env.try_of("wf", "ok"), server_address=guarded)
    assert run(task_env, spec) == 1
    assert "cannot claim the try" in task_env.log(spec)
    assert "this server requires a token" in task_env.log(spec)
    other = AUTH.try_token(spec.task_execution_id + 1000)
    assert run(task_env, dataclasses.replace(spec, server_token=other)) == 1
    assert f"may not act for task execution {spec.task_execution_id}" in task_env.log(spec)
    assert statuses(task_env.ns.client, spec) == []
    assert task_env.row(spec).claim_token is None


def test_the_spec_carries_the_tokens_and_old_specs_load() -> None:
    spec_fields = {f.name for f in dataclasses.fields(TaskSpec)}
    assert {"server_token", "notification_token"} <= spec_fields
    context = TaskContext("ns", "wf", "t", 1, 2, 1, 1, "localhost:1", "ns-token")
    assert TaskContext.from_json(context.to_json()) == context
    data = json.loads(context.to_json())
    del data["notification_token"]  # a context from an older runtime
    data["from_a_newer_one"] = 1
    assert TaskContext.from_json(json.dumps(data)).notification_token is None


SENDER = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.notification import AIFlowNotificationClient
    from ai_flow.operators.python import PythonOperator

    def send():
        with AIFlowNotificationClient() as client:
            client.send_event("from_user_code", "hi")

    with Workflow(name="sender") as wf:
        PythonOperator(name="send", python_callable=send)
"""
NS_TOKEN = "ns-token-0123456789"


def test_statuses_and_user_events_carry_the_notification_token(
    task_env: TaskEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFICATION_TOKEN", raising=False)
    uri = f"sqlite:///{tmp_path}/guarded_ns.db"
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    settings = NotificationServerSettings(
        db_uri=uri, server_port=0, host="127.0.0.1", auth_tokens=[{"token": NS_TOKEN}]
    )
    server = NotificationServer(settings)
    port = server.start()
    client = NotificationClient(f"localhost:{port}", token=NS_TOKEN)
    try:
        task_env.upload(SENDER)
        spec = dataclasses.replace(
            task_env.try_of("sender", "send"),
            notification_server_uri=f"localhost:{port}",
            notification_token=NS_TOKEN,
        )
        assert run(task_env, spec) == 0, task_env.log(spec)
        assert statuses(client, spec) == ["RUNNING", "SUCCESS"]
        [event] = client.list_events(["from_user_code"], namespace="default")
        assert event.value == "hi"
    finally:
        client.close()
        server.stop(grace=0.5)
