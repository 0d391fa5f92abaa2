"""Fixtures of the notification service tests: schema set-up, in-process and child servers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from notification_service.client import Event, ListenerProcessor
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.server import NotificationServer
from notification_service.settings import NotificationServerSettings
from notification_service.storage import make_engine, upgrade

# Child process entry point: settings as JSON in argv[1], then serve until signalled.
SERVER_SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from notification_service.server import run_server
from notification_service.settings import NotificationServerSettings
run_server(NotificationServerSettings(**json.loads(sys.argv[1])))
"""


def pick_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_schema(db_uri: str) -> None:
    """Create the event log tables at the newest revision."""
    engine = make_engine(db_uri)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def wait_ready(uri: str, timeout: float = 15.0) -> None:
    """Block until a server answers GetLatestOffset on `uri`."""
    deadline = time.monotonic() + timeout
    while True:
        with grpc.insecure_channel(uri) as channel:
            try:
                pb_grpc.NotificationServiceStub(channel).GetLatestOffset(
                    pb.LatestOffsetRequest(), timeout=1.0, wait_for_ready=True
                )
                return
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.05)


class ServerProcess:
    """A notification server in a child process, killable with SIGKILL and restartable."""

    def __init__(self, log_dir: Path, **settings: object) -> None:
        settings.setdefault("host", "127.0.0.1")
        settings.setdefault("server_port", pick_port())
        self.settings = settings
        self.port = int(settings["server_port"])  # type: ignore[arg-type]
        self.uri = f"127.0.0.1:{self.port}"
        self._log_path = log_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        log = open(self._log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER_SCRIPT, json.dumps(self.settings)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_ready(self.uri, timeout)
        except grpc.RpcError:
            self.kill()
            raise RuntimeError(f"server did not start: {self.log_tail()}") from None
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        try:
            return self._log_path.read_text()[-3000:]
        except OSError:
            return ""


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Factory of started child servers; all are killed at teardown."""
    started: list[ServerProcess] = []

    def make(**settings: object) -> ServerProcess:
        server = ServerProcess(tmp_path, **settings)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.kill()


@pytest.fixture
def inproc_server(tmp_path: Path) -> Iterator[Callable[..., NotificationServer]]:
    """Factory of in-process servers on a fresh SQLite file (or a given db_uri)."""
    servers: list[NotificationServer] = []

    def make(**settings: object) -> NotificationServer:
        settings.setdefault("db_uri", f"sqlite:///{tmp_path}/ns-{len(servers)}.db")
        settings.setdefault("server_port", 0)
        settings.setdefault("host", "127.0.0.1")
        init_schema(str(settings["db_uri"]))
        server = NotificationServer(NotificationServerSettings(**settings))
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop(grace=0.5)


class Collector(ListenerProcessor):
    """Records delivered events with their arrival time; lets tests wait for a count."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.arrivals: list[float] = []
        self._cond = threading.Condition()

    def process(self, events: list[Event]) -> None:
        now = time.perf_counter()
        with self._cond:
            self.events.extend(events)
            self.arrivals.extend([now] * len(events))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Event]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)


@pytest.fixture
def new_collector() -> Callable[[], Collector]:
    """Factory of listener processors that record what they receive."""
    return Collector


@pytest.fixture
def new_port() -> Callable[[], int]:
    """Factory of free TCP ports."""
    return pick_port


@pytest.fixture
def make_schema() -> Callable[[str], None]:
    """Initialise the event log schema on a database URI."""
    return init_schema
