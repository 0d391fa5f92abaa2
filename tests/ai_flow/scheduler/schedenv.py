"""A scheduler without a server around it: a real metadata database, real uploads
(evaluated in a child process), real evaluator processes, and `Scheduler.commit` fed
with events made by the test. Nothing runs tasks: the commands stay in the outbox."""

from __future__ import annotations

import itertools
import json
import textwrap
import threading
from pathlib import Path

from ai_flow import metadata
from ai_flow.app import App, executions, workflows
from ai_flow.blob_manager import create_blob_manager
from ai_flow.evaluator import EvaluatorPool
from ai_flow.metadata import read_session, rule_state, scheduler_errors
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.internal.events import task_status_event_key
from ai_flow.scheduler import EventProcessor, Scheduler, SnapshotStore, Speculator
from ai_flow.settings import LOCAL_BLOB_MANAGER
from notification_service.model import Event


class SchedEnv:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.engine = metadata.make_engine(f"sqlite:///{home}/aiflow.db")
        metadata.upgrade(self.engine)
        self.factory = metadata.session_factory(self.engine)
        self.blobs = create_blob_manager(LOCAL_BLOB_MANAGER, {"root_directory": str(home / "blob")})
        self.snapshots = SnapshotStore(home / "snapshots", self.blobs)
        self.pool = EvaluatorPool(self.snapshots.directory, home / "logs", timeout=2.0)
        self.app = App(self.factory, threading.Lock(), self.snapshots, self.pool)
        self.processor = EventProcessor(self.snapshots)
        self.scheduler = Scheduler(
            self.factory,
            self.processor,
            Speculator(self.factory, self.snapshots, self.pool),
            self.snapshots,
            notification_uri="unused:1",
            lock=self.app.lock,
            on_committed=lambda: None,
        )
        self._offsets = itertools.count(1)
        self._files = itertools.count()
        self.requests: list[int] = []  # sizes of the evaluation requests sent
        evaluate = self.pool.evaluate

        def counting(files, items, states):  # noqa: ANN001, ANN202
            self.requests.append(len(items))
            return evaluate(files, items, states)

        self.pool.evaluate = counting  # type: ignore[method-assign]

    def commit(self, events: list[Event]) -> None:
        """What the scheduler does with events its stream delivers. There is no stream
        here: where the scheduler would reopen it (its interest changed), the test
        re-reads the interest and hands over what was not committed again."""
        pending = list(events)
        while pending:
            self.scheduler._stream.refresh()  # noqa: SLF001
            self.scheduler._reopen = False  # noqa: SLF001
            self.scheduler.commit(pending)
            pending = [e for e in pending if (e.offset or 0) > self.scheduler.committed_offset]

    def close(self) -> None:
        self.pool.close()
        self.engine.dispose()

    def upload(self, source: str) -> None:
        directory = self.home / "files" / str(next(self._files))
        directory.mkdir(parents=True)
        path = directory / "workflow.py"
        path.write_text(textwrap.dedent(source))
        uri = self.blobs.upload(str(path))
        workflows.upload_workflows(self.app, path.name, path.read_text(), uri, [])

    def start(self, workflow: str) -> int:
        return executions.start_execution(self.app, "default", workflow)[0].id

    def event(self, key: str, value: str | None = None, execution_id: int | None = None) -> Event:
        context = json.dumps({"workflow_execution_id": execution_id}) if execution_id else None
        return Event(key, value, "default", "test", context, next(self._offsets), 0)

    def status(self, execution_id: int, workflow: str, task: str, status: str) -> Event:
        """The status event the task's latest run would send."""
        with read_session(self.factory) as s:
            row = tasks.latest_task_execution(s, execution_id, task)
            assert row is not None
            context = json.dumps(
                {
                    "workflow_execution_id": execution_id,
                    "task_execution_id": row.id,
                    "task_name": task,
                    "sequence_number": row.sequence_number,
                    "try_number": row.try_number,
                }
            )
        return Event(
            task_status_event_key(workflow, task),
            status,
            "default",
            "rt",
            context,
            next(self._offsets),
            0,
        )

    def statuses(self, execution_id: int) -> dict[str, str]:
        with read_session(self.factory) as s:
            return tasks.latest_statuses(s, execution_id)

    def state(self, execution_id: int, scope: str) -> dict:
        with read_session(self.factory) as s:
            return rule_state.scope_states(s, scope, execution_id=execution_id)

    def offset(self) -> int:
        with read_session(self.factory) as s:
            return metadata.offsets.get_offset(s)

    def errors(self) -> list[metadata.SchedulerErrorRow]:
        with read_session(self.factory) as s:
            return scheduler_errors.list_errors(s)
