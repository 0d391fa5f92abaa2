"""The task runtime: run one try of one task, the same program under every executor.

1. With ``lock`` (local executors), take the try's file lock or leave: a twin runs it.
2. Claim the try through the AIFlow server's internal RPC; a refused claim (the try
   already runs elsewhere, was superseded, or was stopped) leaves without running.
3. Heartbeat on that RPC; fetch the snapshot through the blob manager into the host's
   working directory; load the operator; report RUNNING; run it; report the final
   status. Statuses are events with fixed idempotency ids.

A stop request (SIGTERM, or a heartbeat answer) calls ``operator.stop`` with
``context.stop_reason`` set, and ends the task after ``stop_timeout`` if it lingers.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ai_flow.blob_manager import (
    BlobManagerError,
    create_blob_manager,
    fetch_snapshot,
    set_current_blob_manager,
)
from ai_flow.engines import EngineError, ExternalJob, cancel_external_job
from ai_flow.model.operator import AIFlowOperator
from ai_flow.model.status import TaskStatus
from ai_flow.model.stop_reason import StopReason
from ai_flow.model.workflow import load_workflows
from ai_flow.runtime._channel import ClaimAnswer, ClaimError, ServerChannel
from ai_flow.runtime._context import TaskRuntimeContext, set_current_task_context
from ai_flow.runtime._files import LOCK_RETRY_SECONDS, try_lock, write_lock_record
from ai_flow.runtime._paths import TaskPaths, task_paths
from ai_flow.runtime._report import TASK_RUNTIME_SENDER, StatusReporter
from ai_flow.runtime._spec import TaskSpec
from notification_service.client import NotificationClient

log = logging.getLogger("ai_flow.runtime")


class TaskNotFoundError(Exception):
    """The snapshot does not define the workflow or the task the spec names."""


#: Failures of the try's set-up (blob store, snapshot, engine binaries): logged as one
#: line, as user mistakes are everywhere else; user code keeps its traceback.
_SETUP_ERRORS = (BlobManagerError, EngineError, TaskNotFoundError)


def run_task(
    spec: TaskSpec,
    home: str | os.PathLike[str],
    log_dir: str | None = None,
    lock: str | None = None,
) -> int:
    """Run the try of ``spec`` in this process; returns the exit code (1 = FAILED).

    Returns 0 without running anything if a twin holds the lock or the claim is refused:
    that, with the claim, is what makes launching idempotent.
    """
    if lock is not None:
        fd = try_lock(lock, LOCK_RETRY_SECONDS)
        if fd is None:
            return 0
        write_lock_record(fd, spec.try_number)  # the fd stays open: we hold the lock
    paths = task_paths(
        home,
        spec.workflow_name,
        spec.workflow_execution_id,
        spec.task_name,
        spec.sequence_number,
        spec.snapshot.file_name,
        log_dir,
    )
    _enter_log(paths)
    channel = ServerChannel(spec.server_address, spec.server_token)
    token = uuid.uuid4().hex
    # The claim's round trip (a first connection) overlaps with fetching the snapshot,
    # which is safe to do for a try that may not run: no user code runs before the claim.
    with ThreadPoolExecutor(max_workers=1) as pool:
        claim = pool.submit(channel.claim, spec, token, socket.gethostname(), os.getpid())
        main: Path | Exception
        try:
            main = _fetch_snapshot(spec, paths)
        except Exception as exc:  # noqa: BLE001 - reported as the try's failure once claimed
            main = exc
        try:
            answer = claim.result()
        except ClaimError as exc:
            log.error("%s: cannot claim the try: %s", spec.label, exc)
            return 1
    if not answer.granted:
        log.info("%s: not run: %s", spec.label, answer.reason)
        return 0
    return _TaskRun(spec, paths, channel, token, main, _status_client(spec), answer).run()


def _status_client(spec: TaskSpec) -> NotificationClient:
    # Final statuses are retried for long: the server reports a dead try itself, but a
    # live one should say how it ended.
    return NotificationClient(
        spec.notification_server_uri,
        namespace=spec.namespace,
        sender=TASK_RUNTIME_SENDER,
        retry_seconds=600.0,
        token=spec.notification_token,
    )


def _fetch_snapshot(spec: TaskSpec, paths: TaskPaths) -> Path:
    blobs = create_blob_manager(spec.blob_manager_class, spec.blob_manager_config)
    return fetch_snapshot(blobs, spec.snapshot, paths.snapshot_dir)


def _enter_log(paths: TaskPaths) -> None:
    paths.working_dir.mkdir(parents=True, exist_ok=True)
    paths.log_path.parent.mkdir(parents=True, exist_ok=True)
    os.chdir(paths.working_dir)
    fd = os.open(paths.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)  # fd level, so subprocesses (bash) write to the log too
    os.dup2(fd, 2)
    os.close(fd)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


class _TaskRun:
    def __init__(
        self,
        spec: TaskSpec,
        paths: TaskPaths,
        channel: ServerChannel,
        token: str,
        snapshot: Path | Exception,
        client: NotificationClient,
        claim: ClaimAnswer,
    ):
        self.spec = spec
        self.paths = paths
        self.snapshot = snapshot
        self.channel = channel
        self.token = token
        self.claim = claim
        self.context = TaskRuntimeContext(
            spec.task_context(), self._record_job, last_savepoint=claim.last_savepoint
        )
        self.operator: AIFlowOperator | None = None
        self.stop_requested = threading.Event()
        self.main_done = threading.Event()
        # Heartbeats go on until the final status is out (its sending may take long):
        # a silent try would be failed by the server meanwhile.
        self.reported = threading.Event()
        self.client = client
        self.reporter = StatusReporter(spec.task_context(), self.client)
        self.error: str | None = None
        self._stop_reason: StopReason | None = None
        self._wake_write: int | None = None
        self.operator_stopped = threading.Event()
        self._stop_deadline = time.monotonic() + spec.stop_timeout

    def run(self) -> int:
        log.info("task %s, pid %s", self.spec.label, os.getpid())
        set_current_task_context(self.context.task)
        # `current_blob_manager()` in user code: the task's own, created on first use.
        set_current_blob_manager(self.spec.blob_manager_class, self.spec.blob_manager_config)
        self._watch_stop_requests()
        threading.Thread(target=self._heartbeat, name="aiflow-heartbeat", daemon=True).start()
        try:
            status = self._execute()
            if self.stop_requested.is_set():
                # The job may end before the operator's stop returns (a Flink job is
                # FINISHED before its savepoint is recorded): let the stop finish.
                self.operator_stopped.wait(max(0.0, self._stop_deadline - time.monotonic()))
        finally:
            self.main_done.set()
        final = self.reporter.finish(status, self.error)
        self.reported.set()
        log.info("task finished: %s", final.value)
        self.client.close()
        return 1 if final is TaskStatus.FAILED else 0

    def _record_job(
        self,
        *,
        external_job: str | None = None,
        savepoint: str | None = None,
        job_ended: bool = False,
    ) -> bool:
        return self.channel.record_external_job(
            self.spec,
            self.token,
            external_job=external_job,
            savepoint=savepoint,
            job_ended=job_ended,
        )

    def _cancel_previous_job(self) -> None:
        """A retry never runs beside the job of the try it replaces: cancel that first."""
        raw = self.claim.previous_external_job
        if raw is None:
            return
        job = ExternalJob.from_json(raw)
        outcome = cancel_external_job(job)  # EngineError fails this try: better than two
        log.info("the previous try's %s: %s", job.describe(), outcome)
        self.channel.record_external_job(self.spec, self.token, previous_cancelled=True)

    def _execute(self) -> TaskStatus:
        try:
            self.operator = self._load_operator()
            self._cancel_previous_job()
            if self.stop_requested.is_set():
                return TaskStatus.STOPPED
            self.reporter.running()
            self.operator.start(self.context)
            self.operator.await_termination(self.context)
        except SystemExit as exc:
            if exc.code in (0, None) and not self.stop_requested.is_set():
                return TaskStatus.SUCCESS
            return self._failed()
        except BaseException:  # noqa: BLE001 - any error of user code fails the task
            return self._failed()
        return TaskStatus.STOPPED if self.stop_requested.is_set() else TaskStatus.SUCCESS

    def _failed(self) -> TaskStatus:
        if self.stop_requested.is_set():
            log.info("task ended by stop request", exc_info=True)
            return TaskStatus.STOPPED
        exc = sys.exc_info()[1]
        self.error = f"{type(exc).__name__}: {exc}" if exc is not None else None
        if isinstance(exc, _SETUP_ERRORS):
            # A configuration mistake, not a bug in user code: one line says it all.
            log.error("task failed: %s", self.error)
        else:
            log.exception("task failed")
        return TaskStatus.FAILED

    def _load_operator(self) -> AIFlowOperator:
        spec = self.spec
        if isinstance(self.snapshot, Exception):
            raise self.snapshot
        main = self.snapshot
        # The snapshot directory stays importable while the task runs (load_workflows
        # only adds it while loading), so callables can import artifacts lazily.
        sys.path.insert(0, str(main.parent))
        found = [w for w in load_workflows(main) if w.name == spec.workflow_name]
        if not found:
            raise TaskNotFoundError(
                f"workflow {spec.workflow_name!r} is not defined in {main.name}"
            )
        task = found[0].tasks.get(spec.task_name)
        if task is None:
            raise TaskNotFoundError(
                f"workflow {spec.workflow_name!r} has no task {spec.task_name!r}"
            )
        if not isinstance(task, AIFlowOperator):
            raise TaskNotFoundError(f"task {spec.task_name!r} is not an AIFlowOperator")
        return task

    def _heartbeat(self) -> None:
        interval = max(self.spec.heartbeat_interval, 0.05)
        while not self.reported.wait(interval):
            answer = self.channel.heartbeat(self.spec, self.token)
            if answer is None or self.main_done.is_set():
                continue
            if answer.stop and not self.stop_requested.is_set():
                log.info("the server asks the task to stop (%s)", answer.reason)
                self._request_stop(_reason(answer.reason))

    # Stopping. The signal handler only wakes a thread: the main thread may be blocked in
    # C code (Python handlers would not run) or in a callable that ignores stop requests.

    def _watch_stop_requests(self) -> None:
        read_fd, write_fd = os.pipe()
        self._wake_write = write_fd
        if threading.current_thread() is threading.main_thread():
            os.set_blocking(write_fd, False)
            signal.set_wakeup_fd(write_fd)
            signal.signal(signal.SIGTERM, lambda *_: self.stop_requested.set())
        threading.Thread(target=self._stopper, args=(read_fd,), daemon=True).start()

    def _request_stop(self, reason: StopReason | None) -> None:
        self._stop_reason = reason
        if self._wake_write is not None:
            os.write(self._wake_write, bytes([signal.SIGTERM]))

    def _stopper(self, read_fd: int) -> None:
        while os.read(read_fd, 1) != bytes([signal.SIGTERM]):
            pass
        deadline = self._stop_deadline = time.monotonic() + self.spec.stop_timeout
        self.stop_requested.set()
        reason = self._stop_reason
        if reason is None:  # a signal says nothing of why: ask the server
            answer = self.channel.heartbeat(self.spec, self.token, timeout=2.0)
            reason = _reason(answer.reason) if answer is not None else None
        self.context.stop_reason = reason
        log.info("stop requested (%s), stopping the task", reason or "reason unknown")
        operator = self.operator
        if operator is None:
            self.operator_stopped.set()
        else:
            stopper = threading.Thread(target=self._stop_operator, args=(operator,), daemon=True)
            stopper.start()
            stopper.join(max(0.0, deadline - time.monotonic()))
        if self.main_done.wait(max(0.0, deadline - time.monotonic())):
            return  # the main thread reports STOPPED and exits
        log.warning("task did not end within %ss of the stop request", self.spec.stop_timeout)
        final = self.reporter.finish(TaskStatus.STOPPED)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1 if final is TaskStatus.FAILED else 0)

    def _stop_operator(self, operator: AIFlowOperator) -> None:
        try:
            operator.stop(self.context)
        except Exception:  # noqa: BLE001 - a failing stop still ends in STOPPED
            log.exception("operator.stop failed")
        finally:
            self.operator_stopped.set()


def _reason(text: str) -> StopReason | None:
    try:
        return StopReason(text)
    except ValueError:
        return None


def load_spec(source: str) -> TaskSpec:
    """A spec from a JSON file path, or from JSON text."""
    if source.lstrip().startswith("{"):
        return TaskSpec.from_json(source)
    return TaskSpec.from_json(Path(source).read_text())
