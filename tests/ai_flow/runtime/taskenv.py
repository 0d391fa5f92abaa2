"""Shared fixtures of the runtime/executor/notification tests: what a task runtime talks
to, for real — a notification server, and the AIFlow server's internal RPC (claims and
heartbeats) over a real socket on a real metadata database — without the scheduler or
the command runner: the tests play those, building specs and submitting them.
Imported by the conftests."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import signal
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from ai_flow import metadata
from ai_flow.app import App, executions, namespaces, workflows
from ai_flow.blob_manager import create_blob_manager
from ai_flow.evaluator import EvaluatorPool
from ai_flow.executor import LocalTaskExecutor
from ai_flow.executor._process import descendants, kill_all
from ai_flow.metadata import task_executions
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.internal.events import task_status_event_key
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.runtime import TaskSpec, read_lock_record, task_paths
from ai_flow.scheduler import SnapshotStore, start_task
from ai_flow.server._internal_service import InternalServicer
from ai_flow.server._tasks import SpecFactory
from ai_flow.settings import LOCAL_BLOB_MANAGER
from notification_service.client import Event, NotificationClient
from notification_service.server import NotificationServer
from notification_service.settings import NotificationServerSettings
from notification_service.storage import make_engine, upgrade

_ids = itertools.count(1)


@dataclass
class NsServer:
    server: NotificationServer
    port: int
    client: NotificationClient

    @property
    def uri(self) -> str:
        return f"localhost:{self.port}"


@pytest.fixture
def ns_server(tmp_path: Path) -> Iterator[NsServer]:
    """A real notification server on a fresh SQLite file, in this process."""
    uri = f"sqlite:///{tmp_path}/ns.db"
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    server = NotificationServer(
        NotificationServerSettings(db_uri=uri, server_port=0, host="127.0.0.1")
    )
    port = server.start()
    client = NotificationClient(f"localhost:{port}")
    yield NsServer(server, port, client)
    client.close()
    server.stop(grace=0.5)


class TaskEnv:
    """An AIFLOW_HOME with a metadata database, the internal RPC and a blob store."""

    def __init__(self, home: Path, ns: NsServer) -> None:
        self.home = home
        self.ns = ns
        uri = f"sqlite:///{home}/aiflow.db"
        self.engine = metadata.make_engine(uri)
        metadata.upgrade(self.engine)
        self.blob_config = {"root_directory": str(home / "blob")}
        self.blobs = create_blob_manager(LOCAL_BLOB_MANAGER, self.blob_config)
        snapshots = SnapshotStore(home / "snapshots", self.blobs)
        self.evaluators = EvaluatorPool(snapshots.directory, home / "logs")
        factory = metadata.session_factory(self.engine)
        self.app = App(factory, threading.Lock(), snapshots, self.evaluators)
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        pb_grpc.add_AIFlowInternalServiceServicer_to_server(InternalServicer(self.app), self._grpc)
        self.internal_port = self._grpc.add_insecure_port("127.0.0.1:0")
        self._grpc.start()
        self.specs = SpecFactory(
            snapshots,
            ns.uri,
            f"127.0.0.1:{self.internal_port}",
            LOCAL_BLOB_MANAGER,
            self.blob_config,
            heartbeat_interval=0.2,
            stop_timeout=10.0,
        )
        self._files = itertools.count()

    def close(self) -> None:
        self._grpc.stop(0.5).wait()
        self.evaluators.close()
        self.engine.dispose()

    def stop_internal_rpc(self) -> None:
        self._grpc.stop(0).wait()

    def second_internal_rpc(self) -> tuple[grpc.Server, int]:
        """Another server's internal RPC on the same database (as a standby serves it)."""
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        pb_grpc.add_AIFlowInternalServiceServicer_to_server(InternalServicer(self.app), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        return server, port

    def upload(self, source: str, name: str = "workflow.py", namespace: str | None = None) -> None:
        """Store a workflow file (dedented) as a new snapshot, as an upload does."""
        if namespace and namespace != "default":
            try:
                namespaces.add_namespace(self.app, namespace, None)
            except metadata.AlreadyExistsError:
                pass
        directory = self.home.parent / "files" / str(next(self._files))
        directory.mkdir(parents=True)
        path = directory / name
        path.write_text(textwrap.dedent(source))
        workflows.upload_workflows(
            self.app, name, path.read_text(), self.blobs.upload(str(path)), []
        )

    def try_of(
        self, workflow: str, task: str, namespace: str = "default", **spec: object
    ) -> TaskSpec:
        """A queued run of `task` in a new execution of the workflow's latest snapshot."""
        execution, _ = executions.start_execution(self.app, namespace, workflow)
        with self.app.scheduling() as s:
            row = task_executions.latest_task_execution(s, execution.id, task)
            if row is None:
                row = start_task(s, execution.id, task, ExecutionType.MANUAL)
            assert row is not None
            te_id = row.id
        return self.spec(te_id, **spec)

    def spec(self, te_id: int, **overrides: object) -> TaskSpec:
        with self.app.read() as s:
            spec = self.specs.spec(*task_executions.get_with_context(s, te_id))
        return dataclasses.replace(spec, **overrides) if overrides else spec

    def retry(self, spec: TaskSpec) -> TaskSpec:
        """The next try of the spec's task execution (as a retry decides)."""
        with self.app.write() as s:
            task_executions.update_task_status(s, spec.task_execution_id, "FAILED")
            task_executions.start_retry(s, spec.task_execution_id)
        return self.spec(spec.task_execution_id)

    def stop(self, spec: TaskSpec, reason: str = "USER") -> None:
        with self.app.write() as s:
            task_executions.set_stopping(s, spec.task_execution_id, reason)

    def row(self, spec: TaskSpec) -> metadata.TaskExecutionRow:
        with self.app.read() as s:
            return task_executions.get_task_execution(s, spec.task_execution_id)

    def log_path(self, spec: TaskSpec) -> Path:
        return task_paths(
            self.home,
            spec.workflow_name,
            spec.workflow_execution_id,
            spec.task_name,
            spec.sequence_number,
            spec.snapshot.file_name,
        ).log_path

    def log(self, spec: TaskSpec) -> str:
        try:
            return self.log_path(spec).read_text()
        except FileNotFoundError:
            return "<no log>"

    def kill_leftovers(self) -> None:
        for lock in self.home.glob("working_dir/*/*/.aiflow/*.lock"):
            record = read_lock_record(str(lock))
            if record is not None:
                kill_all(descendants(record.pid) + [record.pid])


@pytest.fixture
def aiflow_home(tmp_path: Path) -> Path:
    home = tmp_path / "aiflow"
    home.mkdir()
    return home


@pytest.fixture
def task_env(aiflow_home: Path, ns_server: NsServer) -> Iterator[TaskEnv]:
    env = TaskEnv(aiflow_home, ns_server)
    yield env
    env.kill_leftovers()
    env.close()


@pytest.fixture(params=["subprocess", "fork_server"])
def executor(request: pytest.FixtureRequest, task_env: TaskEnv) -> Iterator[LocalTaskExecutor]:
    """A local executor (fresh interpreter per task, or forked from the pre-imported fork
    server); tasks still alive at teardown are killed with everything they spawned."""
    executor = LocalTaskExecutor(task_env.home, fork_server=request.param == "fork_server")
    yield executor
    executor.close()
    task_env.kill_leftovers()


def status_events(client: NotificationClient, spec: TaskSpec) -> list[Event]:
    """Status events of the spec's try."""
    return [
        e
        for e in client.list_events(task_status_event_key(spec.workflow_name, spec.task_name))
        if json.loads(e.context or "{}").get("task_execution_id") == spec.task_execution_id
        and json.loads(e.context or "{}").get("try_number") == spec.try_number
    ]


def statuses(client: NotificationClient, spec: TaskSpec) -> list[str]:
    return [e.value or "" for e in status_events(client, spec)]


def wait_for_statuses(
    env: TaskEnv, spec: TaskSpec, expected: list[str], timeout: float = 20.0
) -> list[str]:
    """Wait until the status events of ``spec`` are ``expected`` (or longer); returns them."""
    deadline = time.monotonic() + timeout
    while True:
        got = statuses(env.ns.client, spec)
        if len(got) >= len(expected) or time.monotonic() > deadline:
            assert got == expected, f"log:\n{env.log(spec)}"
            return got
        time.sleep(0.05)


def wait_until(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def signal_quietly(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
