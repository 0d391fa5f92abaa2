"""What Spark's clients print, and the parts of a Spark command both operators share."""

from __future__ import annotations

import shlex
import subprocess
from typing import Any

from ai_flow.engines import PROCESS, ExternalJob
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.operators._client import ClientProcess
from ai_flow.operators._errors import EngineJobError
from ai_flow.operators._recording import ended, record

#: Standalone cluster mode: "Driver successfully submitted as driver-2026...-0000" (legacy
#: gateway) or `"submissionId" : "driver-..."` (REST submission server).
DRIVER_ID = r"(driver-\d{14}-\d{4,})"
#: YARN prints the application id it submitted as.
YARN_APP_ID = r"(application_\d+_\d+)"
#: Kubernetes cluster mode: the driver pod.
K8S_POD = r"pod name: (\S+)"


def split_options(operator: str, name: str, what: str, text: str | None) -> list[str]:
    try:
        return shlex.split(text or "")
    except ValueError as exc:
        raise WorkflowDefinitionError(f"{operator} {name!r}: {what}: {exc}") from None


class ClientJob:
    """A Spark client process that is the job (local and client mode)."""

    def __init__(self, name: str, client: ClientProcess) -> None:
        self.name = name
        self.client = client
        self.stopping = False

    def record(self, context: Context) -> ExternalJob:
        c = self.client
        job = ExternalJob(PROCESS, str(c.pid), host=c.host, pid=c.pid, create_time=c.create_time)
        record(context, job)
        return job

    def await_exit(self, context: Context, timeout: float | None, what: str) -> None:
        try:
            code = self.client.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(
                f"Task {self.name!r} still running after {timeout} seconds"
            ) from None
        ended(context)
        if code != 0 and not self.stopping:
            raise EngineJobError(f"{what} exited with code {code}: {self.client.last_lines()}")

    def stop(self, context: Context) -> None:
        self.stopping = True
        self.client.kill()
        ended(context)

    def metrics(self) -> dict[str, Any]:
        return {"pid": self.client.pid, "returncode": self.client.process.poll()}
