"""A pre-imported process that forks task processes: a task starts in milliseconds
instead of paying ~130 ms of interpreter start-up and imports.

Protocol on the server's stdin/stdout, one JSON document per line:
request `{"argv": [...], "env": {...}, "cwd": dir, "log": path}` (the runtime's
arguments), reply `{"pid": n}`.
The server exits when its stdin closes (the AIFlow server died or stopped); the tasks
it forked run in their own sessions and are unaffected.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)

# What every task needs; imported once here so forked children start warm.
PRELOAD = (
    "ai_flow.runtime._run",
    "ai_flow.runtime.__main__",
    "ai_flow.blob_manager.impl.local_blob_manager",
    "ai_flow.model.workflow",
    "ai_flow.operators.bash",
    "ai_flow.operators.python",
    "ai_flow.notification.notification_client",
    "notification_service.client",
)


class ForkServerError(Exception):
    pass


class ForkServer:
    """Client side: starts the fork server on first use and asks it for task processes;
    `close_if_idle` ends it after a quiet spell (a server at rest does not keep it)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._last_used = time.monotonic()

    def spawn(self, argv: list[str], env: Mapping[str, str], cwd: str, log_path: str) -> int:
        request = json.dumps({"argv": argv, "env": dict(env), "cwd": cwd, "log": log_path})
        with self._lock:
            self._last_used = time.monotonic()
            for attempt in range(2):
                proc = self._ensure()
                assert proc.stdin is not None and proc.stdout is not None  # we made the pipes
                try:
                    proc.stdin.write(request + "\n")
                    proc.stdin.flush()
                    line = proc.stdout.readline()
                    if line:
                        return int(json.loads(line)["pid"])
                except (OSError, ValueError, KeyError):
                    pass
                # The server died; start a fresh one and ask again once.
                self._kill()
                if attempt:
                    raise ForkServerError("the task fork server is not answering")
        raise ForkServerError("unreachable")

    def _ensure(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from ai_flow.executor._forkserver import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        return self._proc

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close_if_idle(self, seconds: float) -> None:
        if self._proc is not None and time.monotonic() - self._last_used > seconds:
            log.info("stopping the idle task fork server")
            self.close()

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.stdin is not None:
                self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._kill()
                self._proc = None


def _child(request: dict) -> None:
    """In the forked child: become an independent task process and run the task."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # tasks wait for their own children
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    early = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(devnull, 1)
    os.dup2(early, 2)  # start-up failures land in the task log
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    code = 1
    try:
        from ai_flow.runtime.__main__ import main

        code = main(request["argv"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    # Finished tasks are reaped by the kernel; this server never waits for them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:
        request = json.loads(line)
        os.makedirs(request["cwd"], exist_ok=True)
        pid = os.fork()
        if pid == 0:
            _child(request)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()
