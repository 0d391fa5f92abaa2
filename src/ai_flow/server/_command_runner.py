"""Carries out the scheduler's outbox: launches and stops task processes.

Launching is idempotent by (execution, task, sequence number) — the task runtime's lock
and status files make a repeated START after a crash a no-op — so a command is marked
done only after it took effect, and replaying it is always safe. A command with a
`not_before` (a retry's backoff) waits until then; the loop wakes when it is due.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.executor import LocalTaskLauncher, make_task_spec
from ai_flow.metadata import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowSnapshotRow,
    commands,
    read_session,
    write_session,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.action import TaskAction
from ai_flow.model.status import TaskStatus
from ai_flow.runtime import TaskSpec
from ai_flow.scheduler import SnapshotStore
from ai_flow.server._deadlines import Deadlines
from notification_service.util.clock import now_ms

log = logging.getLogger(__name__)

LAUNCHABLE = (TaskStatus.QUEUED.value, TaskStatus.RETRYING.value)


class CommandRunner:
    def __init__(
        self,
        factory: sessionmaker[Session],
        lock: threading.Lock,
        launcher: LocalTaskLauncher,
        snapshots: SnapshotStore,
        aiflow_home: Path,
        notification_uri: str,
        heartbeat_interval: float,
        check_interval: float = 1.0,
        stop_grace: float = 10.0,
        log_dir: Path | None = None,
        heartbeat_timeout: float = 60.0,
        heartbeat_check_interval: float = 10.0,
    ) -> None:
        self._log_dir = log_dir
        self._factory = factory
        self._lock = lock
        self._launcher = launcher
        self._snapshots = snapshots
        self._home = aiflow_home
        self._notification_uri = notification_uri
        self._heartbeat_interval = heartbeat_interval
        self._check_interval = check_interval
        self._stop_grace = stop_grace
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._stoppers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="af-stop")
        self._thread = threading.Thread(target=self._run, name="af-executor", daemon=True)
        self._host = socket.gethostname()
        self.deadlines = Deadlines(
            launcher,
            self._stoppers.submit,
            lambda: self._stop_grace,
            heartbeat_timeout,
            heartbeat_check_interval,
        )
        self._next_due: int | None = None

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self._stoppers.shutdown(wait=False)

    def _run(self) -> None:
        # Running tasks launched before a restart are adopted by the first watch pass.
        last_watch = 0.0
        while not self._stopped.is_set():
            wait = self._check_interval
            if self._next_due is not None:
                wait = min(wait, max(0.0, (self._next_due - now_ms()) / 1000))
            self._wake.wait(wait)
            self._wake.clear()
            try:
                self.run_pending()
                now = time.monotonic()
                if now - last_watch >= self._check_interval:
                    self.watch()
                    last_watch = now
            except Exception:  # noqa: BLE001 - the loop must survive a DB blip
                log.exception("executor pass failed")

    def run_pending(self) -> None:
        now = now_ms()
        with read_session(self._factory) as session:
            pending = [
                (c.id, c.action, c.task_execution_id)
                for c in commands.pending(session, 200, now=now)
            ]
            self._next_due = commands.next_delayed_time(session, now)
        for command_id, action, te_id in pending:
            if action == TaskAction.START.value:
                if self._start(command_id, te_id) is False:
                    break  # at parallelism: the rest stay queued, in order
            else:
                self._stop(command_id, te_id)

    def _spec(self, session: Session, te: TaskExecutionRow) -> TaskSpec:
        execution = session.get(WorkflowExecutionRow, te.workflow_execution_id)
        workflow = session.get(WorkflowRow, execution.workflow_id)
        snapshot = session.get(WorkflowSnapshotRow, execution.snapshot_id)
        return make_task_spec(
            self._home,
            workflow_execution_id=execution.id,
            task_execution_id=te.id,
            task_name=te.task_name,
            sequence_number=te.sequence_number,
            try_number=te.try_number,
            workflow_name=workflow.name,
            namespace=workflow.namespace,
            snapshot_path=str(self._snapshots.path(snapshot)),
            notification_server_uri=self._notification_uri,
            heartbeat_interval=self._heartbeat_interval,
            stop_timeout=self._stop_grace,
            log_dir=self._log_dir,
        )

    def _start(self, command_id: int, te_id: int) -> bool | None:
        """False at parallelism; None to wait for a retried try's process to exit."""
        with read_session(self._factory) as session:
            te = session.get(TaskExecutionRow, te_id)
            spec = self._spec(session, te)
            status = te.status
        if status in LAUNCHABLE:
            if not self._launcher.can_launch():
                return False
            if self._launcher.previous_try_alive(spec):
                self._next_due = now_ms() + 100
                return None
            pid = self._launcher.launch(spec)
        else:
            pid = None  # stopped (or finished) before it was launched: never run it
            if status == TaskStatus.STOPPING.value:
                self._launcher.report_dead(spec, TaskStatus.STOPPED)
        with self._lock, write_session(self._factory) as session:
            if pid:
                tasks.set_task_process(session, te_id, pid, self._host)
            commands.mark_done(session, command_id)
        return True

    def _stop(self, command_id: int, te_id: int) -> None:
        with read_session(self._factory) as session:
            te = session.get(TaskExecutionRow, te_id)
            spec = self._spec(session, te)
            launched = te.pid is not None
        if launched:
            self._stoppers.submit(self._stop_process, spec)
        else:
            self._launcher.report_dead(spec, TaskStatus.STOPPED)
        with self._lock, write_session(self._factory) as session:
            commands.mark_done(session, command_id)

    def _stop_process(self, spec: TaskSpec) -> None:
        try:
            self._launcher.stop(spec, self._stop_grace)
        except Exception:  # noqa: BLE001
            log.exception("stopping task %s failed", spec.key)

    def watch(self) -> None:
        """Report silent deaths and unsent statuses; fail tries past their deadlines."""
        if self.deadlines.watch(self._factory, self._spec, self._snapshots):
            self._wake.set()  # commands are pending: make sure they are not forgotten
