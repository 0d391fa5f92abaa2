"""FlinkOperator: submit a Flink job with `flink run` and track it to its end.

Jobs for a cluster (a session cluster: target None/"remote", "yarn-session",
"kubernetes-session"; application mode) are submitted detached; the task then follows
the job through the JobManager's REST API, so the task's status is the job's: a
streaming job's task stays RUNNING while the job runs, and a failed job fails the task
whatever the client's exit code. With ``target="local"`` the client runs the job itself
(a mini cluster) and its exit code decides.

The job is recorded with the task execution as soon as its JobID is printed; whoever
ends the task (a rule, a user, a timeout, a dead task process, a retry) stops or
cancels that job, so no job is left behind.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from typing import Any

from ai_flow.engines import FLINK, FLINK_TERMINAL, PROCESS, ExternalJob, FlinkRest
from ai_flow.engines.environment import find_executable
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.operator import AIFlowOperator
from ai_flow.operators._client import ClientProcess
from ai_flow.operators._errors import EngineJobError
from ai_flow.operators._follow import follow_job
from ai_flow.operators._recording import ended, record, record_savepoint, savepoint_to_resume
from ai_flow.operators.flink._cli import (
    JOB_ID,
    cli_major_version,
    rest_address_of,
    savepoint_dir_of,
)

log = logging.getLogger(__name__)

#: Targets whose jobs run in the client process itself.
ATTACHED_TARGETS = frozenset({"local"})
#: Seconds a stop with a savepoint may take when the operator has no stop_timeout.
DEFAULT_SAVEPOINT_TIMEOUT = 120.0


class FlinkOperator(AIFlowOperator):
    """Submits ``application`` (a jar, or a Python file run with ``-py``) with ``flink run``.

    Beyond the documented parameters: ``rest_address`` (the JobManager's REST
    ``host:port``; by default taken from ``-m``/``-Drest.address``/``-Drest.port`` in
    ``command_options``, else the Flink configuration, else ``localhost:8081``),
    ``savepoint_dir`` (where ``stop_with_savepoint`` writes; default ``-D
    state.savepoints.dir`` or the cluster's), and ``resume_from_savepoint``: start from
    the savepoint the latest earlier run of this task in the workflow execution took
    (a RESTART resumes the stream where the stop left it).
    """

    def __init__(
        self,
        name: str,
        application: str,
        target: str | None = None,
        application_args: list[Any] | None = None,
        executable_path: str | None = None,
        application_mode: bool = False,
        stop_with_savepoint: bool = False,
        kubernetes_cluster_id: str | None = None,
        command_options: str | None = None,
        jobs_info_poll_interval: int = 1,
        **kwargs: Any,
    ):
        if not isinstance(application, str) or not application.strip():
            raise WorkflowDefinitionError(
                f"FlinkOperator {name!r}: application must be a non-empty string"
            )
        if jobs_info_poll_interval <= 0:
            raise WorkflowDefinitionError(
                f"FlinkOperator {name!r}: jobs_info_poll_interval must be > 0"
            )
        try:
            options = shlex.split(command_options or "")
        except ValueError as exc:
            raise WorkflowDefinitionError(
                f"FlinkOperator {name!r}: command_options: {exc}"
            ) from None
        super().__init__(name, **kwargs)
        self.application = application
        self.target = target
        self.application_args = [str(a) for a in application_args or []]
        self.executable_path = executable_path
        self.application_mode = application_mode
        self.stop_with_savepoint = stop_with_savepoint
        self.kubernetes_cluster_id = kubernetes_cluster_id
        self.command_options = command_options
        self.options = options
        self.jobs_info_poll_interval = jobs_info_poll_interval
        self.rest_address: str | None = kwargs.get("rest_address")
        self.savepoint_dir: str | None = kwargs.get("savepoint_dir") or savepoint_dir_of(options)
        self.resume_from_savepoint = bool(kwargs.get("resume_from_savepoint", False))
        self._client: ClientProcess | None = None
        self._job: ExternalJob | None = None
        self._stopping = False

    @property
    def attached(self) -> bool:
        return self.target in ATTACHED_TARGETS

    # Building the command.

    def command(self, flink: str, savepoint: str | None = None) -> list[str]:
        action = ["run"]
        if self.application_mode and cli_major_version(flink) == 1:
            action = ["run-application"]  # Flink 1.x; 2.x runs it as `run -t ...-application`
        argv = [flink, *action]
        target = self.target
        if self.application_mode and target is None:
            target = "kubernetes-application"
        if target:
            argv += ["--target", target]
        if self.kubernetes_cluster_id:
            argv.append(f"-Dkubernetes.cluster-id={self.kubernetes_cluster_id}")
        if self.application_mode:
            argv.append("-Dexecution.shutdown-on-application-finish=false")
        if not self.attached and "-d" not in self.options and "--detached" not in self.options:
            argv.append("-d")
        if savepoint:
            argv += ["--fromSavepoint", savepoint]
        argv += self.options
        if self.application.endswith(".py") and not {"-py", "--python"} & set(self.options):
            argv += ["--python", self.application]
        else:
            argv.append(self.application)
        return argv + self.application_args

    # The operator interface.

    def start(self, context: Context) -> None:
        if self._client is not None:
            raise RuntimeError(f"Task {self.name!r} is already running")
        flink = find_executable("flink", self.executable_path)
        savepoint = savepoint_to_resume(context) if self.resume_from_savepoint else None
        if savepoint:
            log.info("resuming from savepoint %s", savepoint)
        self._stopping = False
        client = self._client = ClientProcess(self.command(flink, savepoint), {"job": JOB_ID})
        if self.attached:
            job = ExternalJob(
                PROCESS,
                str(client.pid),
                host=client.host,
                pid=client.pid,
                create_time=client.create_time,
            )
            self._job = job
            record(context, job)
            return
        if client.wait_for(["job"]) is None:
            code = client.wait()
            if self._stopping:
                return
            raise EngineJobError(
                f"flink run exited with code {code} before submitting a job: {client.last_lines()}"
            )
        address = rest_address_of(self.options, self.rest_address, flink)
        self._job = ExternalJob(FLINK, client.found["job"], address=address)
        record(context, self._job)
        log.info("submitted Flink job %s to %s", self._job.job_id, address)
        if self._stopping:  # stop() came while the client was submitting
            FlinkRest(address).cancel(self._job.job_id)

    def await_termination(self, context: Context, timeout: float | None = None) -> None:
        client = self._require_client()
        if self.attached:
            try:
                code = client.wait(timeout)
            except subprocess.TimeoutExpired:
                raise TimeoutError(
                    f"Task {self.name!r} still running after {timeout} seconds"
                ) from None
            if code != 0 and not self._stopping:
                raise EngineJobError(f"flink run exited with code {code}: {client.last_lines()}")
            ended(context)
            return
        if self._job is None:
            return  # stopped before the job was submitted
        self._await_job(context, self._job, timeout)

    def _await_job(self, context: Context, job: ExternalJob, timeout: float | None) -> None:
        rest = FlinkRest(job.address or "")
        state = follow_job(
            lambda: rest.state(job.job_id),
            FLINK_TERMINAL,
            what=f"Flink job {job.job_id} at {rest.url}",
            interval=self.jobs_info_poll_interval,
            timeout=timeout,
            task=self.name,
        )
        ended(context)
        if state == "FINISHED" or self._stopping:
            return
        cause = rest.root_exception(job.job_id) if state == "FAILED" else None
        raise EngineJobError(f"Flink job {job.job_id} {state}" + (f": {cause}" if cause else ""))

    def stop(self, context: Context) -> None:
        self._stopping = True
        client, job = self._client, self._job
        if client is None:
            return
        if job is None or job.kind == PROCESS:
            client.kill()
            if job is not None:
                ended(context)
            return
        rest = FlinkRest(job.address or "")
        if self.stop_with_savepoint:
            timeout = self.stop_timeout or DEFAULT_SAVEPOINT_TIMEOUT
            location = rest.stop_with_savepoint(job.job_id, self.savepoint_dir, timeout * 0.8)
            log.info("Flink job %s stopped with savepoint %s", job.job_id, location)
            record_savepoint(context, location)
        else:
            rest.cancel(job.job_id)
            log.info("Flink job %s cancelled", job.job_id)
        rest.wait_for_state(job.job_id, FLINK_TERMINAL, timeout=30.0)
        ended(context)

    def get_metrics(self, context: Context) -> dict[str, Any]:
        job = self._job
        if job is None:
            return {}
        if job.kind == PROCESS:
            return {
                "pid": job.pid,
                "returncode": self._client.process.poll() if self._client else None,
            }
        return FlinkRest(job.address or "").metrics(job.job_id)

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "application": self.application,
            "target": self.target,
            "application_mode": self.application_mode,
            "stop_with_savepoint": self.stop_with_savepoint,
        }

    def _require_client(self) -> ClientProcess:
        if self._client is None:
            raise RuntimeError(f"Task {self.name!r} has not been started")
        return self._client
