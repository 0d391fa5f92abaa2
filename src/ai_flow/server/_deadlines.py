"""The command runner's watch pass: silent deaths, execution and heartbeat timeouts.

Both are judged from the task's own files, in wall-clock seconds: the lock record says
when the try started, the heartbeat file's mtime when it last beat. A try past its
`execution_timeout`, or whose heartbeat is older than `task_heartbeat_timeout`, is
ended by `LocalTaskLauncher.fail`: FAILED with an error message is recorded first,
then the process group is stopped (SIGTERM, SIGKILL after the grace — so tasks that
ignore SIGTERM or are frozen end too). The FAILED report may then be retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ai_flow.executor import LocalTaskLauncher
from ai_flow.metadata import (
    TaskCommandRow,
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    read_session,
)
from ai_flow.metadata import WorkflowSnapshotRow as SnapshotRow
from ai_flow.model.status import TaskStatus
from ai_flow.runtime import TaskSpec, final_status
from ai_flow.runtime._files import mtime, read_lock_record
from ai_flow.scheduler import SnapshotStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Watched:
    """A RUNNING try and its operator's execution_timeout (seconds), if any."""

    spec: TaskSpec
    execution_timeout: float | None


def execution_timeout(
    session: Session, snapshots: SnapshotStore, te: TaskExecutionRow
) -> float | None:
    """The `execution_timeout` of the task's operator in its execution's snapshot."""
    execution = session.get(WorkflowExecutionRow, te.workflow_execution_id)
    snapshot = session.get(SnapshotRow, execution.snapshot_id)
    name = session.get(WorkflowRow, execution.workflow_id).name
    try:
        task = snapshots.workflow(snapshot, name).tasks.get(te.task_name)
    except Exception:  # noqa: BLE001 - a broken snapshot only loses its timeouts
        return None
    return getattr(task, "execution_timeout", None)


# RETRYING: a retry's new try is launched before it reports RUNNING.
WATCHED = (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.STOPPING, TaskStatus.RETRYING)


class Deadlines:
    def __init__(
        self,
        launcher: LocalTaskLauncher,
        submit: Callable[..., object],
        stop_grace: Callable[[], float],
        heartbeat_timeout: float,
        heartbeat_check_interval: float,
    ) -> None:
        self._launcher = launcher
        self._submit = submit
        self._stop_grace = stop_grace
        self.heartbeat_timeout = heartbeat_timeout
        self.heartbeat_check_interval = heartbeat_check_interval
        self._failing: set[tuple[tuple[int, str, int], int]] = set()
        self._last_heartbeat_check = 0.0

    def watch(
        self,
        factory: sessionmaker[Session],
        spec_of: Callable[[Session, TaskExecutionRow], TaskSpec],
        snapshots: SnapshotStore,
    ) -> bool:
        """One watch pass over launched task executions; True if commands are pending."""
        with read_session(factory) as session:
            rows = session.scalars(
                select(TaskExecutionRow)
                .where(TaskExecutionRow.status.in_([s.value for s in WATCHED]))
                .where(TaskExecutionRow.pid.is_not(None))
                .limit(1000)
            ).all()
            specs = {r.id: (spec_of(session, r), r.status) for r in rows}
            running = [
                Watched(specs[r.id][0], execution_timeout(session, snapshots, r))
                for r in rows
                if r.status == TaskStatus.RUNNING.value
            ]
            unfinished = session.scalar(
                select(TaskCommandRow.id).where(TaskCommandRow.done.is_(False)).limit(1)
            )
        self.report_silent_deaths(specs)
        self.check(running)
        return unfinished is not None

    def report_silent_deaths(self, specs: dict[int, tuple[TaskSpec, str]]) -> None:
        """Report tries that died without a word, and resend unsent final statuses.

        `specs`: task execution id -> (spec, status) of the watched task executions.
        """
        all_specs = [spec for spec, _ in specs.values()]
        for spec in self._launcher.find_dead(all_specs):
            stopping = specs[spec.task_execution_id][1] == TaskStatus.STOPPING.value
            final = TaskStatus.STOPPED if stopping else TaskStatus.FAILED
            log.warning("task %s died without reporting; marking it %s", spec.key, final.value)
            self._launcher.report_dead(spec, final)
        for spec in self._launcher.find_unreported(all_specs):
            self._launcher.report_dead(spec)

    def check(self, running: list[Watched]) -> None:
        """Fail RUNNING tries past their execution timeout or heartbeat timeout."""
        now = time.time()
        beat_check = time.monotonic() - self._last_heartbeat_check >= self.heartbeat_check_interval
        if beat_check:
            self._last_heartbeat_check = time.monotonic()
        for item in running:
            spec = item.spec
            if (spec.key, spec.try_number) in self._failing:
                continue
            record = read_lock_record(spec.lock_path)
            if record is None or record.try_number != spec.try_number:
                continue  # this try has not started yet
            if final_status(spec) is not None:
                continue  # finished (or being failed already): nothing to time out
            timeout = item.execution_timeout
            if timeout is not None and now - record.started_at > timeout:
                self._fail(spec, f"timed out after {timeout:g}s")
            elif beat_check:
                last = mtime(spec.heartbeat_path) or record.started_at
                if now - last > self.heartbeat_timeout and self._launcher.is_alive(spec):
                    self._fail(
                        spec,
                        f"no heartbeat for {now - last:.0f}s (heartbeat timeout "
                        f"{self.heartbeat_timeout:g}s)",
                    )

    def _fail(self, spec: TaskSpec, error: str) -> None:
        log.warning("task %s try %s: %s; failing it", spec.key, spec.try_number, error)
        self._failing.add((spec.key, spec.try_number))
        self._submit(self._end, spec, error)

    def _end(self, spec: TaskSpec, error: str) -> None:
        try:
            self._launcher.fail(spec, error, self._stop_grace())
        except Exception:  # noqa: BLE001 - the next watch pass tries again
            log.exception("failing task %s failed", spec.key)
        finally:
            self._failing.discard((spec.key, spec.try_number))
