"""SparkSubmitOperator: run a Spark application with `spark-submit`.

* local and client mode: the client is the job; its exit code decides.
* standalone cluster mode (``master="spark://host:6066"``, the REST submission port,
  ``deploy_mode="cluster"``): the driver id is recorded as soon as it is printed and the
  driver is followed through the master's REST API, because spark-submit exits 0 even
  when the driver fails. Stop kills the driver there.
* YARN cluster mode: the application id is recorded; the client waits for the
  application (Spark's default) and stop kills it with ``yarn application -kill``.
* Kubernetes cluster mode: the driver pod is recorded; the client waits for it.
"""

from __future__ import annotations

import logging
from typing import Any

from ai_flow.engines import (
    KUBERNETES,
    SPARK_DRIVER_TERMINAL,
    SPARK_STANDALONE,
    YARN,
    ExternalJob,
    SparkStandaloneRest,
    cancel_external_job,
)
from ai_flow.engines.environment import engine_environment, find_executable
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.operator import AIFlowOperator
from ai_flow.operators._client import ClientProcess
from ai_flow.operators._errors import EngineJobError
from ai_flow.operators._follow import follow_job
from ai_flow.operators._recording import ended, record
from ai_flow.operators.spark._common import (
    DRIVER_ID,
    K8S_POD,
    YARN_APP_ID,
    ClientJob,
    split_options,
)

log = logging.getLogger(__name__)

DEPLOY_MODES = ("client", "cluster")


class SparkSubmitOperator(AIFlowOperator):
    """Beyond the documented parameters: ``status_poll_interval`` (seconds between polls
    of a standalone cluster-mode driver, default 1)."""

    def __init__(
        self,
        name: str,
        application: str,
        application_args: list[Any] | None = None,
        executable_path: str | None = None,
        master: str = "yarn",
        deploy_mode: str = "client",
        application_name: str | None = None,
        submit_options: str | None = None,
        k8s_namespace: str | None = None,
        env_vars: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        if not isinstance(application, str) or not application.strip():
            raise WorkflowDefinitionError(
                f"SparkSubmitOperator {name!r}: application must be a non-empty string"
            )
        if deploy_mode not in DEPLOY_MODES:
            raise WorkflowDefinitionError(
                f"SparkSubmitOperator {name!r}: deploy_mode must be 'client' or 'cluster', "
                f"got {deploy_mode!r}"
            )
        options = split_options("SparkSubmitOperator", name, "submit_options", submit_options)
        interval = kwargs.get("status_poll_interval", 1)
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
            raise WorkflowDefinitionError(
                f"SparkSubmitOperator {name!r}: status_poll_interval must be > 0"
            )
        super().__init__(name, **kwargs)
        self.application = application
        self.application_args = [str(a) for a in application_args or []]
        self.executable_path = executable_path
        self.master = master
        self.deploy_mode = deploy_mode
        self.application_name = application_name or name
        self.submit_options = submit_options
        self.options = options
        self.k8s_namespace = k8s_namespace
        self.env_vars = {str(k): str(v) for k, v in (env_vars or {}).items()}
        self.status_poll_interval = float(interval)
        self._client: ClientProcess | None = None
        self._local: ClientJob | None = None
        self._job: ExternalJob | None = None
        self._stopping = False

    @property
    def standalone_cluster(self) -> bool:
        return self.master.startswith("spark://") and self.deploy_mode == "cluster"

    def command(self, spark_submit: str) -> list[str]:
        argv = [spark_submit, "--master", self.master, "--deploy-mode", self.deploy_mode]
        argv += ["--name", self.application_name]
        cluster = self.deploy_mode == "cluster"
        for key, value in self.env_vars.items():
            if cluster and self.master == "yarn":
                argv += ["--conf", f"spark.yarn.appMasterEnv.{key}={value}"]
            elif cluster and self.master.startswith("k8s://"):
                argv += ["--conf", f"spark.kubernetes.driverEnv.{key}={value}"]
        if self.k8s_namespace:
            argv += ["--conf", f"spark.kubernetes.namespace={self.k8s_namespace}"]
        if self.standalone_cluster and "spark.master.rest.enabled" not in " ".join(self.options):
            # Submitting to the REST port needs it on the client too ("Too large frame").
            argv += ["--conf", "spark.master.rest.enabled=true"]
        return argv + self.options + [self.application, *self.application_args]

    def start(self, context: Context) -> None:
        if self._client is not None:
            raise RuntimeError(f"Task {self.name!r} is already running")
        spark_submit = find_executable("spark-submit", self.executable_path)
        self._stopping = False
        patterns = {"driver": DRIVER_ID, "yarn": YARN_APP_ID, "pod": K8S_POD}
        client = self._client = ClientProcess(
            self.command(spark_submit), patterns, env=engine_environment(self.env_vars)
        )
        if self.deploy_mode == "client":
            self._local = ClientJob(self.name, client)
            self._job = self._local.record(context)
            return
        found = client.wait_for(["driver", "yarn", "pod"])
        if found is None:
            code = client.wait()
            if self._stopping:
                return
            raise EngineJobError(
                f"spark-submit exited with code {code} before the cluster accepted the "
                f"application: {client.last_lines()}"
            )
        kind = {"driver": SPARK_STANDALONE, "yarn": YARN, "pod": KUBERNETES}[found]
        address = self.master if kind == SPARK_STANDALONE else None
        self._job = ExternalJob(kind, client.found[found], address=address)
        record(context, self._job)
        log.info("submitted %s", self._job.describe())
        if self._stopping:
            cancel_external_job(self._job)

    def await_termination(self, context: Context, timeout: float | None = None) -> None:
        if self._local is not None:
            self._local.await_exit(context, timeout, "spark-submit")
            return
        client = self._require_client()
        job = self._job
        if job is None:
            return  # stopped before the cluster accepted it
        if job.kind == SPARK_STANDALONE:
            self._await_driver(context, job, timeout)
            return
        # YARN and Kubernetes: the client follows the application (Spark's default).
        code = client.wait(timeout)
        ended(context)
        if code != 0 and not self._stopping:
            raise EngineJobError(f"spark-submit exited with code {code}: {client.last_lines()}")

    def _await_driver(self, context: Context, job: ExternalJob, timeout: float | None) -> None:
        rest = SparkStandaloneRest(job.address or "")
        state = follow_job(
            lambda: rest.driver_state(job.job_id),
            SPARK_DRIVER_TERMINAL,
            what=f"Spark driver {job.job_id} at {rest.url}",
            interval=self.status_poll_interval,
            timeout=timeout,
            task=self.name,
        )
        ended(context)
        if state == "FINISHED" or self._stopping:
            return
        raise EngineJobError(
            f"Spark driver {job.job_id} {state} (spark-submit's exit code says nothing "
            "in standalone cluster mode)"
        )

    def stop(self, context: Context) -> None:
        self._stopping = True
        if self._local is not None:
            self._local.stop(context)
            return
        client, job = self._client, self._job
        if client is None:
            return
        if job is not None and job.kind in (SPARK_STANDALONE, YARN):
            outcome = cancel_external_job(job)
            log.info("%s: %s", job.describe(), outcome)
        client.kill()
        if job is not None:
            ended(context)

    def get_metrics(self, context: Context) -> dict[str, Any]:
        if self._local is not None:
            return self._local.metrics()
        job = self._job
        if job is None:
            return {}
        if job.kind == SPARK_STANDALONE:
            return SparkStandaloneRest(job.address or "").status(job.job_id)
        return {"kind": job.kind, "id": job.job_id}

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "application": self.application,
            "master": self.master,
            "deploy_mode": self.deploy_mode,
        }

    def _require_client(self) -> ClientProcess:
        if self._client is None:
            raise RuntimeError(f"Task {self.name!r} has not been started")
        return self._client
