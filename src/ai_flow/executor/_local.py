"""LocalTaskExecutor: task runtimes as processes on this machine.

Each runtime holds an flock on its try's lock file while it runs, so "running" is a
fact of the OS, not of our memory: it survives restarts of the AIFlow server, and task
processes (own session) survive the server itself being killed. A handle names the lock
file and the process first started for the try; it polls alive while the lock is held,
or while that process still runs (before it took the lock).
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
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from ai_flow.executor import _process
from ai_flow.executor._forkserver import ForkServer
from ai_flow.executor._interface import HandleState, TaskExecutor
from ai_flow.runtime import TaskSpec, is_locked, read_lock_record, task_paths
from ai_flow.runtime.environment import child_environment

log = logging.getLogger(__name__)

#: Directory (inside the execution's working dir) of the tries' lock files.
CONTROL_DIR = ".aiflow"
#: Seconds without a launch after which the fork server is stopped (about 25 MB).
FORK_SERVER_IDLE = 600.0


def _create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _same_process(pid: int, create_time: float | None) -> bool:
    """True if `pid` runs and is the process that had `create_time` (not a reused pid)."""
    if not _process.alive(pid):
        return False
    return create_time is None or _create_time(pid) == create_time


class LocalTaskExecutor(TaskExecutor):
    """Runs ``python -m ai_flow.runtime`` per try, forked from a pre-imported fork server
    (or as a fresh interpreter), in its own session. ``parallelism`` bounds live tries."""

    def __init__(
        self,
        home: str | os.PathLike[str],
        log_dir: str | os.PathLike[str] | None = None,
        parallelism: int | None = None,
        fork_server: bool = True,
        extra_env: Mapping[str, str] | None = None,
    ):
        self.home = Path(home)
        self.log_dir = Path(log_dir) if log_dir else self.home / "logs"
        self.parallelism = parallelism
        self.extra_env = dict(extra_env or {})
        self._lock = threading.Lock()
        self._live: set[str] = set()
        # A handle being cancelled polls alive until cancel returns: what the try spawned
        # may outlive it for the grace period, and a retry must not start beside it.
        self._cancelling: set[str] = set()
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        # Started by the first launch, ended after FORK_SERVER_IDLE s without one.
        self._fork_server = ForkServer() if fork_server else None

    def close(self) -> None:
        """Stop the fork server (tasks it started keep running)."""
        if self._fork_server is not None:
            self._fork_server.close()

    def lock_path(self, spec: TaskSpec) -> Path:
        working_dir = (
            self.home / "working_dir" / spec.workflow_name / str(spec.workflow_execution_id)
        )
        name = f"{spec.task_name}.{spec.sequence_number}.{spec.try_number}.lock"
        return working_dir / CONTROL_DIR / name

    @staticmethod
    def _handle(lock: Path, pid: int) -> str:
        return json.dumps({"lock": str(lock), "pid": pid, "ctime": _create_time(pid)})

    def submit(self, spec: TaskSpec) -> str:
        lock = self.lock_path(spec)
        with self._lock:
            if is_locked(str(lock)):
                record = read_lock_record(str(lock))
                if record is not None:  # the try already runs: the same process again
                    handle = self._handle(lock, record.pid)
                    self._live.add(handle)
                    return handle
            handle = self._handle(lock, self._spawn(spec, lock))
            self._live.add(handle)
            return handle

    def _spawn(self, spec: TaskSpec, lock: Path) -> int:
        paths = task_paths(
            self.home,
            spec.workflow_name,
            spec.workflow_execution_id,
            spec.task_name,
            spec.sequence_number,
            spec.snapshot.file_name,
            self.log_dir,
        )
        paths.working_dir.mkdir(parents=True, exist_ok=True)
        paths.log_path.parent.mkdir(parents=True, exist_ok=True)
        # In a file, not on the command line: the spec holds the blob store's settings,
        # which `ps` would show to every user of the machine.
        spec_file = lock.with_suffix(".json")
        spec_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(spec_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(spec.to_json())
        argv = ["--home", str(self.home), "--log-dir", str(self.log_dir), "--lock", str(lock)]
        argv.append(str(spec_file))
        env = child_environment(spec.task_context().to_json(), self.extra_env)
        if self._fork_server is not None:
            pid = self._fork_server.spawn(argv, env, str(paths.working_dir), str(paths.log_path))
        else:
            # stderr goes to the log until the runtime redirects it, so a crash at start-up
            # (bad interpreter, import error) is still visible there.
            with open(paths.log_path, "ab") as early_log:
                child = subprocess.Popen(
                    [sys.executable, "-m", "ai_flow.runtime", *argv],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=early_log,
                    cwd=paths.working_dir,
                    env=env,
                    start_new_session=True,  # a server crash must not take tasks with it
                )
            pid = child.pid
            self._children[pid] = child
        log.info("launched %s, pid %s", spec.label, pid)
        return pid

    def _state(self, handle: str, cancelled_too: bool = True) -> HandleState:
        data = json.loads(handle)
        child = self._children.get(data["pid"])
        if child is not None and child.poll() is not None:
            self._children.pop(data["pid"], None)  # reaped: no zombie left behind
        if cancelled_too and handle in self._cancelling:
            return HandleState(True)
        if is_locked(data["lock"]) or _same_process(data["pid"], data.get("ctime")):
            return HandleState(True)
        return HandleState(False, "the task process exited")

    def poll(self, handles: Sequence[str]) -> dict[str, HandleState]:
        with self._lock:
            states = {h: self._state(h) for h in handles}
            self._live.difference_update(h for h, s in states.items() if not s.alive)
            idle = not self._live
        if idle and self._fork_server is not None:
            self._fork_server.close_if_idle(FORK_SERVER_IDLE)
        return states

    def _pid(self, handle: str) -> int | None:
        """The process running the try now: the lock holder, else the first process."""
        data = json.loads(handle)
        record = read_lock_record(data["lock"]) if is_locked(data["lock"]) else None
        if record is not None:
            return record.pid
        return data["pid"] if _same_process(data["pid"], data.get("ctime")) else None

    def cancel(self, handle: str, grace: float) -> None:
        pid = self._pid(handle)
        if pid is None:
            return
        with self._lock:
            self._cancelling.add(handle)
        try:
            self._end(handle, pid, grace)
        finally:
            with self._lock:
                self._cancelling.discard(handle)

    def _end(self, handle: str, pid: int, grace: float) -> None:
        spawned = _process.descendants(pid)  # listed now: they get reparented on exit
        _process.signal_group(pid, signal.SIGTERM)
        if not self._wait_gone(handle, grace):
            log.warning("task process %s did not stop within %gs; killing it", pid, grace)
            _process.signal_group(pid, signal.SIGKILL)
            _process.kill_all(spawned + _process.descendants(pid))
            self._wait_gone(handle, 5.0)
        # The process may exit in time while what it spawned ignores SIGTERM.
        _process.kill_all([p for p in spawned if _process.alive(p)])

    def _wait_gone(self, handle: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._state(handle, cancelled_too=False).alive:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def adopt(self) -> list[str]:
        found = []
        for lock in self.home.glob(f"working_dir/*/*/{CONTROL_DIR}/*.lock"):
            record = read_lock_record(str(lock)) if is_locked(str(lock)) else None
            if record is not None:
                found.append(self._handle(lock, record.pid))
        with self._lock:
            self._live.update(found)
        return found

    def capacity(self) -> int | None:
        if self.parallelism is None:
            return None
        with self._lock:
            live = list(self._live)
        alive = sum(1 for s in self.poll(live).values() if s.alive)
        return max(0, self.parallelism - alive)
