"""Running workflows with engine operators on real servers: the task processes inherit
the engines' environment (Java, the engines venv's python, FLINK_CONF_DIR...)."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import Servers, wait_until  # noqa: E402
from engines import use_engine_env  # noqa: E402, F401 - re-exported for the tests

from ai_flow import ops  # noqa: E402

#: Engines start JVMs: generous, but every wait polls and returns as soon as it can.
ENGINE_TIMEOUT = 240.0


def task(servers: Servers, execution_id: int, name: str, seq: int = 1) -> ops.TaskExecutionMeta:
    return next(
        t for t in servers.tasks(execution_id) if t.task_name == name and t.sequence_number == seq
    )


def wait_job_recorded(servers: Servers, execution_id: int, name: str, seq: int = 1) -> dict:
    def recorded() -> dict | None:
        meta = task(servers, execution_id, name, seq)
        return json.loads(meta.external_job) if meta.external_job else None

    return wait_until(recorded, ENGINE_TIMEOUT, f"{name}#{seq} records its job")


def wait_try(servers: Servers, execution_id: int, name: str, try_number: int) -> None:
    wait_until(
        lambda: task(servers, execution_id, name).try_number == try_number,
        ENGINE_TIMEOUT,
        f"{name} try {try_number}",
    )


def sigkill_task_process(servers: Servers, execution_id: int, name: str) -> int:
    meta = task(servers, execution_id, name)
    assert meta.pid, "the try's pid is known once it is claimed"
    os.kill(meta.pid, signal.SIGKILL)
    return meta.pid
