"""Fault injection on real services (issue 14): helpers shared by tests/fault
(`from faultlib import ...`; conftest.py puts this folder on sys.path).

Every fault is injected when the system under test has reached a state the test can
observe (a session waiting on a lock, N appends acknowledged, a listener caught up),
never after a sleep; timeouts only bound how long a test may take to fail.

* `wait_until` polls a condition with a deadline.
* `DatabaseKiller` finds and kills the sessions of one PostgreSQL (`pg_terminate_backend`)
  or MariaDB/MySQL (`KILL <id>`) database from an admin connection, and sees which of
  them waits on a lock.
* `Blocker` holds an uncommitted idempotency id, so a writer stops half-way through
  its transaction exactly where the test wants to kill it; `CounterBlocker` holds the
  offset counter's row, so every writer waits at its first statement.
* `NotificationServerProcess` is a notification server in a child process (SIGSTOP,
  SIGCONT, SIGKILL).
* `CuttableProxy` sits between a client and a server and resets every connection at
  once, breaking the client's send and listen streams mid-flight.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from sqlalchemy import Connection, create_engine, make_url, text

from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/test"


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll `predicate` until it is truthy and return its value; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class DatabaseKiller:
    """Kills the sessions of one test database, from outside it."""

    def __init__(self, db_uri: str) -> None:
        url = make_url(db_uri)
        self.database = url.database
        self.backend = url.get_backend_name()
        admin = POSTGRES_ADMIN if self.backend == "postgresql" else MYSQL_ADMIN
        self._engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        self.killed = 0

    def sessions(self) -> list[int]:
        """Ids of every session connected to the database (never the killer's own)."""
        if self.backend == "postgresql":
            sql = "SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
        else:
            sql = (
                "SELECT id FROM information_schema.processlist "
                "WHERE db = :db AND id <> connection_id()"
            )
        with self._engine.connect() as conn:
            return [row[0] for row in conn.execute(text(sql), {"db": self.database})]

    def lock_waiters(self, statement: str = "INSERT INTO ns_event") -> list[int]:
        """Sessions of the database inside a statement starting with `statement` that
        waits on a lock. On MariaDB: inside that statement at all
        (information_schema.innodb_trx can name a killed session's thread for seconds),
        which for a statement held up by one of the test's blockers is the same moment
        of the transaction."""
        if self.backend == "postgresql":
            sql = (
                "SELECT pid FROM pg_stat_activity WHERE datname = :db "
                "AND wait_event_type = 'Lock' AND query LIKE :stmt "
                "AND pid <> pg_backend_pid()"
            )
        else:
            sql = (
                "SELECT id FROM information_schema.processlist WHERE db = :db "
                "AND command = 'Query' AND info LIKE :stmt AND id <> connection_id()"
            )
        params = {"db": self.database, "stmt": statement + "%"}
        with self._engine.connect() as conn:
            return [row[0] for row in conn.execute(text(sql), params)]

    def kill(self, session: int) -> None:
        with self._engine.connect() as conn:
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": session})
            else:
                try:
                    conn.execute(text(f"KILL {int(session)}"))
                except Exception as exc:  # noqa: BLE001 - it may have gone by itself
                    if "Unknown thread id" not in str(exc):
                        raise
        self.killed += 1

    def kill_all(self) -> int:
        sessions = self.sessions()
        for session in sessions:
            self.kill(session)
        return len(sessions)

    def wait_gone(self, session: int, timeout: float = 30.0) -> None:
        wait_until(lambda: session not in self.sessions(), f"session {session} to end", timeout)

    def close(self) -> None:
        self._engine.dispose()


class Blocker:
    """An open transaction holding the idempotency id `holds` on an uncommitted event row:
    a writer that inserts the same id waits on it mid-transaction (after locking the
    offset counter), until the blocker rolls back."""

    def __init__(self, db_uri: str, holds: str) -> None:
        self._engine = create_engine(db_uri)
        self._conn: Connection = self._engine.connect()
        self._tx = self._conn.begin()
        self._conn.execute(
            text(
                'INSERT INTO ns_event ("offset", key, namespace, create_time, idempotency_id) '
                "VALUES (1000000000, 'blocker', 'default', 0, :id)"
                if make_url(db_uri).get_backend_name() == "postgresql"
                else "INSERT INTO ns_event (`offset`, `key`, namespace, create_time, "
                "idempotency_id) VALUES (1000000000, 'blocker', 'default', 0, :id)"
            ),
            {"id": holds},
        )

    def release(self) -> None:
        if self._tx.is_active:
            self._tx.rollback()
        self._conn.close()
        self._engine.dispose()


class CounterBlocker:
    """An open transaction holding the row lock of the offset counter: every writer waits
    at the first statement of its transaction until it is released."""

    def __init__(self, db_uri: str) -> None:
        self._engine = create_engine(db_uri)
        self._conn: Connection = self._engine.connect()
        self._tx = self._conn.begin()
        self._conn.execute(
            text("SELECT last_offset FROM ns_offset_counter WHERE id = 1 FOR UPDATE")
        ).all()

    def release(self) -> None:
        if self._tx.is_active:
            self._tx.rollback()
        self._conn.close()
        self._engine.dispose()


#: The first statement of an append, which waits while a CounterBlocker holds the row.
COUNTER_LOCK = {
    "postgresql": "UPDATE ns_offset_counter",
    "mysql": "SELECT ns_offset_counter.last_offset",
}


# --------------------------------------------------------------------------- servers

# Child process entry point: settings as JSON in argv[1], then serve until signalled.
SERVER_SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from notification_service.server import run_server
from notification_service.settings import NotificationServerSettings
run_server(NotificationServerSettings(**json.loads(sys.argv[1])))
"""


def pick_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotificationServerProcess:
    """A notification server in a child process that the test can stop and continue."""

    def __init__(self, log_dir: Path, **settings: object) -> None:
        settings.setdefault("host", "127.0.0.1")
        settings.setdefault("server_port", pick_port())
        self.settings = settings
        self.uri = f"127.0.0.1:{settings['server_port']}"
        self.log_path = log_dir / f"server-{settings['server_port']}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.stopped = False

    def start(self, timeout: float = 30.0) -> NotificationServerProcess:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVER_SCRIPT, json.dumps(self.settings)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log_tail()}")
            with grpc.insecure_channel(self.uri) as channel:
                try:
                    pb_grpc.NotificationServiceStub(channel).GetLatestOffset(
                        pb.LatestOffsetRequest(), timeout=1.0, wait_for_ready=True
                    )
                    return self
                except grpc.RpcError:
                    if time.monotonic() > deadline:
                        self.kill()
                        raise RuntimeError(f"server did not start: {self.log_tail()}") from None

    def sigstop(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.stopped = True

    def sigcont(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)
        self.stopped = False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            if self.stopped:
                self.sigcont()
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text()[-3000:]
        except OSError:
            return ""


# --------------------------------------------------------------------------- network


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 in front of `target` ("host:port") whose connections the
    test can reset at once (`cut`): to the client, every stream on them breaks as if the
    server had dropped it. Counts the bytes it forwarded from the server."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.uri = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._closed = False
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._pairs.append((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def cut(self) -> int:
        """Drop every open connection (both ways; blocked reads wake up, then the sockets
        close with an RST); returns how many there were."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
            self.cuts += 1
        for pair in pairs:
            for s in pair:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass
        return len(pairs)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._listener.close()
        self.cut()
