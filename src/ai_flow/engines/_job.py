"""What the server records about a job an operator runs on an engine."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: Kinds of external jobs and what identifies them.
FLINK = "flink"  # job_id on the JobManager REST `address`
SPARK_STANDALONE = "spark-standalone"  # submission (driver) id on the REST `address`
YARN = "yarn"  # application id; cancelled with `yarn application -kill`
KUBERNETES = "kubernetes"  # cluster id / driver pod; cancelling is left to the cluster
PROCESS = "process"  # a client process that is the job (local or client mode)


@dataclass(frozen=True)
class ExternalJob:
    """A job outside the task process: enough for anyone to find, stop or cancel it."""

    kind: str
    job_id: str
    address: str | None = None
    host: str | None = None  # PROCESS: where the process runs
    pid: int | None = None
    create_time: float | None = None  # PROCESS: tells the pid from a reused one
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ExternalJob:
        data = json.loads(text)
        return cls(
            kind=str(data["kind"]),
            job_id=str(data["job_id"]),
            address=data.get("address"),
            host=data.get("host"),
            pid=data.get("pid"),
            create_time=data.get("create_time"),
            extra=dict(data.get("extra") or {}),
        )

    def describe(self) -> str:
        where = f" at {self.address}" if self.address else ""
        if self.kind == PROCESS:
            where = f" (pid {self.pid} on {self.host})"
        return f"{self.kind} job {self.job_id}{where}"
