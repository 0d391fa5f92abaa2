"""The task process: run one operator of one workflow snapshot and report its status."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

from ai_flow.model.operator import AIFlowOperator
from ai_flow.model.status import TaskStatus
from ai_flow.model.workflow import load_workflows
from ai_flow.runtime._context import TaskRuntimeContext, set_current_task_context
from ai_flow.runtime._files import (
    LOCK_RETRY_SECONDS,
    Heartbeat,
    read_lock_record,
    try_lock,
    write_lock_record,
)
from ai_flow.runtime._report import StatusReporter, final_status, status_client
from ai_flow.runtime._spec import TaskSpec

log = logging.getLogger("ai_flow.runtime")


class TaskNotFoundError(Exception):
    """The snapshot does not define the workflow or the task the spec names."""


def run_task(spec: TaskSpec) -> int:
    """Run the task of ``spec`` in this process; returns the exit code (1 = FAILED).

    Returns 0 at once without doing anything if another process holds the task's lock
    or if this try already ran: that is what makes launching idempotent.
    """
    lock_fd = try_lock(spec.lock_path, LOCK_RETRY_SECONDS)
    if lock_fd is None:
        return 0
    previous = read_lock_record(spec.lock_path)
    ran = previous is not None and previous.try_number >= spec.try_number
    if ran or final_status(spec) is not None:
        # At most once per try: a dead run is reported, never silently re-run; a try
        # stopped before its process came up stays stopped.
        os.close(lock_fd)
        return 0
    write_lock_record(lock_fd, spec.try_number)  # the fd stays open: we hold the lock
    _enter_task_environment(spec)
    return _TaskRun(spec).run()


def _enter_task_environment(spec: TaskSpec) -> None:
    os.makedirs(spec.working_dir, exist_ok=True)
    os.makedirs(os.path.dirname(spec.log_path), exist_ok=True)
    os.chdir(spec.working_dir)
    fd = os.open(spec.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
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
    # Keep the snapshot directory importable while the task runs (load_workflows only
    # adds it while loading), so callables can import artifacts lazily.
    sys.path.insert(0, os.path.dirname(os.path.abspath(spec.snapshot_path)))


class _TaskRun:
    def __init__(self, spec: TaskSpec):
        self.spec = spec
        self.context = TaskRuntimeContext(spec.task_context())
        self.operator: AIFlowOperator | None = None
        self.stop_requested = threading.Event()
        self.main_done = threading.Event()
        self.client = status_client(spec)
        self.reporter = StatusReporter(spec, self.client)
        self.error: str | None = None

    def run(self) -> int:
        spec = self.spec
        log.info(
            "task %s.%s seq %s try %s of execution %s, pid %s",
            spec.workflow_name,
            spec.task_name,
            spec.sequence_number,
            spec.try_number,
            spec.workflow_execution_id,
            os.getpid(),
        )
        set_current_task_context(self.context.task)
        heartbeat = Heartbeat(spec.heartbeat_path, spec.heartbeat_interval)
        heartbeat.start()
        self._watch_sigterm()
        try:
            status = self._execute()
        finally:
            self.main_done.set()
        final = self.reporter.finish(status, self.error)
        log.info("task finished: %s", final.value)
        heartbeat.stop()
        self.client.close()
        return 1 if final is TaskStatus.FAILED else 0

    def _execute(self) -> TaskStatus:
        try:
            self.operator = self._load_operator()
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
        log.exception("task failed")
        exc = sys.exc_info()[1]
        self.error = f"{type(exc).__name__}: {exc}" if exc is not None else None
        return TaskStatus.FAILED

    def _load_operator(self) -> AIFlowOperator:
        spec = self.spec
        workflows = [w for w in load_workflows(spec.snapshot_path) if w.name == spec.workflow_name]
        if not workflows:
            raise TaskNotFoundError(
                f"workflow {spec.workflow_name!r} is not defined in {spec.snapshot_path}"
            )
        task = workflows[0].tasks.get(spec.task_name)
        if task is None:
            raise TaskNotFoundError(
                f"workflow {spec.workflow_name!r} has no task {spec.task_name!r}"
            )
        if not isinstance(task, AIFlowOperator):
            raise TaskNotFoundError(f"task {spec.task_name!r} is not an AIFlowOperator")
        return task

    # Stopping. The signal handler only wakes a thread: the main thread may be blocked in
    # C code (Python handlers would not run) or in a callable that ignores stop requests.

    def _watch_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals can only be handled on the main thread (in-process use)
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd)
        signal.signal(signal.SIGTERM, lambda *_: self.stop_requested.set())
        threading.Thread(target=self._stopper, args=(read_fd,), daemon=True).start()

    def _stopper(self, read_fd: int) -> None:
        while os.read(read_fd, 1) != bytes([signal.SIGTERM]):
            pass
        self.stop_requested.set()
        log.info("SIGTERM received, stopping the task")
        deadline = time.monotonic() + self.spec.stop_timeout
        operator = self.operator
        if operator is not None:
            stopper = threading.Thread(target=self._stop_operator, args=(operator,), daemon=True)
            stopper.start()
            stopper.join(self.spec.stop_timeout)
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
