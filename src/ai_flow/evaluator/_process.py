"""The server's side of one evaluator process: start it, talk to it, end it."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil


class EvaluatorGone(Exception):
    """The evaluator process exited, crashed or stopped answering; str() says how."""


class EvaluatorTimeout(EvaluatorGone):
    pass


class EvaluatorProcess:
    """One running ``python -m ai_flow.evaluator`` for one snapshot directory.

    Not thread-safe: the pool serialises requests to a process.
    """

    def __init__(self, directory: Path, file_name: str, log_path: Path, load_timeout: float):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "ai_flow.evaluator", str(directory), file_name],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=directory,
                start_new_session=True,  # its own group: killing it ends what it spawned
            )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in = self._proc.stdin
        self._fd = self._proc.stdout.fileno()
        self._buffer = b""
        self.started = time.monotonic()
        hello = self.read(load_timeout, what=f"loading {file_name}")
        self.load_error: str | None = hello.get("load_error")

    @property
    def pid(self) -> int:
        return self._proc.pid

    def send(self, message: dict[str, Any]) -> None:
        try:
            self._in.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            self._in.flush()
        except OSError:
            raise EvaluatorGone(self._exit_reason()) from None

    def read(self, timeout: float, what: str = "condition") -> dict[str, Any]:
        """The next message; raises EvaluatorTimeout after `timeout` s of silence."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EvaluatorTimeout(f"{what} timed out after {timeout:g}s")
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                raise EvaluatorGone(self._exit_reason())
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _exit_reason(self) -> str:
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the evaluator process stopped answering"
        if code < 0:
            return f"the evaluator process was killed by {signal.Signals(-code).name}"
        return f"the evaluator process exited with code {code}"

    def rss(self) -> int:
        try:
            return int(psutil.Process(self._proc.pid).memory_info().rss)
        except psutil.Error:
            return 0

    def alive(self) -> bool:
        return self._proc.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._proc.wait()
        self._in.close()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def close(self) -> None:
        """Ask it to leave (end of input); kill it if it does not."""
        try:
            self._in.close()
            self._proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self._proc.poll() is None:
            self.kill()
        elif self._proc.stdout is not None:
            self._proc.stdout.close()
