"""BashOperator: run a bash command in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import Any

from ai_flow.model.context import Context
from ai_flow.model.errors import TaskExecutionError, WorkflowDefinitionError
from ai_flow.model.operator import AIFlowOperator


class BashCommandError(TaskExecutionError):
    """The bash command exited with a non-zero code."""

    def __init__(self, bash_command: str, returncode: int):
        self.bash_command = bash_command
        self.returncode = returncode
        super().__init__(f"Bash command exited with code {returncode}: {bash_command}")


class BashOperator(AIFlowOperator):
    """Runs ``bash -c <bash_command>``; the task fails if the command exits non-zero.

    The command inherits the task process's working directory, environment, stdout and
    stderr (the runtime redirects those to the task log). It runs in its own session so
    ``stop`` can signal the whole process group, including commands bash spawned.
    """

    #: Seconds ``stop`` waits after SIGTERM before sending SIGKILL.
    kill_timeout: float = 10.0

    def __init__(self, name: str, bash_command: str, **kwargs: Any):
        if not isinstance(bash_command, str) or not bash_command.strip():
            raise WorkflowDefinitionError(
                f"BashOperator {name!r}: bash_command must be a non-empty string"
            )
        super().__init__(name, **kwargs)
        self.bash_command = bash_command
        self._process: subprocess.Popen[bytes] | None = None
        self._stop_requested = False
        self._lock = threading.Lock()

    def start(self, context: Context) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                raise RuntimeError(f"Task {self.name!r} is already running")
            self._stop_requested = False
            self._process = subprocess.Popen(
                ["bash", "-c", self.bash_command], start_new_session=True
            )

    def await_termination(self, context: Context, timeout: float | None = None) -> None:
        process = self._require_process()
        try:
            returncode = process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(
                f"Task {self.name!r} still running after {timeout} seconds"
            ) from None
        # A command killed by our own stop() did not fail: it was stopped.
        if returncode != 0 and not self._stop_requested:
            raise BashCommandError(self.bash_command, returncode)

    def stop(self, context: Context) -> None:
        with self._lock:
            process = self._process
            if process is None:
                return
            self._stop_requested = True
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(self.kill_timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait()

    def get_metrics(self, context: Context) -> dict[str, Any]:
        process = self._process
        if process is None:
            return {}
        return {"pid": process.pid, "returncode": process.poll()}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "bash_command": self.bash_command}

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
        # The group outlives bash when it backgrounded children, so signal it even if
        # bash itself already exited; its id is bash's pid (start_new_session=True).
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError(f"Task {self.name!r} has not been started")
        return self._process
