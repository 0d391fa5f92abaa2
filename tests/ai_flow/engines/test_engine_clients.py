"""The engine clients' own behaviour that needs no engine: records, errors, processes.
Their talk with real Flink and Spark is tested in tests/ai_flow/operators (engine)."""

from __future__ import annotations

import socket
import subprocess

import pytest

from ai_flow.engines import (
    FLINK,
    PROCESS,
    EngineError,
    ExternalJob,
    FlinkRest,
    SparkStandaloneRest,
    cancel_external_job,
    kill_process_group,
    process_identity,
)
from ai_flow.engines.environment import find_executable


def test_an_external_job_round_trips_as_json() -> None:
    job = ExternalJob(FLINK, "ab" * 16, address="localhost:8081", extra={"savepoint": "x"})
    assert ExternalJob.from_json(job.to_json()) == job
    assert job.describe() == f"flink job {'ab' * 16} at localhost:8081"


def test_an_unreachable_engine_is_one_error_naming_the_url() -> None:
    port = free_port()
    with pytest.raises(EngineError, match=f"127.0.0.1:{port}/jobs/x"):
        FlinkRest(f"127.0.0.1:{port}", timeout=2).state("x")
    with pytest.raises(EngineError, match=f"127.0.0.1:{port}/v1/submissions/status/d"):
        SparkStandaloneRest(f"spark://127.0.0.1:{port}", timeout=2).status("d")
    job = ExternalJob(FLINK, "x", address=f"127.0.0.1:{port}")
    with pytest.raises(EngineError):
        cancel_external_job(job)  # the reaper retries it later


def test_a_process_group_is_killed_and_a_reused_pid_is_not() -> None:
    process = subprocess.Popen(["bash", "-c", "sleep 300 & wait"], start_new_session=True)
    host, created = process_identity(process.pid)
    assert created is not None
    assert not kill_process_group(process.pid, created + 1000)  # another process's pid
    assert process.poll() is None
    job = ExternalJob(PROCESS, str(process.pid), host=host, pid=process.pid, create_time=created)
    assert cancel_external_job(job) == "killed"
    assert process.wait(15) is not None


def test_a_missing_engine_says_where_it_looked(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("FLINK_HOME", raising=False)
    with pytest.raises(EngineError, match=r"'flink' was not found on PATH or in \$FLINK_HOME/bin"):
        find_executable("flink")
    with pytest.raises(EngineError, match="is not an executable file"):
        find_executable("flink", str(tmp_path / "nope"))
    home = tmp_path / "spark"
    (home / "bin").mkdir(parents=True)
    script = home / "bin" / "spark-submit"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setenv("SPARK_HOME", str(home))
    assert find_executable("spark-submit") == str(script)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
