"""LocalTaskLauncher: task processes on this machine, coordinated through files.

Each task process holds an flock on its lock file while it runs, so "running" is a
fact of the OS, not of our memory: it survives restarts of the AIFlow server, and task
processes (own session) survive the server itself being killed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping

from ai_flow.executor import _process
from ai_flow.executor._forkserver import ForkServer
from ai_flow.executor._interface import TaskExecutor
from ai_flow.model.status import TaskStatus
from ai_flow.runtime import TaskSpec, final_status, record_final_status, report_final_status
from ai_flow.runtime._files import is_locked, mtime, read_lock_record
from ai_flow.runtime.environment import child_environment

log = logging.getLogger(__name__)


class LocalTaskLauncher(TaskExecutor):
    """Runs each task as ``python -m ai_flow.runtime <spec.json>`` in its own session.

    ``launch`` returns the pid of the process that runs (or ran) the try, 0 if the try
    was finished without ever running. ``parallelism`` bounds live tasks (checked by the
    caller with ``can_launch``); a task whose process never took its lock within
    ``start_timeout`` seconds of being launched counts as dead.
    """

    def __init__(
        self,
        parallelism: int | None = None,
        start_timeout: float = 60.0,
        extra_env: Mapping[str, str] | None = None,
        fork_server: bool = False,
    ):
        self.parallelism = parallelism
        self.start_timeout = start_timeout
        self.extra_env = dict(extra_env or {})
        self._lock = threading.Lock()
        self._children: dict[tuple[int, str, int], subprocess.Popen[bytes]] = {}
        self._tracked: dict[tuple[int, str, int], TaskSpec] = {}
        self._fork_server = ForkServer() if fork_server else None
        if self._fork_server is not None:
            self._fork_server.warm_up()

    def close(self) -> None:
        """Stop the fork server (tasks it started keep running)."""
        if self._fork_server is not None:
            self._fork_server.close()

    def launch(self, spec: TaskSpec) -> int:
        with self._lock:
            self._tracked[spec.key] = spec
            child = self._children.get(spec.key)
            if child is not None and child.poll() is None:
                return child.pid  # launched by us, maybe not holding its lock yet
            pid = self.running_pid(spec)
            if pid is not None:
                return pid
            previous = read_lock_record(spec.lock_path)
            if previous is not None and previous.try_number >= spec.try_number:
                return previous.pid  # this try (or a later one) already ran: never twice
            finished = final_status(spec)
            if finished is not None:
                return finished.pid or 0  # stopped before its process ever came up
            return self._spawn(spec)

    def _spawn(self, spec: TaskSpec) -> int:
        os.makedirs(spec.working_dir, exist_ok=True)
        os.makedirs(os.path.dirname(spec.log_path), exist_ok=True)
        spec_path = spec.save()
        env = child_environment(spec.task_context().to_json(), self.extra_env)
        if self._fork_server is not None:
            pid = self._fork_server.spawn(spec_path, env, spec.working_dir, spec.log_path)
            self._children[spec.key] = _ForkedChild(pid)
            log.info(
                "launched %s.%s seq %s pid %s",
                spec.workflow_name,
                spec.task_name,
                spec.sequence_number,
                pid,
            )
            return pid
        # stderr goes to the log until the runtime redirects it, so a crash at start-up
        # (bad interpreter, import error) is still visible there.
        with open(spec.log_path, "ab") as early_log:
            child = subprocess.Popen(
                [sys.executable, "-m", "ai_flow.runtime", spec_path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=early_log,
                cwd=spec.working_dir,
                env=env,
                start_new_session=True,  # a server crash must not take tasks with it
            )
        self._children[spec.key] = child
        log.info(
            "launched %s.%s seq %s pid %s",
            spec.workflow_name,
            spec.task_name,
            spec.sequence_number,
            child.pid,
        )
        return child.pid

    def running_pid(self, spec: TaskSpec) -> int | None:
        """Pid of the process holding the task's lock, None if none does."""
        if not is_locked(spec.lock_path):
            return None
        deadline = time.monotonic() + 0.5
        while True:  # the holder writes its record right after locking
            record = read_lock_record(spec.lock_path)
            fresh = record is not None and record.try_number == spec.try_number
            if fresh or time.monotonic() >= deadline:
                return record.pid if record else None
            time.sleep(0.01)

    def previous_try_alive(self, spec: TaskSpec) -> bool:
        """True while an earlier try of the task still holds its lock (e.g. it reported
        FAILED and is exiting): its retry must wait, as they share the lock file."""
        if not is_locked(spec.lock_path):
            return False
        record = read_lock_record(spec.lock_path)
        return record is None or record.try_number < spec.try_number

    def fail(self, spec: TaskSpec, error: str, grace_seconds: float = 10.0) -> None:
        """End a running try as FAILED with ``error`` (timeouts): the status is recorded
        before the process is stopped, so its own STOPPED report yields to it (whoever
        sends first sends FAILED; a retry waits for the lock, see previous_try_alive)."""
        record_final_status(spec, TaskStatus.FAILED, error=error)
        pid = self.running_pid(spec)
        spawned = _process.descendants(pid) if pid else []
        self.stop(spec, grace_seconds)
        # The task process may exit in time while what it spawned ignores SIGTERM.
        _process.kill_all([p for p in spawned if _process.alive(p)])
        record = final_status(spec)
        if record is not None and not record.reported and not self.is_alive(spec):
            self.report_dead(spec)

    def is_alive(self, spec: TaskSpec) -> bool:
        child = self._children.get(spec.key)
        if child is not None and child.poll() is None:
            return True
        return is_locked(spec.lock_path)

    def last_heartbeat(self, spec: TaskSpec) -> float | None:
        """Epoch seconds of the task's last heartbeat, None if it never beat."""
        return mtime(spec.heartbeat_path)

    def stop(self, spec: TaskSpec, grace_seconds: float = 10.0) -> bool:
        child = self._children.get(spec.key)
        pid = self.running_pid(spec)
        if pid is None and child is not None and child.poll() is None:
            pid = child.pid
        if pid is None:
            return False
        spawned = _process.descendants(pid)  # listed now: they get reparented on exit
        _process.signal_group(pid, signal.SIGTERM)
        killed = not self._wait_gone(spec, pid, grace_seconds)
        if killed:
            _process.signal_group(pid, signal.SIGKILL)
            _process.kill_all(spawned + _process.descendants(pid))
            self._wait_gone(spec, pid, 5.0)
        record = final_status(spec)
        if record is None or not record.reported:
            # Killed before it could report (or could not reach the service): report
            # for it; a status it recorded first wins, under the same idempotency id.
            self.report_dead(spec, TaskStatus.STOPPED)
        return killed

    def _wait_gone(self, spec: TaskSpec, pid: int, timeout: float) -> bool:
        child = self._children.get(spec.key)
        deadline = time.monotonic() + timeout
        while True:
            if child is not None:
                child.poll()  # reap, so our own child does not linger as a zombie
            if not _process.alive(pid) and not is_locked(spec.lock_path):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def find_dead(self, specs: Iterable[TaskSpec]) -> list[TaskSpec]:
        dead = []
        for spec in specs:
            if self.is_alive(spec) or final_status(spec) is not None:
                continue
            record = read_lock_record(spec.lock_path)
            if record is not None and record.try_number > spec.try_number:
                continue  # superseded by a later try
            if record is not None and record.try_number == spec.try_number:
                dead.append(spec)  # it ran, and died without recording a final status
                continue
            launched = mtime(spec.spec_path)
            if launched is not None and time.time() - launched > self.start_timeout:
                dead.append(spec)  # launched but never came up
        return dead

    def find_unreported(self, specs: Iterable[TaskSpec]) -> list[TaskSpec]:
        """Finished specs whose final status could not be sent (notification service down)."""
        return [
            s
            for s in specs
            if (r := final_status(s)) is not None and not r.reported and not self.is_alive(s)
        ]

    def report_dead(self, spec: TaskSpec, status: TaskStatus = TaskStatus.FAILED) -> TaskStatus:
        """Record and send ``status`` for the task (or resend the status it recorded)."""
        return report_final_status(spec, status).status

    def live_count(self) -> int:
        """Live tasks among those this launcher launched (or adopted by launching again)."""
        with self._lock:
            for key, child in list(self._children.items()):
                if child.poll() is not None:
                    del self._children[key]
            specs = list(self._tracked.values())
        alive = [s for s in specs if self.is_alive(s)]
        with self._lock:
            for spec in specs:
                if spec not in alive:
                    self._tracked.pop(spec.key, None)
        return len(alive)

    def can_launch(self) -> bool:
        return self.parallelism is None or self.live_count() < self.parallelism


class _ForkedChild:
    """Popen-like view of a task forked by the fork server (not our child)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        return None if _process.alive(self.pid) else 0
