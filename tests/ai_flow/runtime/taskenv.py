"""Shared fixtures of the runtime/executor/notification tests: a real notification
server, an AIFLOW_HOME, workflow files and specs. Imported by the conftests."""

from __future__ import annotations

import itertools
import json
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ai_flow.executor import LocalTaskLauncher, make_task_spec
from ai_flow.executor._process import kill_all
from ai_flow.model.internal.events import task_status_event_key
from ai_flow.runtime import TaskSpec
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


@pytest.fixture
def aiflow_home(tmp_path: Path) -> Path:
    home = tmp_path / "aiflow"
    home.mkdir()
    return home


@pytest.fixture(params=["subprocess", "fork_server"])
def launcher(request: pytest.FixtureRequest) -> Iterator[LocalTaskLauncher]:
    """A launcher (fresh interpreter per task, or forked from the pre-imported fork
    server); tasks still alive at teardown are killed with everything they spawned."""
    launcher = LocalTaskLauncher(fork_server=request.param == "fork_server")
    yield launcher
    launcher.close()
    for spec in list(launcher._tracked.values()):
        pid = launcher.running_pid(spec)
        if pid is not None:
            from ai_flow.executor._process import descendants

            kill_all(descendants(pid) + [pid])


@pytest.fixture
def write_workflow(tmp_path: Path) -> Callable[[str], Path]:
    """Write a workflow source file (dedented) as a snapshot; returns its path."""
    counter = itertools.count()

    def write(source: str) -> Path:
        directory = tmp_path / "snapshots" / str(next(counter))
        directory.mkdir(parents=True)
        path = directory / "workflow.py"
        path.write_text(textwrap.dedent(source))
        return path

    return write


@pytest.fixture
def new_spec(aiflow_home: Path, ns_server: NsServer) -> Callable[..., TaskSpec]:
    """A spec for ``task`` of ``workflow`` in ``snapshot`` with fresh execution ids."""

    def make(snapshot: Path, task: str, workflow: str = "wf", **kwargs: object) -> TaskSpec:
        n = next(_ids)
        options: dict[str, object] = {
            "workflow_execution_id": 100 + n,
            "task_execution_id": 1000 + n,
            "sequence_number": 1,
            "namespace": "default",
            "heartbeat_interval": 0.2,
        }
        options.update(kwargs)
        return make_task_spec(
            aiflow_home,
            task_name=task,
            workflow_name=workflow,
            snapshot_path=str(snapshot),
            notification_server_uri=ns_server.uri,
            **options,  # type: ignore[arg-type]
        )

    return make


def status_events(client: NotificationClient, spec: TaskSpec) -> list[Event]:
    return [
        e
        for e in client.list_events(task_status_event_key(spec.workflow_name, spec.task_name))
        if json.loads(e.context or "{}").get("task_execution_id") == spec.task_execution_id
    ]


def statuses(client: NotificationClient, spec: TaskSpec) -> list[str]:
    return [e.value or "" for e in status_events(client, spec)]


def wait_for_statuses(
    client: NotificationClient, spec: TaskSpec, expected: list[str], timeout: float = 20.0
) -> list[str]:
    """Wait until the status events of ``spec`` are ``expected`` (or longer); returns them."""
    deadline = time.monotonic() + timeout
    while True:
        got = statuses(client, spec)
        if len(got) >= len(expected) or time.monotonic() > deadline:
            assert got == expected, f"log:\n{read_log(spec)}"
            return got
        time.sleep(0.05)


def wait_until(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def read_log(spec: TaskSpec) -> str:
    try:
        return Path(spec.log_path).read_text()
    except FileNotFoundError:
        return "<no log>"
