"""Clients of the engines AIFlow runs jobs on (Flink, Spark): REST tracking, stop and
cancel, and the record of an external job. No user code, no server code: the operators,
the task runtime and the server's reaper all use it."""

from ai_flow.engines._cancel import cancel_external_job
from ai_flow.engines._errors import EngineError
from ai_flow.engines._flink import FLINK_TERMINAL, FlinkRest
from ai_flow.engines._job import (
    FLINK,
    KUBERNETES,
    PROCESS,
    SPARK_STANDALONE,
    YARN,
    ExternalJob,
)
from ai_flow.engines._process import kill_process_group, process_identity, start_client
from ai_flow.engines._spark import SPARK_DRIVER_TERMINAL, SparkStandaloneRest

__all__ = [
    "FLINK",
    "FLINK_TERMINAL",
    "KUBERNETES",
    "PROCESS",
    "SPARK_DRIVER_TERMINAL",
    "SPARK_STANDALONE",
    "YARN",
    "EngineError",
    "ExternalJob",
    "FlinkRest",
    "SparkStandaloneRest",
    "cancel_external_job",
    "kill_process_group",
    "process_identity",
    "start_client",
]
