"""Client processes that are the job (Spark local/client mode, Flink `--target local`)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

import psutil


def _die_with_parent(argv: list[str]) -> list[str]:
    # Linux: the client gets SIGKILL when the task process dies, even by SIGKILL, so a
    # killed task never leaves its client behind. util-linux's setpriv sets it and execs
    # the client (same pid). Not a preexec_fn: Python code between fork and exec in a
    # process with gRPC threads can crash the child (seen: SIGSEGV).
    setpriv = shutil.which("setpriv")
    if setpriv is None or not sys.platform.startswith("linux"):
        return argv  # the server's reaper still cancels what a dead try left
    return [setpriv, "--pdeathsig", "KILL", "--", *argv]


def start_client(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    stdout: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start an engine's client in its own process group, tied to this process's life.

    Call it from the thread that lives as long as the task (the main thread): Linux
    sends the parent-death signal when the thread that started the child exits."""
    return subprocess.Popen(
        _die_with_parent(list(argv)),
        env=env,
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
        start_new_session=True,
    )


def process_identity(pid: int) -> tuple[str, float | None]:
    """(host, create time) that tell this process from a later one with the same pid."""
    try:
        created = psutil.Process(pid).create_time()
    except psutil.Error:
        created = None
    return socket.gethostname(), created


def kill_process_group(pid: int, create_time: float | None, grace: float = 10.0) -> bool:
    """SIGTERM the group led by `pid`, SIGKILL it after `grace`; False if it is gone
    (or the pid now belongs to another process)."""
    try:
        process = psutil.Process(pid)
        if create_time is not None and abs(process.create_time() - create_time) > 1.0:
            return False
    except psutil.Error:
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return sig == signal.SIGKILL
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                return True
            time.sleep(0.1)
    return True
