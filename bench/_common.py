"""Shared pieces of the benchmarks: temp databases and AIFlow homes, server processes,
workflow upload and status waits, tables."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# First, as in a user's program: it picks gRPC's native paths before grpc loads (grpc_core).
import notification_service.client  # noqa: F401

# isort: split
import grpc
from sqlalchemy import create_engine, text

from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.storage import make_engine, upgrade

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SERVER_SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING)
from notification_service.server import run_server
from notification_service.settings import NotificationServerSettings
run_server(NotificationServerSettings(**json.loads(sys.argv[1])))
"""
AIFLOW_SERVER_SCRIPT = """
import json, logging, sys
from pathlib import Path
logging.basicConfig(level=logging.WARNING)
from ai_flow.server import run_server
from ai_flow.settings import AIFlowServerSettings
cfg = json.loads(sys.argv[1])
run_server(AIFlowServerSettings(**cfg["settings"]), Path(cfg["home"]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def temp_database(backend: str) -> Iterator[str]:
    """A fresh database with the schema, removed afterwards: 'sqlite' or 'postgres'."""
    if backend == "sqlite":
        tmp = tempfile.mkdtemp(prefix="ns-bench-")
        uri = f"sqlite:///{tmp}/ns.db"
        _init(uri)
        try:
            yield uri
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if backend != "postgres":
        raise ValueError(backend)
    name = f"ns_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    uri = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        _init(uri)
        yield uri
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _init(uri: str) -> None:
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()


def start_notification_server(db_uri: str, **settings: object) -> tuple[subprocess.Popen, str]:
    """A notification server in a child process on a free port, once it answers; returns
    the process and its host:port."""
    port = free_port()
    cfg = {"db_uri": db_uri, "server_port": port, "host": "127.0.0.1", **settings}
    proc = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, json.dumps(cfg)])
    uri = f"127.0.0.1:{port}"
    try:
        _wait_ready(uri, proc)
    except BaseException:
        stop_process(proc)
        raise
    return proc, uri


@contextlib.contextmanager
def server_process(db_uri: str, **settings: object) -> Iterator[str]:
    """A notification server in a child process; yields its host:port."""
    proc, uri = start_notification_server(db_uri, **settings)
    try:
        yield uri
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    """Until 127.0.0.1:`port` accepts connections; fails early if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server for port {port} exited during start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def start_aiflow_server(
    home: Path,
    settings: Mapping[str, object],
    rpc_port: int | None = None,
    log: IO[bytes] | None = None,
) -> tuple[subprocess.Popen, int]:
    """An AIFlow server in a child process, once its API port is open; returns the
    process and that port. `settings` are AIFlowServerSettings fields besides rpc_port;
    the ports default to free ones (several servers run on one host). Output goes to
    `log` if given."""
    port = rpc_port or free_port()
    fields = {
        "internal_rpc_port": free_port(),
        "rest_port": free_port(),
        **settings,
        "rpc_port": port,
    }
    cfg = json.dumps({"settings": fields, "home": str(home)})
    proc = subprocess.Popen(
        [sys.executable, "-c", AIFLOW_SERVER_SCRIPT, cfg], stdout=log, stderr=log
    )
    try:
        wait_port(port, proc)
    except BaseException:
        stop_process(proc)
        raise
    return proc, port


@contextlib.contextmanager
def aiflow_home(prefix: str) -> Iterator[Path]:
    """A fresh AIFLOW_HOME (set in os.environ for this process and its children)."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["AIFLOW_HOME"] = str(home)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def upgrade_metadata(uri: str) -> None:
    """Create the AIFlow metadata schema in `uri`."""
    from ai_flow import metadata

    engine = metadata.make_engine(uri)
    metadata.upgrade(engine)
    engine.dispose()


@dataclass(frozen=True)
class AIFlowStack:
    ns_uri: str  # the notification server's host:port
    af_addr: str  # the AIFlow server's host:port; ai_flow.ops points at it
    home: Path
    pids: list[int]  # notification server, AIFlow server


@contextlib.contextmanager
def aiflow_stack(prefix: str, **settings: object) -> Iterator[AIFlowStack]:
    """A notification and an AIFlow server in child processes, both on SQLite in a fresh
    AIFLOW_HOME; `settings` go to the AIFlow server."""
    from ai_flow import ops

    with aiflow_home(prefix) as home:
        ns_db, af_db = f"sqlite:///{home}/ns.db", f"sqlite:///{home}/aiflow.db"
        _init(ns_db)
        upgrade_metadata(af_db)
        ns, ns_uri = start_notification_server(ns_db)
        try:
            af, port = start_aiflow_server(
                home, {"metadata_backend_uri": af_db, "notification_server_uri": ns_uri, **settings}
            )
            try:
                ops.set_server_address(f"127.0.0.1:{port}")
                yield AIFlowStack(ns_uri, f"127.0.0.1:{port}", home, [ns.pid, af.pid])
            finally:
                ops.set_server_address(None)
                stop_process(af, 30)
        finally:
            stop_process(ns, 30)


def upload(home: Path, name: str, source: str) -> None:
    """Write `source` (dedented) to home/name.py and upload it through ai_flow.ops."""
    from ai_flow import ops

    path = home / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    ops.upload_workflows(str(path))


def wait_status(execution_id: int, timeout: float = 300.0) -> str:
    """The status a workflow execution ends with."""
    from ai_flow import ops

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ops.get_workflow_execution(execution_id).status
        if status != "RUNNING":
            return status
        time.sleep(0.05)
    raise TimeoutError(f"execution {execution_id} still running")


def _wait_ready(uri: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited during start-up")
        with grpc.insecure_channel(uri) as channel:
            try:
                pb_grpc.NotificationServiceStub(channel).GetLatestOffset(
                    pb.LatestOffsetRequest(), timeout=1.0, wait_for_ready=True
                )
                return
            except grpc.RpcError as err:
                if err.code() == grpc.StatusCode.UNAUTHENTICATED:
                    return  # serving, with auth_tokens
                time.sleep(0.05)
    raise RuntimeError(f"server on {uri} did not start")


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "+".join("-" * (w + 2) for w in widths)
    print(f"\n{title}")
    print(line)
    for n, row in enumerate(cells):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print(line)
    print(line, flush=True)
