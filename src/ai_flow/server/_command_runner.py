"""Carries out the scheduler's outbox through the executor: launches and stops tries.

Launching is idempotent: the executor's submit of a try that already runs returns the
same handle, and the runtime's claim lets only one process run a try, so a command is
marked done only after it took effect and replaying it is always safe. A command with a
`not_before` (a retry's backoff) waits until then. STOPs are never held up behind STARTs
that wait for capacity; STARTs keep their order among themselves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import Enum

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.executor import TaskExecutor
from ai_flow.metadata import commands, read_session, write_session
from ai_flow.metadata import task_executions as tasks
from ai_flow.metadata.lease import LeaseLostError
from ai_flow.model.action import TaskAction
from ai_flow.model.status import TASK_LAUNCHABLE, TaskStatus
from ai_flow.server._tasks import SpecFactory, StatusSink, task_context_of
from ai_flow.server._watcher import STOP_MARGIN, Watcher
from notification_service.util.clock import now_ms

log = logging.getLogger(__name__)


class _Start(Enum):
    DONE = "DONE"
    FULL = "FULL"  # the executor is at capacity: later STARTs wait too
    WAIT = "WAIT"  # the previous try's process, or the previous run, is still ending


class CommandRunner:
    def __init__(
        self,
        factory: sessionmaker[Session],
        executor: TaskExecutor,
        specs: SpecFactory,
        sink: StatusSink,
        watcher: Watcher,
        stoppers: ThreadPoolExecutor,
        check_interval: float = 1.0,
        fence: Callable[[Session], None] | None = None,
    ) -> None:
        self._factory = factory
        # HA: a deposed server's relay never marks a command done (launching is
        # idempotent, so a launch it made just before is harmless).
        self._fence = fence or (lambda _session: None)
        self._executor = executor
        self._specs = specs
        self._sink = sink
        self.watcher = watcher
        self._stoppers = stoppers
        self.check_interval = check_interval
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="af-executor", daemon=True)
        self._next_due: int | None = None

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        # Tries launched before a restart are adopted by the first watch pass.
        last_watch = 0.0
        while not self._stopped.is_set():
            wait = self.check_interval
            if self._next_due is not None:
                wait = min(wait, max(0.0, (self._next_due - now_ms()) / 1000))
            self._wake.wait(wait)
            self._wake.clear()
            try:
                self.run_pending()
                now = time.monotonic()
                if now - last_watch >= self.check_interval:
                    if self.watcher.watch():
                        self._wake.set()  # commands are pending: do not forget them
                    last_watch = now
            except LeaseLostError:
                log.warning("scheduling lease lost: this server stops relaying commands")
                self._stopped.set()
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
        full = False
        for command_id, action, te_id in pending:
            if action != TaskAction.START.value:
                self._stop(command_id, te_id)
            elif not full:
                full = self._start(command_id, te_id) is _Start.FULL

    def _start(self, command_id: int, te_id: int) -> _Start:
        with read_session(self._factory) as session:
            te, execution, workflow, snapshot = tasks.get_with_context(session, te_id)
            spec = self._specs.spec(te, execution, workflow, snapshot)
            # A RESTART's new run starts once the old one has stopped: never two copies
            # of a job, and the new run sees the savepoint the old one's stop took.
            earlier_alive = te.sequence_number > 1 and tasks.earlier_run_alive(
                session, te.workflow_execution_id, te.task_name, te.sequence_number
            )
        if te.status in TASK_LAUNCHABLE:
            if earlier_alive:
                self._next_due = now_ms() + 100
                return _Start.WAIT
            if te.handle and te.handle_try != te.try_number:
                if self._executor.poll([te.handle])[te.handle].alive:
                    self._next_due = now_ms() + 100  # a retry waits for the failed try to exit
                    return _Start.WAIT
            if self._executor.capacity() == 0:
                return _Start.FULL
            handle = self._executor.submit(spec)
            with write_session(self._factory) as session:
                self._fence(session)
                tasks.set_handle(session, te_id, handle, spec.try_number)
                commands.mark_done(session, command_id)
            return _Start.DONE
        # Stopped (or finished) before it was launched: never run it; its STOP command
        # reports STOPPED.
        with write_session(self._factory) as session:
            commands.mark_done(session, command_id)
        return _Start.DONE

    def _stop(self, command_id: int, te_id: int) -> None:
        with read_session(self._factory) as session:
            te, execution, workflow, snapshot = tasks.get_with_context(session, te_id)
            grace = self._specs.stop_timeout(snapshot, te.task_name) + STOP_MARGIN
            task = task_context_of(te, execution, workflow)
        if te.handle and te.handle_try == te.try_number:
            # The watch pass reports STOPPED if the process ends without saying so.
            self._stoppers.submit(self._cancel, te.handle, grace)
        elif te.status == TaskStatus.STOPPING.value and not self._sink.report(
            task, TaskStatus.STOPPED
        ):
            return  # the notification server is down: try again on the next pass
        with write_session(self._factory) as session:
            self._fence(session)
            commands.mark_done(session, command_id)

    def _cancel(self, handle: str, grace: float) -> None:
        try:
            self._executor.cancel(handle, grace)
        except Exception:  # noqa: BLE001 - the next watch pass looks again
            log.exception("stopping a task failed")
        self._wake.set()
