"""Shared pieces of the notification benchmarks: temp databases, server processes, tables."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence

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


@contextlib.contextmanager
def server_process(db_uri: str, **settings: object) -> Iterator[str]:
    """A notification server in a child process; yields its host:port."""
    port = free_port()
    cfg = {"db_uri": db_uri, "server_port": port, "host": "127.0.0.1", **settings}
    proc = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, json.dumps(cfg)])
    uri = f"127.0.0.1:{port}"
    try:
        _wait_ready(uri, proc)
        yield uri
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


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
            except grpc.RpcError:
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
