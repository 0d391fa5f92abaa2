"""Cancel a recorded external job, whoever asks: the retry of its task, or the server's
reaper when a try ended without saying its job ended too (a killed task process)."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess

from ai_flow.engines._errors import EngineError
from ai_flow.engines._flink import FlinkRest
from ai_flow.engines._job import (
    FLINK,
    KUBERNETES,
    PROCESS,
    SPARK_STANDALONE,
    YARN,
    ExternalJob,
)
from ai_flow.engines._process import kill_process_group
from ai_flow.engines._spark import SparkStandaloneRest

log = logging.getLogger(__name__)


def cancel_external_job(job: ExternalJob, timeout: float = 30.0) -> str:
    """Make sure the job no longer runs; returns what was done. Raises EngineError when
    that cannot be established (the engine is unreachable): the caller tries again."""
    if job.kind == FLINK:
        if not job.address:
            raise EngineError(f"{job.describe()}: no REST address recorded")
        done = FlinkRest(job.address, timeout=min(timeout, 10.0)).cancel(job.job_id)
        return "cancelled" if done else "already ended"
    if job.kind == SPARK_STANDALONE:
        if not job.address:
            raise EngineError(f"{job.describe()}: no REST address recorded")
        done = SparkStandaloneRest(job.address, timeout=min(timeout, 10.0)).kill(job.job_id)
        return "killed" if done else "already ended"
    if job.kind == PROCESS:
        if job.pid is None:
            return "no process recorded"
        if job.host and job.host != socket.gethostname():
            # Another host: the client died with its task process (parent-death signal).
            return f"left to {job.host}"
        done = kill_process_group(job.pid, job.create_time, grace=min(timeout, 10.0))
        return "killed" if done else "already ended"
    if job.kind == YARN:
        yarn = shutil.which("yarn")
        if yarn is None:
            raise EngineError(f"{job.describe()}: `yarn` is not on PATH to kill it")
        result = subprocess.run(
            [yarn, "application", "-kill", job.job_id],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise EngineError(f"yarn application -kill {job.job_id}: {result.stderr.strip()}")
        return "killed"
    if job.kind == KUBERNETES:
        log.warning("%s: cancelling Kubernetes jobs is not supported; left running", job.describe())
        return "not supported"
    raise EngineError(f"unknown external job kind {job.kind!r}")
