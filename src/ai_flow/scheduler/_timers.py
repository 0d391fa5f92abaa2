"""The timer loop: workflow schedules, periodic tasks and history retention.

Exactly once. Each fire is one transaction under the scheduling lock: re-read the
timer, start what it starts (a PERIODIC workflow execution, or a run of a periodic
task), store its next fire time, commit. A crash before the commit leaves the timer
due, so it fires after the restart; after the commit it is not due any more. A fire
is thus never lost nor doubled. Executions started by a schedule carry
`trigger_info = {"schedule_id", "fire_time", "next_fire_time"}`, so the chain of
fires can be audited.

Missed fires. After downtime (or when a fire took long), a timer that is due fires
ONCE for the whole missed period; its next fire is then the first time after now
(for intervals: `fire_time + interval` when that is still ahead, so they do not drift).
Paused schedules never fire; resuming continues from now. A disabled workflow's
schedule advances without starting anything. Cron expressions are read in UTC.

Periodic tasks. Each periodic task of a RUNNING execution has a row in
af_task_schedule (created with the execution); it first runs at its first fire, not
when the execution starts. A fire follows START semantics: if the previous run is
still alive the fire is skipped (no overlap) and the next one is scheduled.

Retention. At start and every `purge_interval` seconds, `_retention.purge_history`;
every TRIM_INTERVAL seconds the decision log is trimmed to `decision_log_max_rows`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.metadata import (
    TaskScheduleRow,
    WorkflowScheduleRow,
    executions,
    ms_to_datetime,
    read_session,
    schedules,
    snapshots,
    task_schedules,
    workflows,
    write_session,
)
from ai_flow.metadata.lease import LeaseLostError
from ai_flow.model.action import TaskAction
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import WorkflowStatus
from ai_flow.scheduler import _decisions as dlog
from ai_flow.scheduler._actions import apply_action, start_workflow_execution
from ai_flow.scheduler._plan import PlanError
from ai_flow.scheduler._retention import DECISION_LOG_MAX_ROWS, purge_history, trim_decisions
from ai_flow.scheduler._snapshots import SnapshotStore
from notification_service.util.clock import now_ms

log = logging.getLogger(__name__)

FIRE_BATCH = 100
#: Seconds between two trims of the decision log to its cap.
TRIM_INTERVAL = 60.0


class TimerLoop:
    def __init__(
        self,
        factory: sessionmaker[Session],
        lock: threading.Lock,
        snapshots: SnapshotStore,
        on_committed: Callable[[], None],
        retention: timedelta,
        aiflow_home: Path,
        log_dir: Path,
        max_sleep: float = 1.0,
        purge_interval: float = 3600.0,
        fence: Callable[[Session], None] | None = None,
        decision_log_max_rows: int = DECISION_LOG_MAX_ROWS,
    ) -> None:
        self._factory = factory
        self.decision_log_max_rows = decision_log_max_rows
        self._fence = fence or (lambda _session: None)  # HA: only the lease holder fires
        self._lock = lock
        self._snapshots = snapshots
        self._on_committed = on_committed
        self.retention = retention
        self._home = aiflow_home
        self._log_dir = log_dir
        self.max_sleep = max_sleep
        self.purge_interval = purge_interval
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="af-timers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        """Look at the timers now (call after schedules were added, paused or resumed)."""
        self._wake.set()

    def _run(self) -> None:
        next_purge = 0.0
        next_trim = time.monotonic() + TRIM_INTERVAL
        while not self._stopped.is_set():
            try:
                self.fire_due()
                # Monotonic: a clock step must neither skip nor repeat purges.
                if time.monotonic() >= next_purge:
                    self.purge_history()
                    next_purge = time.monotonic() + self.purge_interval
                # The decision log's cap is kept between purges too: a busy scheduler
                # writes far more than the cap in an hour.
                if time.monotonic() >= next_trim:
                    trim_decisions(self._factory, self._lock, self.decision_log_max_rows)
                    next_trim = time.monotonic() + TRIM_INTERVAL
            except LeaseLostError:
                log.warning("scheduling lease lost: this server stops firing timers")
                self._stopped.set()
            except Exception:  # noqa: BLE001 - the loop must survive a DB blip
                log.exception("timer pass failed")
            self._wake.wait(self._sleep_seconds())
            self._wake.clear()

    def _sleep_seconds(self) -> float:
        try:
            with read_session(self._factory) as session:
                times = (
                    schedules.next_schedule_fire_time(session),
                    task_schedules.next_task_fire_time(session),
                )
                due = [t for t in times if t is not None]
        except Exception:  # noqa: BLE001
            return self.max_sleep
        if not due:
            return self.max_sleep
        return min(self.max_sleep, max(0.01, (min(due) - now_ms()) / 1000))

    # Firing

    def fire_due(self) -> int:
        """Fire every due timer once; returns how many fired."""
        now = now_ms()
        with read_session(self._factory) as session:
            due_schedules = [r.id for r in schedules.list_due_schedules(session, now, FIRE_BATCH)]
            due_tasks = [
                r.id for r in task_schedules.list_due_task_schedules(session, now, FIRE_BATCH)
            ]
        fired = 0
        for schedule_id in due_schedules:
            fired += self._fire(self._fire_schedule, schedule_id, now)
        for task_schedule_id in due_tasks:
            fired += self._fire(self._fire_task, task_schedule_id, now)
        if fired:
            self._on_committed()
        return fired

    def _fire(self, fire: Callable[[Session, int, int], bool], timer_id: int, now: int) -> bool:
        try:
            with self._lock, write_session(self._factory) as session:
                self._fence(session)
                return fire(session, timer_id, now)
        except LeaseLostError:
            raise
        except Exception:  # noqa: BLE001 - one bad timer must not block the others
            log.exception("firing timer %s failed", timer_id)
            return False

    def _fire_schedule(self, session: Session, schedule_id: int, now: int) -> bool:
        row = session.get(WorkflowScheduleRow, schedule_id, with_for_update=True)
        # Re-checked under the lock: paused, deleted or fired since it was listed.
        if row is None or row.is_paused or row.next_fire_time is None:
            return False
        if row.next_fire_time > now:
            return False
        fire_time = row.next_fire_time
        following = schedules.next_fire_from(row.expression, fire_time, now)
        workflow = workflows.get_workflow_by_id(session, row.workflow_id)
        if workflow.is_enabled and workflow.latest_snapshot_id is not None:
            snapshot = snapshots.get_snapshot(session, workflow.latest_snapshot_id)
            try:
                plan = self._snapshots.plan(snapshot)
            except PlanError as exc:  # a broken snapshot skips this fire
                log.error("schedule %s: snapshot %s: %s", row.id, snapshot.id, exc)
            else:
                start_workflow_execution(
                    session,
                    workflow.id,
                    snapshot.id,
                    plan,
                    ExecutionType.PERIODIC,
                    trigger_info={
                        "schedule_id": row.id,
                        "fire_time": fire_time,
                        "next_fire_time": following,
                    },
                    cause={
                        "source": dlog.TIMER,
                        "event_time": fire_time,
                        "detail": f"started by schedule {row.id} ({row.expression}), "
                        f"fire due at {ms_to_datetime(fire_time)}",
                    },
                )
        schedules.record_fire(session, row.id, fire_time, following)
        return True

    def _fire_task(self, session: Session, timer_id: int, now: int) -> bool:
        row = session.get(TaskScheduleRow, timer_id, with_for_update=True)
        if row is None or row.next_fire_time > now:
            return False
        execution = executions.get_execution(session, row.workflow_execution_id)
        if execution.status != WorkflowStatus.RUNNING.value:
            return False
        # START semantics: skipped while the previous run is alive (no overlap); a
        # disabled workflow lets the fire pass without a run.
        decision = {
            "workflow_execution_id": execution.id,
            "task_name": row.task_name,
            "event_time": row.next_fire_time,
            "action": TaskAction.START.value,
        }
        if workflows.get_workflow_by_id(session, execution.workflow_id).is_enabled:
            acted = apply_action(
                session, execution.id, row.task_name, TaskAction.START, ExecutionType.PERIODIC
            )
            decision.update(
                taken=acted.done,
                detail=f"periodic fire ({row.expression}): {acted.detail}",
                started_task_execution_id=acted.started,
            )
        else:
            decision["detail"] = f"periodic fire ({row.expression}): workflow disabled"
        dlog.record(session, dlog.TIMER, **decision)
        following = schedules.next_fire_from(row.expression, row.next_fire_time, now)
        task_schedules.record_task_fire(session, row, row.next_fire_time, following)
        return True

    def purge_history(self) -> int:
        return purge_history(
            self._factory,
            self._lock,
            self.retention,
            self._home,
            self._log_dir,
            max_decisions=self.decision_log_max_rows,
        )
