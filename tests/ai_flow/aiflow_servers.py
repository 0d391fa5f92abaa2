"""Real servers for the server, scheduler and ops tests.

A notification server and an AIFlow server run in this process on free ports, with a
fresh AIFLOW_HOME; `ai_flow.ops` points at them. Task processes are real; any left
alive at teardown are killed. Imported by the conftests of those test folders.
"""

from __future__ import annotations

import os
import signal
import socket
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ai_flow import metadata, ops
from ai_flow.metadata import RuleStateRow, TaskExecutionRow, read_session
from ai_flow.runtime._files import read_lock_record
from ai_flow.server import AIFlowServer
from ai_flow.settings import AIFlowServerSettings
from notification_service.client import NotificationClient
from notification_service.server import NotificationServer
from notification_service.settings import NotificationServerSettings
from notification_service.storage import make_engine, upgrade

FINISHED = ("SUCCESS", "FAILED", "STOPPED")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll until `predicate()` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.05)


def kill_task_processes(home: Path) -> None:
    """SIGKILL the process group of every task whose lock record names a live pid."""
    for lock in home.glob("working_dir/*/*/.aiflow/*.lock"):
        record = read_lock_record(str(lock))
        if record is None or not record.pid:
            continue
        try:
            os.killpg(record.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def prepare_home(home: Path, metadata_uri: str, ns_uri: str | None = None) -> None:
    """Create the notification and metadata schemas a server run needs."""
    home.mkdir(parents=True, exist_ok=True)
    if ns_uri is not None:
        engine = make_engine(ns_uri)
        upgrade(engine)
        engine.dispose()
    engine = metadata.make_engine(metadata_uri)
    metadata.upgrade(engine)
    engine.dispose()


@dataclass
class Servers:
    """Both servers, the home and helpers to drive a workflow through ops."""

    home: Path
    metadata_uri: str
    ns_server: NotificationServer
    ns_port: int
    client: NotificationClient
    aiflow: AIFlowServer | None = None
    engine: Any = None
    _counter: int = 0

    @property
    def ns_uri(self) -> str:
        return f"localhost:{self.ns_port}"

    # AIFlow server lifecycle

    def settings(self, **overrides: Any) -> AIFlowServerSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "rpc_port": 0,
            "internal_rpc_port": 0,
            "rest_port": 0,
            "metadata_backend_uri": self.metadata_uri,
            "notification_server_uri": self.ns_uri,
            "task_heartbeat_interval": 1,
        }
        values.update(overrides)
        return AIFlowServerSettings(**values)

    def start_aiflow(self, **overrides: Any) -> AIFlowServer:
        server = AIFlowServer(self.settings(**overrides), self.home)
        server.runner.check_interval = 0.3  # notice dead tasks quickly
        port = server.start()
        ops.set_server_address(f"localhost:{port}")
        self.aiflow = server
        return server

    def stop_aiflow(self) -> None:
        if self.aiflow is not None:
            self.aiflow.stop(grace=0.5)
            self.aiflow = None

    def restart_aiflow(self, **kwargs: Any) -> AIFlowServer:
        self.stop_aiflow()
        return self.start_aiflow(**kwargs)

    # Workflows

    def write(self, source: str, name: str | None = None) -> Path:
        """Write a workflow file (dedented) into a fresh directory; returns its path."""
        self._counter += 1
        directory = self.home.parent / "files" / str(self._counter)
        directory.mkdir(parents=True)
        path = directory / (name or "workflow.py")
        path.write_text(textwrap.dedent(source))
        return path

    def upload(self, source: str, name: str | None = None) -> list[ops.WorkflowMeta]:
        return ops.upload_workflows(str(self.write(source, name)))

    def run(self, source: str, workflow: str, namespace: str = "default") -> int:
        """Upload `source` and start an execution of `workflow`; returns its id."""
        self.upload(source)
        return ops.start_workflow_execution(workflow, namespace)

    # Observations

    def tasks(self, execution_id: int) -> list[ops.TaskExecutionMeta]:
        return sorted(
            ops.list_task_executions(execution_id), key=lambda t: (t.task_name, t.sequence_number)
        )

    def statuses(self, execution_id: int) -> dict[str, list[str]]:
        """task name -> statuses of its runs, in sequence order."""
        out: dict[str, list[str]] = {}
        for t in self.tasks(execution_id):
            out.setdefault(t.task_name, []).append(t.status)
        return out

    def wait_tasks(
        self, execution_id: int, expected: dict[str, list[str]], timeout: float = 30.0
    ) -> None:
        def matches() -> bool:
            got = self.statuses(execution_id)
            return all(got.get(k) == v for k, v in expected.items())

        try:
            wait_until(matches, timeout, f"task statuses {expected}")
        except AssertionError:
            raise AssertionError(
                f"expected {expected}, got {self.statuses(execution_id)}"
            ) from None

    def wait_execution(self, execution_id: int, status: str, timeout: float = 30.0) -> None:
        def reached() -> bool:
            execution = ops.get_workflow_execution(execution_id)
            return execution is not None and execution.status == status

        try:
            wait_until(reached, timeout, f"execution {execution_id} to be {status}")
        except AssertionError:
            got = ops.get_workflow_execution(execution_id)
            raise AssertionError(
                f"execution is {got and got.status}, not {status}; tasks: "
                f"{self.statuses(execution_id)}"
            ) from None

    def db(self) -> Any:
        if self.engine is None:
            self.engine = metadata.make_engine(self.metadata_uri)
        return metadata.session_factory(self.engine)

    def task_row(self, task_execution_id: int) -> TaskExecutionRow:
        with read_session(self.db()) as session:
            row = session.get(TaskExecutionRow, task_execution_id)
            session.expunge(row)
            return row

    def rule_states(self, execution_id: int) -> dict[tuple[str, str], Any]:
        """(scope, name) -> value of every rule state of the execution."""
        from sqlalchemy import select

        with read_session(self.db()) as session:
            rows = session.execute(
                select(RuleStateRow.scope, RuleStateRow.name, RuleStateRow.value).where(
                    RuleStateRow.workflow_execution_id == execution_id
                )
            )
            return {(scope, name): value for scope, name, value in rows}

    def scheduler_offset(self) -> int:
        with read_session(self.db()) as session:
            return metadata.offsets.get_offset(session)

    def wait_scheduled(self, timeout: float = 30.0) -> None:
        """Until the scheduler committed every event stored so far."""
        latest = self.client.get_latest_offset()
        wait_until(lambda: self.scheduler_offset() >= latest, timeout, f"offset {latest}")


def start_servers(tmp_path: Path, metadata_uri: str | None = None) -> Servers:
    home = tmp_path / "aiflow_home"
    ns_uri = f"sqlite:///{tmp_path}/ns.db"
    metadata_uri = metadata_uri or f"sqlite:///{home}/aiflow.db"
    prepare_home(home, metadata_uri, ns_uri)
    ns_server = NotificationServer(
        NotificationServerSettings(db_uri=ns_uri, server_port=0, host="127.0.0.1")
    )
    ns_port = ns_server.start()
    servers = Servers(
        home, metadata_uri, ns_server, ns_port, NotificationClient(f"localhost:{ns_port}")
    )
    return servers


def stop_servers(servers: Servers) -> None:
    try:
        servers.stop_aiflow()
    finally:
        kill_task_processes(servers.home)
        servers.client.close()
        servers.ns_server.stop(grace=0.5)
        if servers.engine is not None:
            servers.engine.dispose()
        ops.set_server_address(None)


@pytest.fixture
def servers_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Servers]]:
    """Start a notification server and (unless `aiflow=False`) an AIFlow server."""
    started: list[Servers] = []

    def make(metadata_uri: str | None = None, aiflow: bool = True, **kwargs: Any) -> Servers:
        servers = start_servers(tmp_path, metadata_uri)
        started.append(servers)
        monkeypatch.setenv("AIFLOW_HOME", str(servers.home))
        if aiflow:
            servers.start_aiflow(**kwargs)
        return servers

    yield make
    for servers in started:
        stop_servers(servers)


@pytest.fixture
def servers(servers_factory: Callable[..., Servers]) -> Servers:
    """Both servers on SQLite, ops pointed at the AIFlow server."""
    return servers_factory()
