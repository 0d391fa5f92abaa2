"""CeleryTaskExecutor (``task_executor: celery``): tries run on Celery workers.

`submit` publishes one Celery task per try (``aiflow-te<id>-try<n>``, JSON, on the
operator's ``queue`` or ``task_default_queue``); a worker (`aiflow worker start`) runs
the task runtime for it. The handle is JSON naming the Celery task id, the queue, the
task execution and the try.

The server sees no remote process, so a handle's liveness is what the server knows:

* A try that is not over in the metadata database (its row is still at that try and
  not finished) polls alive, whether it waits in the broker or runs: a worker that dies
  stops the try's heartbeats, and the heartbeat timeout fails it. A try no worker picks
  up fails once it was not claimed within ``task_heartbeat_timeout`` (the watcher's
  start timeout; it is then revoked).
* A try that is over polls alive while a worker still reports its Celery task (the
  runtime is still ending), then dead: a retry never starts beside it.
* `cancel` revokes the task (a copy not started yet is dropped), signals the runtime
  through its worker (SIGTERM: the runtime stops as it does locally, asking the server
  why; its heartbeat answers also carry the stop), waits until no worker reports the
  task, and has the worker SIGKILL it after the grace; the handle then polls dead.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ai_flow.executor import ExecutorError
from ai_flow.executor._celery_app import (
    CONTROL_TIMEOUT,
    TASK_NAME,
    CeleryConfigError,
    CeleryHandle,
    check_broker,
    make_app,
    task_id,
)
from ai_flow.executor._interface import HandleState, TaskExecutor
from ai_flow.metadata import (
    NotFoundError,
    make_engine,
    read_session,
    session_factory,
    task_executions,
)
from ai_flow.model.status import TASK_FINISHED
from ai_flow.runtime import TaskSpec

if TYPE_CHECKING:
    from ai_flow.settings import AIFlowServerSettings

log = logging.getLogger(__name__)

#: Seconds a worker's "still running" answer about an ended try is reused by `poll`.
ANSWER_TTL = 1.0
#: Seconds `cancel` waits for a worker to confirm the kill after the grace.
KILL_WAIT = 5.0
#: How many ended handles are remembered (each polls dead without asking the workers).
_GONE_LIMIT = 10_000


class CeleryTaskExecutor(TaskExecutor):
    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        parallelism: int | None = None,
        settings: AIFlowServerSettings | None = None,
    ) -> None:
        """`settings`: the server's. `home`, `log_dir` and
        `parallelism` are the local executor's: workers have their own."""
        del home, log_dir, parallelism
        if settings is None:
            raise ExecutorError("task_executor celery needs the server's settings")
        try:
            self._app = make_app(settings.celery_broker_url, settings.celery_options)
            check_broker(self._app)
        except CeleryConfigError as exc:
            raise ExecutorError(str(exc)) from None
        self.default_queue: str = self._app.conf.task_default_queue
        # A runtime learns a stop at its next heartbeat at the latest.
        self._stop_notice = float(settings.task_heartbeat_interval)
        self._engine = make_engine(settings.metadata_backend_uri, 2, 2)
        self._factory = session_factory(self._engine)
        self._lock = threading.Lock()
        self._cancelling: dict[str, int] = {}
        self._gone: OrderedDict[str, str] = OrderedDict()  # handle -> how it ended
        self._answers: dict[str, tuple[float, bool]] = {}  # task id -> (when, running)

    def close(self) -> None:
        self._engine.dispose()
        self._app.close()

    # Launching

    def submit(self, spec: TaskSpec) -> str:
        handle = CeleryHandle(
            task_id(spec.task_execution_id, spec.try_number),
            spec.queue or self.default_queue,
            spec.task_execution_id,
            spec.try_number,
        )
        text = handle.dumps()
        # The same try published again (a replayed START) is one more message for the
        # same task id: the runtime's claim runs only the first.
        self._app.send_task(
            TASK_NAME,
            kwargs={"spec": spec.to_json(), "handle": text},
            task_id=handle.task_id,
            queue=handle.queue,
        )
        with self._lock:
            self._gone.pop(text, None)
            self._answers.pop(handle.task_id, None)
        log.info("published %s to Celery queue %s", spec.label, handle.queue)
        return text

    # Liveness

    def poll(self, handles: Sequence[str]) -> dict[str, HandleState]:
        states: dict[str, HandleState] = {}
        pending: dict[str, CeleryHandle] = {}
        for text in handles:
            handle = CeleryHandle.loads(text)
            with self._lock:
                gone = self._gone.get(text)
                cancelling = text in self._cancelling
            if handle is None:
                states[text] = HandleState(False, "not a Celery task handle")
            elif cancelling:
                states[text] = HandleState(True)
            elif gone is not None:
                states[text] = HandleState(False, gone)
            else:
                pending[text] = handle
        over = self._tries_over([h.key for h in pending.values()])
        ended = {t: h for t, h in pending.items() if h.key in over}
        for text in pending.keys() - ended.keys():
            states[text] = HandleState(True)
        running = self._still_running([h.task_id for h in ended.values()]) if ended else set()
        for text, handle in ended.items():
            if handle.task_id in running:
                states[text] = HandleState(True)
            else:
                states[text] = HandleState(False, over[handle.key])
                self._forget(text, over[handle.key])
        return states

    def _tries_over(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The keys whose try is over in the metadata database, with how."""
        if not keys:
            return {}
        rows: dict[int, tuple[int, str]] = {}
        with read_session(self._factory) as session:
            for te in sorted({te for te, _ in keys}):
                try:
                    row = task_executions.get_task_execution(session, te)
                except NotFoundError:
                    continue
                rows[te] = (row.try_number, row.status)
        over = {}
        for te, try_number in keys:
            now = rows.get(te)
            if now is None:
                over[(te, try_number)] = "the task execution was deleted"
            elif now[0] != try_number:
                over[(te, try_number)] = f"try {try_number} was followed by try {now[0]}"
            elif now[1] in TASK_FINISHED:
                over[(te, try_number)] = f"the try ended {now[1]}"
        return over

    def _still_running(self, ids: list[str]) -> set[str]:
        """Which of the tasks a worker still reports (answers reused for ANSWER_TTL s);
        all of them when the broker cannot be asked."""
        now = time.monotonic()
        with self._lock:
            fresh = {i: a for i, a in self._answers.items() if now - a[0] < ANSWER_TTL}
        ask = [i for i in ids if i not in fresh]
        if ask:
            try:
                found = self._running(ask)
            except Exception as exc:  # noqa: BLE001 - unknown: assume it still runs
                log.warning("cannot ask the Celery workers what runs: %s", exc)
                return set(ids)
            with self._lock:
                for i in ask:
                    fresh[i] = self._answers[i] = (now, i in found)
        return {i for i in ids if fresh[i][1]}

    def _forget(self, handle: str, how: str) -> None:
        with self._lock:
            self._gone[handle] = how
            self._gone.move_to_end(handle)
            while len(self._gone) > _GONE_LIMIT:
                self._gone.popitem(last=False)
            parsed = CeleryHandle.loads(handle)
            if parsed is not None:
                self._answers.pop(parsed.task_id, None)

    # The workers' control commands (see _celery_task.py)

    def _running(
        self, ids: list[str] | None, worker: str | None = None
    ) -> dict[str, tuple[str, str]]:
        """Task id -> (worker, handle) of the AIFlow tasks workers report (`ids`, or all)."""
        replies = self._app.control.broadcast(
            "aiflow_running",
            arguments={"ids": ids},
            reply=True,
            timeout=CONTROL_TIMEOUT,
            destination=[worker] if worker else None,
            limit=1 if worker else None,
        )
        found: dict[str, tuple[str, str]] = {}
        for reply in replies or []:
            for name, tasks in reply.items():
                if isinstance(tasks, dict):
                    for tid, handle in tasks.items():
                        found[str(tid)] = (str(name), str(handle))
        return found

    def _signal(self, task: str, signum: int) -> None:
        self._app.control.broadcast(
            "aiflow_signal", arguments={"task_id": task, "signum": int(signum)}
        )

    # Stopping

    def cancel(self, handle: str, grace: float) -> None:
        parsed = CeleryHandle.loads(handle)
        if parsed is None:
            return
        with self._lock:
            if handle in self._gone:
                return
            self._cancelling[handle] = self._cancelling.get(handle, 0) + 1
        try:
            self._end(parsed, grace + self._stop_notice)
        except Exception as exc:  # noqa: BLE001 - the broker is away: so are its workers
            log.warning("cannot reach the Celery workers to stop %s: %s", parsed.task_id, exc)
            time.sleep(grace)  # a running try still learns the stop from its heartbeats
        finally:
            with self._lock:
                count = self._cancelling.pop(handle, 1) - 1
                if count:
                    self._cancelling[handle] = count
        self._forget(handle, "cancelled")

    def _end(self, handle: CeleryHandle, grace: float) -> None:
        control = self._app.control
        control.revoke(handle.task_id)  # a worker drops a copy it has not started
        self._signal(handle.task_id, signal.SIGTERM)
        if self._wait_gone(handle.task_id, grace):
            return
        log.warning("%s did not stop within %gs; killing it", handle.task_id, grace)
        self._signal(handle.task_id, signal.SIGKILL)
        self._wait_gone(handle.task_id, KILL_WAIT)

    def _wait_gone(self, task: str, timeout: float) -> bool:
        """Until no worker reports the task (asking the one that runs it, once known)."""
        deadline = time.monotonic() + timeout
        found = self._running([task])
        while task in found:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
            found = self._running([task], worker=found[task][0])
        return True

    def adopt(self) -> list[str]:
        """The tries Celery workers run now (they heartbeat to whichever server runs)."""
        try:
            found = self._running(None)
        except Exception as exc:  # noqa: BLE001 - the server starts all the same
            log.warning("cannot ask the Celery workers what runs: %s", exc)
            return []
        return sorted({handle for _, handle in found.values() if CeleryHandle.loads(handle)})
