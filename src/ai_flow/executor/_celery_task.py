"""The worker side of the Celery executor: the task that runs one try, and the control
commands the AIFlow server broadcasts to the workers.

The task runs the task runtime (``python -m ai_flow.runtime``, as every executor does)
in a child process of the worker's pool process and waits for it. It needs only the
spec: the servers' addresses and the blob manager are in it; the try's working
directory and log go under the worker's own home and log directory. A try lives as long
as its worker: when the worker's main process dies (SIGKILL, OOM) the pool process ends
the runtime and everything it spawned, and when the pool process itself dies the kernel
kills the runtime (PR_SET_PDEATHSIG), so its heartbeats stop and the server fails the
try after ``task_heartbeat_timeout``; a redelivered copy of the message is refused by
the claim. What the runtime spawned in sessions of its own (a BashOperator's bash) would
outlive it when the pool process dies with the worker (a SIGKILL of the worker's process
group) and run beside the retry: a sweeper process per try, outside the worker's group,
keeps the runtime's process tree in view and kills it when the pool process dies.

Control commands (in the worker's main process):

* ``aiflow_running(ids)``: the tries this worker has received or runs, as handles;
* ``aiflow_signal(task_id, signum)``: signal the runtime of a task this worker runs
  (SIGTERM: stop; SIGKILL: kill it and everything it spawned).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from celery import Celery
from celery.worker import state as worker_state
from celery.worker.control import control_command, inspect_command

from ai_flow.executor import _process
from ai_flow.executor._celery_app import TASK_NAME
from ai_flow.runtime import TaskSpec, task_paths
from ai_flow.runtime.environment import child_environment

log = logging.getLogger(__name__)

#: Seconds between checks that the worker's main process still lives.
WATCH_INTERVAL = 0.2
_PR_SET_PDEATHSIG = 1


def register_task(app: Celery, home: str, log_dir: str) -> None:
    """Define the AIFlow task on the worker's app."""

    @app.task(name=TASK_NAME, ignore_result=True)
    def run_try(spec: str, handle: str) -> int:  # noqa: ARG001 - the handle names the try
        return run_runtime(TaskSpec.from_json(spec), home, log_dir)


def run_runtime(spec: TaskSpec, home: str, log_dir: str) -> int:
    """Run the try's runtime in a child process until it exits; returns its exit code."""
    paths = task_paths(
        home,
        spec.workflow_name,
        spec.workflow_execution_id,
        spec.task_name,
        spec.sequence_number,
        spec.snapshot.file_name,
        log_dir,
    )
    paths.working_dir.mkdir(parents=True, exist_ok=True)
    paths.log_path.parent.mkdir(parents=True, exist_ok=True)
    specs = Path(home) / "celery"
    specs.mkdir(mode=0o700, parents=True, exist_ok=True)
    # In a private file, not on the command line: the spec holds the blob store's
    # settings, which `ps` would show to every user of the machine.
    fd, spec_file = tempfile.mkstemp(
        prefix=f"te{spec.task_execution_id}-", suffix=".json", dir=specs
    )
    with os.fdopen(fd, "w") as f:
        f.write(spec.to_json())
    argv = [sys.executable, "-m", "ai_flow.runtime", "--home", home, "--log-dir", log_dir]
    argv.append(spec_file)
    parent = os.getpid()
    context = spec.task_context().to_json()
    try:
        with open(paths.log_path, "ab") as early_log:
            child = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=early_log,  # until the runtime redirects it: start-up crashes
                cwd=paths.working_dir,
                env=child_environment(context),
                start_new_session=True,  # signalled as a group, like local tasks
                preexec_fn=_die_with(parent),
            )
        log.info("running %s, pid %s", spec.label, child.pid)
        this_try = json.dumps([spec.task_execution_id, spec.try_number])
        sweeper = _start_sweeper(child.pid, spec_file, this_try)
        try:
            return _wait(child)
        finally:
            if sweeper is not None:
                sweeper.kill()  # the try ended with this process alive: nothing to sweep
                sweeper.wait()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spec_file)


#: In the sweeper's command line: `aiflow_signal` leaves it out of the runtimes it signals.
SWEEPER_MARK = "aiflow-try-sweeper"
# The sweeper (`_try_sweeper.py`) runs by path in a bare interpreter: no ai_flow import,
# a few ms to start.
_SWEEPER = str(Path(__file__).with_name("_try_sweeper.py"))


def _start_sweeper(runtime: int, spec_file: str, this_try: str) -> subprocess.Popen[bytes] | None:
    argv = [sys.executable, _SWEEPER, SWEEPER_MARK, str(os.getpid()), str(runtime)]
    argv += [spec_file, str(WATCH_INTERVAL), this_try]
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not in the worker's process group: it outlives it
        )
    except OSError as exc:  # the try runs all the same, as it did before sweepers
        log.warning("cannot start the sweeper of task process %s: %s", runtime, exc)
        return None


def _wait(child: subprocess.Popen[bytes]) -> int:
    """Wait for the runtime; end it if the worker's main process died meanwhile."""
    main = os.getppid()
    while True:
        try:
            return child.wait(WATCH_INTERVAL)
        except subprocess.TimeoutExpired:
            pass
        if os.getppid() != main:
            log.warning("the worker died; killing the task process %s", child.pid)
            kill_tree(child.pid)
            return child.wait()


def _die_with(parent: int) -> Callable[[], None] | None:
    """For the child: get SIGKILL when this (pool) process dies, on Linux."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # loaded before the fork

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return set_death_signal


def kill_tree(pid: int) -> None:
    """SIGKILL the runtime, its group, and everything it spawned (own sessions too)."""
    _process.kill_all(_process.descendants(pid) + [pid])


def _runtime_pids(pool_pid: int) -> list[int]:
    found = []
    try:
        for child in psutil.Process(pool_pid).children():
            try:
                if SWEEPER_MARK not in child.cmdline():
                    found.append(child.pid)
            except psutil.Error:
                continue
    except psutil.Error:
        return []
    return found


@inspect_command(name="aiflow_running")
def aiflow_running(state: Any, ids: list[str] | None = None) -> dict[str, str]:  # noqa: ARG001
    """Task id -> handle of the AIFlow tries this worker has received or runs."""
    wanted = set(ids) if ids else None
    found = {}
    for request in list(worker_state.requests.values()):
        if request.name != TASK_NAME or (wanted is not None and request.id not in wanted):
            continue
        found[request.id] = str((request.kwargs or {}).get("handle", ""))
    return found


@control_command(name="aiflow_signal")
def aiflow_signal(state: Any, task_id: str, signum: int) -> dict[str, str]:  # noqa: ARG001
    """Signal the runtime of `task_id` if this worker runs it."""
    request = worker_state.requests.get(task_id)
    pool_pid = getattr(request, "worker_pid", None) if request is not None else None
    if not pool_pid:
        return {"ok": "not running here"}
    pids = _runtime_pids(pool_pid)
    for pid in pids:
        if signum == signal.SIGKILL:
            kill_tree(pid)
        else:
            _process.signal_group(pid, signum)
    return {"ok": f"signal {signum} sent to {pids}"}
