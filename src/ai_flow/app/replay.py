"""Replay (a dry run): a workflow file evaluated against stored events.

The file is uploaded into a scratch metadata database in a temporary directory (the
upload's child process, as for a real upload), an execution is started there, and the
events are fed one by one through the scheduler's own `EventProcessor`, with user
conditions answered by a scratch evaluator pool (the same isolated evaluator processes
as in production). Nothing of the server's metadata is read or written. The answer is
the scratch decision log's actions and the final rule state.

Task statuses: a replayed task whose status events are in the range (for its own name)
gets those, mapped onto the replay's run with the same sequence number; any other task
is assumed to succeed at once (RUNNING then SUCCESS right after its START; STOPPED
after a STOP). Both sets are named in the answer. Periodic fires and retry delays are
not replayed (no clock runs).

Scratch offsets are the real ones times SCALE, so the statuses made up for assumed
tasks fit between two real events; the answer shows real offsets.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai_flow.app import executions, namespaces, workflows
from ai_flow.app._context import App
from ai_flow.app.errors import InvalidArgumentError, PreconditionError
from ai_flow.blob_manager import create_blob_manager
from ai_flow.evaluator import EvaluatorPool
from ai_flow.metadata import (
    MAX_LIMIT,
    DecisionRow,
    commands,
    decisions,
    make_engine,
    ms_to_datetime,
    offsets,
    rule_state,
    session_factory,
    upgrade,
    write_session,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.action import TaskAction
from ai_flow.model.internal.events import parse_task_status_event_key, task_status_event_key
from ai_flow.model.status import TaskStatus
from ai_flow.scheduler import (
    EventProcessor,
    SnapshotStore,
    Speculation,
    WorkflowPlan,
    execution_id_of,
)
from ai_flow.settings import LOCAL_BLOB_MANAGER
from notification_service.model import Event

if TYPE_CHECKING:
    from notification_service.client import NotificationClient

SCALE = 1000
#: The most events one replay reads.
MAX_EVENTS = 100_000
_TASK_ACTIONS = {a.value for a in TaskAction}


def replay_workflow(
    app: App,
    file_name: str,
    source: str,
    namespace: str,
    workflow: str | None = None,
    from_offset: int | None = None,
    from_time: int | None = None,
    to_offset: int | None = None,
    events: list[Event] | None = None,
    reader: NotificationClient | None = None,
) -> dict[str, Any]:
    """What the workflow would have done over the events of `namespace` after
    `from_offset` (or from `from_time`) up to `to_offset`, read with `reader` (default
    `app.events`); or over `events` as given."""
    if (from_offset is None) == (from_time is None):
        raise InvalidArgumentError("give exactly one of from_offset and from_time")
    namespaces.get_namespace(app, namespace)  # as an upload into it: NotFoundError
    if events is None:
        events = _read_events(reader or app.events, namespace, from_offset, from_time, to_offset)
    timeout = app.evaluators.timeout
    with tempfile.TemporaryDirectory(prefix="aiflow-replay-") as tmp:
        return _Replay(Path(tmp), timeout).run(
            file_name, source, namespace, workflow, from_offset, events
        )


def _read_events(
    reader: NotificationClient | None,
    namespace: str,
    from_offset: int | None,
    from_time: int | None,
    to_offset: int | None,
) -> list[Event]:
    if reader is None:
        raise PreconditionError("this server cannot read the notification server")
    return reader.list_events(
        namespace=namespace,
        begin_offset=from_offset,
        begin_time=from_time,
        end_offset=to_offset,
        limit=MAX_EVENTS,
    )


class _Replay:
    def __init__(self, home: Path, timeout: float) -> None:
        self.engine = make_engine(f"sqlite:///{home}/replay.db")
        upgrade(self.engine)
        self.factory = session_factory(self.engine)
        blobs = create_blob_manager(LOCAL_BLOB_MANAGER, {"root_directory": str(home / "blob")})
        self.snapshots = SnapshotStore(home / "snapshots", blobs)
        self.pool = EvaluatorPool(self.snapshots.directory, home / "logs", size=1, timeout=timeout)
        self.app = App(self.factory, threading.Lock(), self.snapshots, self.pool)
        self.processor = EventProcessor(self.snapshots)
        self.dropped = 0

    def run(
        self,
        file_name: str,
        source: str,
        namespace: str,
        workflow: str | None,
        from_offset: int | None,
        events: list[Event],
    ) -> dict[str, Any]:
        try:
            return self._run(file_name, source, namespace, workflow, from_offset, events)
        finally:
            self.pool.close()
            self.engine.dispose()

    def _run(
        self,
        file_name: str,
        source: str,
        namespace: str,
        workflow: str | None,
        from_offset: int | None,
        events: list[Event],
    ) -> dict[str, Any]:
        desc = self._upload(file_name, source, workflow)
        name, own_ns = desc["name"], desc["namespace"]
        plan = WorkflowPlan(desc)
        with_status = {
            key.task_name
            for e in events
            if (key := parse_task_status_event_key(e.key)) is not None
            and key.workflow_name == name
            and key.task_name in plan.tasks
        }
        assumed = set(plan.tasks) - with_status
        self.execution_id = executions.start_execution(self.app, own_ns, name)[0].id
        self.name, self.namespace, self.assumed = name, own_ns, assumed
        self.mirrored: int | None = None  # the real execution whose statuses are used
        begin = from_offset if from_offset is not None else _before(events)
        self._settle(begin * SCALE)
        for event in events:
            scratch = self._map(event)
            if scratch is None:
                self.dropped += 1
                continue
            self._feed(scratch)
            self._settle(scratch.offset or 0)
        return self._answer(plan, events, with_status, namespace)

    def _upload(self, file_name: str, source: str, workflow: str | None) -> dict[str, Any]:
        # The file's own namespace must exist in the scratch database first.
        for _attempt in range(2):
            try:
                uploaded = workflows.upload_workflow_source(self.app, file_name, source)
                break
            except PreconditionError as exc:
                missing = _missing_namespace(str(exc))
                if missing is None:
                    raise
                namespaces.add_namespace(self.app, missing, {})
        descs = [d for _row, d in uploaded]
        if workflow is not None:
            descs = [d for d in descs if d["name"] == workflow]
        if len(descs) != 1:
            names = ", ".join(sorted(d["name"] for _r, d in uploaded))
            raise InvalidArgumentError(
                f"{file_name} defines {names or 'no workflow'}; name one with --workflow"
                if workflow is None
                else f"{file_name} has no workflow {workflow!r} (it defines {names})"
            )
        return descs[0]

    # Events

    def _map(self, event: Event) -> Event | None:
        """The event as the scratch execution hears it; None when it would not."""
        offset = (event.offset or 0) * SCALE
        key = parse_task_status_event_key(event.key)
        own = execution_id_of(event)
        if key is not None and key.workflow_name == self.name:
            return self._status(event, key.task_name, offset)
        if own is not None:
            if self.mirrored is None or own != self.mirrored:
                return None  # sent from inside another execution: heard there only
            context = json.dumps(
                {**json.loads(event.context or "{}"), "workflow_execution_id": self.execution_id}
            )
            return self._copy(event, offset, context)
        return self._copy(event, offset, event.context)

    def _status(self, event: Event, task: str, offset: int) -> Event | None:
        try:
            info = json.loads(event.context or "{}")
            sequence = int(info["sequence_number"])
        except (ValueError, KeyError, TypeError):
            return None
        if self.mirrored is None:
            self.mirrored = info.get("workflow_execution_id")
        elif info.get("workflow_execution_id") != self.mirrored:
            return None  # another real execution of the same workflow
        with self.app.read() as s:
            runs = tasks.list_task_executions(s, self.execution_id, limit=MAX_LIMIT)
        run = next((r for r in runs if r.task_name == task and r.sequence_number == sequence), None)
        if run is None:
            return None  # the replay never started this run
        context = {
            **info,
            "workflow_execution_id": self.execution_id,
            "task_execution_id": run.id,
        }
        return self._copy(event, offset, json.dumps(context))

    def _copy(self, event: Event, offset: int, context: str | None) -> Event:
        return Event(
            event.key,
            event.value,
            self.namespace,
            event.sender,
            context,
            offset,
            event.create_time,
        )

    def _feed(self, event: Event) -> None:
        lookup = Speculation({}, self.pool, self.snapshots, sync=True)
        with write_session(self.factory) as s:
            self.processor.process(s, [event], lookup)
            offsets.set_offset(s, event.offset or 0)

    def _settle(self, offset: int) -> None:
        """Carry out the commands queued so far: assumed tasks report at once."""
        step = 0
        while True:
            with write_session(self.factory) as s:
                pending = commands.pending(s, limit=MAX_LIMIT)
                made = []
                for command in pending:
                    commands.mark_done(s, command.id)
                    run = tasks.get_task_execution(s, command.task_execution_id)
                    if run.task_name not in self.assumed:
                        continue
                    if command.action == TaskAction.START.value:
                        made += [(run, TaskStatus.RUNNING), (run, TaskStatus.SUCCESS)]
                    elif command.action == TaskAction.STOP.value:
                        made.append((run, TaskStatus.STOPPED))
                reports = [
                    self._report(run, status, offset, step + i + 1)
                    for i, (run, status) in enumerate(made)
                ]
            if not reports:
                return
            step += len(reports)
            for report in reports:
                self._feed(report)

    def _report(self, run: Any, status: TaskStatus, offset: int, step: int) -> Event:
        if step >= SCALE:
            raise PreconditionError("replay: too many made-up statuses after one event")
        context = {
            "workflow_execution_id": self.execution_id,
            "task_execution_id": run.id,
            "task_name": run.task_name,
            "sequence_number": run.sequence_number,
            "try_number": run.try_number,
        }
        key = task_status_event_key(self.name, run.task_name)
        return Event(
            key, status.value, self.namespace, "replay", json.dumps(context), offset + step, 0
        )

    # The answer

    def _answer(
        self, plan: WorkflowPlan, events: list[Event], with_status: set[str], namespace: str
    ) -> dict[str, Any]:
        with self.app.read() as s:
            rows = list(reversed(decisions.for_execution(s, self.execution_id, limit=MAX_LIMIT)))
            state = {
                rule.scope: rule_state.scope_states(s, rule.scope, execution_id=self.execution_id)
                for rules in plan.rules.values()
                for rule in rules
            }
        actions = [_action(r) for r in rows if r.taken and r.action in _TASK_ACTIONS]
        return {
            "workflow": f"{self.namespace}.{self.name}",
            "namespace": namespace,
            "events": len(events),
            "events_not_heard": self.dropped,
            "first_offset": events[0].offset if events else None,
            "last_offset": events[-1].offset if events else None,
            "statuses_from_log": sorted(with_status),
            "statuses_assumed_success": sorted(self.assumed),
            "actions": actions,
            "rule_state": {scope: values for scope, values in state.items() if values},
        }


def _action(row: DecisionRow) -> dict[str, Any]:
    offset = row.event_offset
    time = ms_to_datetime(row.event_time)
    return {
        "task": row.task_name,
        "action": row.action,
        "event_offset": offset // SCALE if offset is not None else None,
        "made_up_status": offset is not None and offset % SCALE != 0,
        "event_key": row.event_key,
        "time": time.isoformat() if time else None,
        "source": row.source,
        "rule_index": row.rule_index,
        "detail": row.detail,
    }


def _before(events: list[Event]) -> int:
    """The offset just before the first event (the execution starts there)."""
    return (events[0].offset or 1) - 1 if events else 0


def _missing_namespace(message: str) -> str | None:
    marker = " is in namespace "
    if marker not in message:
        return None
    return message.split(marker, 1)[1].split(",", 1)[0].strip()
