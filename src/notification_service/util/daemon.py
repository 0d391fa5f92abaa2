"""Run a server command as a detached daemon with a pid file; stop it; report status.

Generic over the service: the notification and aiflow command lines both use it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil


class DaemonError(Exception):
    """Starting or stopping a daemon failed; str() is one user-facing line."""


@dataclass(frozen=True)
class DaemonSpec:
    """What to run and where its pid and log go.

    `marker`: strings that must all appear in a live process's command line for the
    pid in `pid_file` to count as ours, so a reused pid is never signalled.
    `ready(new_log_text)`: True once the child serves; it sees only log text written
    since this start.
    """

    name: str
    pid_file: Path
    log_file: Path
    command: Sequence[str]
    marker: Sequence[str]
    ready: Callable[[str], bool] = lambda _text: True
    env: dict[str, str] | None = field(default=None)


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_ours(pid: int, marker: Sequence[str]) -> bool:
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        cmdline = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return all(m in cmdline for m in marker)


def running_pid(pid_file: Path, marker: Sequence[str]) -> int | None:
    """The pid of the live daemon named by `pid_file`; removes a stale pid file."""
    pid = read_pid(pid_file)
    if pid is not None and _is_ours(pid, marker):
        return pid
    with contextlib.suppress(FileNotFoundError):
        pid_file.unlink()
    return None


def _log_since(log_file: Path, offset: int) -> str:
    try:
        with log_file.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def error_line(log_text: str) -> str | None:
    """The child's last `Error: ...` line (without the prefix), else its last line."""
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("Error:"):
            return line[len("Error:") :].strip()
    return lines[-1] if lines else None


def start_daemon(spec: DaemonSpec, timeout: float) -> int:
    """Spawn `spec.command` detached, write its pid, wait until ready; returns the pid.

    Raises DaemonError if one is already running, or if the child exits or is not
    ready within `timeout` seconds (the child is then stopped and the pid file removed).
    """
    pid = running_pid(spec.pid_file, spec.marker)
    if pid is not None:
        raise DaemonError(f"{spec.name} is already running (pid {pid})")
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    spec.pid_file.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ if spec.env is None else spec.env)
    env["PYTHONUNBUFFERED"] = "1"
    with spec.log_file.open("ab") as log:
        offset = log.tell()
        # A new session detaches the child from the terminal and its Ctrl-C.
        child = subprocess.Popen(
            list(spec.command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    spec.pid_file.write_text(f"{child.pid}\n")
    deadline = time.monotonic() + timeout
    while True:
        code = child.poll()
        text = _log_since(spec.log_file, offset)
        if code is not None:
            _remove_pid_file(spec.pid_file, child.pid)
            reason = error_line(text) or f"exited with code {code}"
            raise DaemonError(f"{spec.name} failed to start: {reason} (log: {spec.log_file})")
        if spec.ready(text):
            return child.pid
        if time.monotonic() >= deadline:
            _terminate(child.pid, 5.0)
            child.poll()
            _remove_pid_file(spec.pid_file, child.pid)
            raise DaemonError(
                f"{spec.name} did not become ready within {timeout:g}s (log: {spec.log_file})"
            )
        time.sleep(0.02)


def stop_daemon(pid_file: Path, marker: Sequence[str], timeout: float = 10.0) -> int | None:
    """SIGTERM the daemon, SIGKILL it after `timeout` s; returns its pid, None if not running."""
    pid = running_pid(pid_file, marker)
    if pid is None:
        return None
    _terminate(pid, timeout)
    _remove_pid_file(pid_file, pid)
    return pid


def _terminate(pid: int, timeout: float) -> None:
    try:
        proc = psutil.Process(pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            # It ignored the graceful request; do not leave it holding the port.
            proc.kill()
            proc.wait(timeout)
    except psutil.NoSuchProcess:
        pass
    except psutil.AccessDenied as exc:
        raise DaemonError(f"not allowed to stop process {pid}: {exc}") from None


def _remove_pid_file(pid_file: Path, pid: int) -> None:
    # Only our own pid: a concurrent start may already have written a new one.
    if read_pid(pid_file) == pid:
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()
