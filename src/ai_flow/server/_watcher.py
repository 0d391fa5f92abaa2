"""The command runner's watch pass: dead tries, execution and heartbeat timeouts.

Every launched try that is not finished is polled through the executor:

* Its process is gone without a final status: the server reports FAILED (STOPPED if it
  was being stopped) under the try's own status id. It waits until the scheduler has
  processed every event stored when the death was seen, so a try that reported just
  before exiting is never contradicted.
* It runs past its operator's `execution_timeout` (from its claim), no heartbeat came
  for `task_heartbeat_timeout` (counted from the server's start at the earliest; beats
  that reached another server count through the row), or its process did not claim it
  within `task_queued_timeout` (a queue with no free worker): FAILED
  with the reason is reported first, then the process is cancelled, so its own STOPPED
  report yields to the FAILED, which may then be retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.app import HeartbeatBook
from ai_flow.executor import HandleState, TaskExecutor
from ai_flow.metadata import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    commands,
    read_session,
    snapshots,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.status import TASK_ALIVE_STATUSES, TaskStatus
from ai_flow.model.stop_reason import StopReason
from ai_flow.scheduler import PlanError, SnapshotStore, TaskPlan
from ai_flow.server._tasks import SpecFactory, StatusSink, task_context_of
from notification_service.util.clock import now

log = logging.getLogger(__name__)

#: Extra seconds an executor waits past a task's stop timeout before killing it.
STOP_MARGIN = 5.0
# Alive and handed to the executor (INIT never is).
WATCHED = TASK_ALIVE_STATUSES - {TaskStatus.INIT}

_Row = tuple[TaskExecutionRow, WorkflowExecutionRow, WorkflowRow]


class Watcher:
    def __init__(
        self,
        factory: sessionmaker[Session],
        executor: TaskExecutor,
        snapshots: SnapshotStore,
        specs: SpecFactory,
        sink: StatusSink,
        heartbeats: HeartbeatBook,
        committed_offset: Callable[[], int],
        stoppers: ThreadPoolExecutor,
        heartbeat_timeout: float = 60.0,
        heartbeat_check_interval: float = 10.0,
        queued_timeout: float = 600.0,
    ) -> None:
        self._factory = factory
        self._executor = executor
        self._snapshots = snapshots
        self._specs = specs
        self._sink = sink
        self._heartbeats = heartbeats
        self._committed_offset = committed_offset
        self._stoppers = stoppers
        self.heartbeat_timeout = heartbeat_timeout
        self.heartbeat_check_interval = heartbeat_check_interval
        self.queued_timeout = queued_timeout
        self._last_heartbeat_check = 0.0
        self._dead_at: dict[tuple[int, int], int] = {}  # latest event offset when seen dead
        self._unclaimed_since: dict[tuple[int, int], float] = {}
        self._failing: set[tuple[int, int]] = set()

    def watch(self) -> bool:
        """One pass; returns whether commands are pending."""
        # Taken before the rows are read: the rows then reflect at least every event up
        # to it (see _report_dead).
        committed = self._committed_offset()
        with read_session(self._factory) as session:
            rows = tasks.list_launched(session, WATCHED)
            plans = {te.id: self._task_plan(session, te, ex) for te, ex, _ in rows}
            pending = commands.has_pending(session)
        current = [r for r in rows if r[0].handle_try == r[0].try_number]
        states = self._executor.poll([te.handle for te, _, _ in current if te.handle])
        beat_check = time.monotonic() - self._last_heartbeat_check >= self.heartbeat_check_interval
        if beat_check:
            self._last_heartbeat_check = time.monotonic()
        dead = [r for r in current if not states[r[0].handle].alive]  # type: ignore[index]
        if dead:
            self._report_dead(dead, states, committed)
        for row in current:
            te = row[0]
            if states[te.handle].alive and te.status != TaskStatus.STOPPING.value:  # type: ignore[index]
                self._check(row, plans[te.id], beat_check)
        seen = {(te.id, te.try_number) for te, _, _ in current}
        for book in (self._dead_at, self._unclaimed_since):
            for key in [k for k in book if k not in seen]:
                del book[key]
        return pending

    def _task_plan(
        self, session: Session, te: TaskExecutionRow, execution: WorkflowExecutionRow
    ) -> TaskPlan | None:
        try:
            plan = self._snapshots.plan(snapshots.get_snapshot(session, execution.snapshot_id))
        except PlanError:
            return None  # a broken snapshot only loses its timeouts
        return plan.tasks.get(te.task_name)

    def _report_dead(
        self, dead: list[_Row], states: dict[str, HandleState], committed: int
    ) -> None:
        """Report tries that died without a word. A try's own last report was stored
        before its death was seen, so at an offset up to the latest one then: only once
        the rows were read with the scheduler past that offset is their status known to
        be stale, not merely behind."""
        latest = self._sink.latest_offset()
        if latest is None:
            return  # the notification server is down: nothing can be reported now
        for te, execution, workflow in dead:
            key = (te.id, te.try_number)
            if self._dead_at.setdefault(key, latest) > committed:
                continue  # its own last report may still be on the way to the scheduler
            task = task_context_of(te, execution, workflow)
            if te.status == TaskStatus.STOPPING.value:
                self._sink.report(task, TaskStatus.STOPPED)
                continue
            detail = states[te.handle].detail  # type: ignore[index]
            log.warning("task %s died without reporting (%s); marking it FAILED", key, detail)
            reason = f"the task process died without reporting a status ({detail or 'no detail'})"
            self._sink.report(task, TaskStatus.FAILED, reason)

    def _check(self, row: _Row, plan: TaskPlan | None, beat_check: bool) -> None:
        te = row[0]
        execution_timeout = plan.execution_timeout if plan is not None else None
        stop_timeout = plan.stop_timeout if plan is not None else None
        key = (te.id, te.try_number)
        current = now()
        if te.claimed_try != te.try_number:
            since = self._unclaimed_since.setdefault(key, current)
            if beat_check and current - since > self.queued_timeout:
                message = (
                    f"the task process did not start within {self.queued_timeout:g}s "
                    "(task_queued_timeout)"
                )
                self._fail(row, message, StopReason.HEARTBEAT, stop_timeout)
            return
        started = (te.try_start_time or 0) / 1000
        if execution_timeout is not None and current - started > execution_timeout:
            message = f"timed out after {execution_timeout:g}s"
            self._fail(row, message, StopReason.TIMEOUT, stop_timeout)
        elif beat_check:
            stored = (te.last_heartbeat or 0) / 1000
            last = max(self._heartbeats.last(key), started, stored)
            if current - last > self.heartbeat_timeout:
                self._fail(
                    row,
                    f"no heartbeat for {current - last:.0f}s (heartbeat timeout "
                    f"{self.heartbeat_timeout:g}s)",
                    StopReason.HEARTBEAT,
                    stop_timeout,
                )

    def _fail(self, row: _Row, error: str, reason: StopReason, stop_timeout: float | None) -> None:
        te, execution, workflow = row
        key = (te.id, te.try_number)
        if key in self._failing:
            return
        log.warning("task execution %s try %s: %s; failing it", te.id, te.try_number, error)
        self._failing.add(key)
        self._heartbeats.stop(key, reason)
        task = task_context_of(te, execution, workflow)
        assert te.handle is not None
        grace = (stop_timeout or self._specs.default_stop_timeout) + STOP_MARGIN
        self._stoppers.submit(self._end, key, task, te.handle, error, grace)

    def _end(self, key: tuple[int, int], task, handle: str, error: str, grace: float) -> None:  # noqa: ANN001
        try:
            # Recorded first: the task's own STOPPED report then comes second.
            if self._sink.report(task, TaskStatus.FAILED, error):
                self._executor.cancel(handle, grace)
        except Exception:  # noqa: BLE001 - the next watch pass tries again
            log.exception("failing task execution %s failed", key[0])
        finally:
            self._failing.discard(key)
