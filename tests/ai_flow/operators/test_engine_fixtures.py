"""The engine fixtures work, and the CLI/REST facts the Flink and Spark operators rely on
hold (Flink 2.3.0, Spark 4.3.0, Java 17). Each test is also the documentation of the
exact command and of the output line it parses.

Run: `scripts/engines_venv.sh` once (or AIFLOW_BUILD_ENGINES=1), then
`pytest -m engine tests/ai_flow/operators/test_engine_fixtures.py`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from engines import (
    DRIVER_ID_RE,
    JOB_ID_RE,
    Engines,
    FlinkSessionCluster,
    SparkStandaloneCluster,
    flink_batch_job,
    flink_local_env,
    flink_streaming_job,
    read_flink_csv,
    run,
    spark_failing_driver_jar,
    spark_job,
    spark_local_env,
    spark_ok_driver_jar,
)

pytestmark = pytest.mark.engine


def job_id(stdout: str) -> str:
    """`flink run` stdout, attached or detached:
    "Job has been submitted with JobID 4f0e...32 hex...9a1c"."""
    match = JOB_ID_RE.search(stdout)
    assert match, f"no JobID line in:\n{stdout}"
    return match.group(1)


# --------------------------------------------------------------------------- Flink


def test_flink_run_target_local_batch(engines: Engines, tmp_path: Path) -> None:
    """`flink run --target local -py batch.py <out>`: a mini cluster inside the client;
    attached, so rc 0 means the job finished."""
    job, out = flink_batch_job(tmp_path / "batch.py"), tmp_path / "out"
    env = flink_local_env(engines, tmp_path)
    done = run([engines.flink, "run", "--target", "local", "-py", job, out], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(r"[0-9a-f]{32}", job_id(done.stdout))
    assert read_flink_csv(out) == ["a,2", "b,1"]
    assert list((tmp_path / "flink-local-log").glob("flink-*-client-*.log"))  # not in the venv


def test_flink_session_cluster_is_private(flink_session_cluster: FlinkSessionCluster) -> None:
    cluster = flink_session_cluster
    overview = cluster.rest("/overview")
    assert overview["flink-version"] == "2.3.0"
    assert overview["taskmanagers"] == 1 and overview["slots-total"] >= 1
    assert cluster.rest_port != 8081
    config = cluster.rest("/jobmanager/config")
    settings = {entry["key"]: entry["value"] for entry in config}
    assert settings["execution.checkpointing.savepoint-dir"] == f"file://{cluster.savepoint_dir}"
    assert settings["jobmanager.rpc.port"] != "6123"
    assert list(cluster.pid_dir.glob("*.pid")), "pid files belong in the private pid dir"
    assert list(cluster.log_dir.glob("flink-*-standalonesession-*.log"))


def test_flink_detached_batch_on_session_cluster(
    flink_cluster: FlinkSessionCluster, tmp_path: Path
) -> None:
    """`flink run -m host:port -d -py batch.py <out>` returns at submission; REST
    `/jobs/<id>` then goes to FINISHED and the TaskManager has written the output."""
    job, out = flink_batch_job(tmp_path / "batch.py"), tmp_path / "out"
    done = flink_cluster.flink("run", "-m", flink_cluster.rest_address, "-d", "-py", job, out)
    assert done.returncode == 0, done.stdout + done.stderr
    jid = job_id(done.stdout)
    assert flink_cluster.wait_job_state(jid, "FINISHED") == "FINISHED"
    assert read_flink_csv(out) == ["a,2", "b,1"]


def test_flink_stream_stop_with_savepoint_resume_cancel(
    flink_cluster: FlinkSessionCluster, tmp_path: Path
) -> None:
    """The streaming lifecycle, REST only after the detached submit:

    1. `flink run -m host:port -d -py stream.py` → JobID line; `/jobs/<id>` RUNNING.
    2. `POST /jobs/<id>/stop {"targetDirectory": dir, "drain": false}` → {"request-id"};
       `GET /jobs/<id>/savepoints/<request-id>` → status.id COMPLETED,
       operation.location "file:/<dir>/savepoint-<6 hex>-<12 hex>"; the job is FINISHED.
    3. `flink run -s <location> -d -py stream.py` → a new JobID, RUNNING;
       `/jobs/<new>/checkpoints` latest.restored = {is_savepoint: true, external_path:
       <location>}.
    4. `PATCH /jobs/<new>?mode=cancel` (202, body `{}`) → CANCELED.
    """
    cluster = flink_cluster
    job = flink_streaming_job(tmp_path / "stream.py")
    done = cluster.flink("run", "-m", cluster.rest_address, "-d", "-py", job)
    assert done.returncode == 0, done.stdout + done.stderr
    first = job_id(done.stdout)
    cluster.wait_running(first)
    assert cluster.job_state(first) == "RUNNING"

    target = tmp_path / "savepoints"
    location = cluster.stop_with_savepoint(first, target)
    assert re.fullmatch(rf"file:{target}/savepoint-[0-9a-f]{{6}}-[0-9a-f]{{12}}", location)
    assert (Path(location.removeprefix("file:")) / "_metadata").is_file()
    assert cluster.wait_job_state(first, "FINISHED") == "FINISHED"

    done = cluster.flink("run", "-m", cluster.rest_address, "-s", location, "-d", "-py", job)
    assert done.returncode == 0, done.stdout + done.stderr
    resumed = job_id(done.stdout)
    assert resumed != first
    cluster.wait_running(resumed)
    restored = cluster.rest(f"/jobs/{resumed}/checkpoints")["latest"]["restored"]
    assert restored["is_savepoint"] is True
    assert restored["external_path"] == location

    assert cluster.rest(f"/jobs/{resumed}?mode=cancel", "PATCH") == {}
    assert cluster.wait_job_state(resumed, "CANCELED") == "CANCELED"


# --------------------------------------------------------------------------- Spark


@pytest.mark.parametrize("exit_code", [0, 3])
def test_spark_submit_local_propagates_exit_code(
    engines: Engines, tmp_path: Path, exit_code: int
) -> None:
    """`spark-submit --master local[1] job.py <out> x y`: rc is the script's exit code."""
    job, out = spark_job(tmp_path / "job.py", exit_code=exit_code), tmp_path / "out.json"
    env = spark_local_env(engines, tmp_path)
    cmd: list[str | Path] = [engines.spark_submit, "--master", "local[1]", job, out, "x", "y"]
    done = run(cmd, env, tmp_path)
    assert done.returncode == exit_code, done.stderr[-3000:]
    assert json.loads(out.read_text()) == {"sum": 55, "args": ["x", "y"]}
    leftovers = {p.name for p in tmp_path.iterdir()} - {
        "job.py", "out.json", "spark-local-conf", "spark-local-tmp"
    }  # fmt: skip
    assert not leftovers, f"spark-submit wrote into its cwd: {leftovers}"


def test_spark_sql_in_memory_catalog_writes_nothing_into_cwd(
    engines: Engines, tmp_path: Path
) -> None:
    """Without the in-memory catalog, spark-sql creates metastore_db/ and derby.log in cwd."""
    work = tmp_path / "cwd"
    work.mkdir()
    env = spark_local_env(engines, tmp_path)
    in_memory = "spark.sql.catalogImplementation=in-memory"
    cmd: list[str | Path] = [engines.spark_sql, "--master", "local[1]", "--conf", in_memory]
    cmd += ["-e", "select 1, 2 + 2"]
    done = run(cmd, env, work)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["1", "4"]
    assert list(work.iterdir()) == []  # no metastore_db/, derby.log, spark-warehouse/


def test_spark_standalone_cluster_is_private(
    spark_standalone_cluster: SparkStandaloneCluster,
) -> None:
    cluster = spark_standalone_cluster
    state = cluster.state()
    assert state["status"] == "ALIVE" and state["aliveworkers"] == 1
    assert state["url"] == cluster.master_url
    assert cluster.master_port != 7077 and cluster.rest_port != 6066
    assert cluster.rest_url.startswith("spark://") and cluster.rest_http_url.startswith("http://")
    assert list(cluster.log_dir.glob("*.out"))


def test_spark_cluster_mode_failing_driver_exits_0_but_fails(
    spark_cluster: SparkStandaloneCluster, tmp_path: Path
) -> None:
    """`spark-submit --master spark://host:RESTPORT --deploy-mode cluster --class C app.jar`
    uses the REST protocol and exits 0 once the driver is created. On stderr (log4j):
      "INFO RestSubmissionClient: Submission successfully created as driver-<id>. Polling
       submission state..."
    then a CreateSubmissionResponse JSON with "submissionId" : "driver-<id>" and
    "message" : "Driver successfully submitted as driver-<id>". Stdout is empty.
    The driver's System.exit(7) shows only in
    `GET http://host:RESTPORT/v1/submissions/status/<id>`: driverState FAILED (not ERROR,
    which is for a driver that could not be launched)."""
    jar = spark_failing_driver_jar(tmp_path, exit_code=7)
    done = spark_cluster.spark_submit(
        "--master", spark_cluster.rest_url, "--deploy-mode", "cluster",
        "--class", "AiflowFailingDriver", jar,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    created = re.search(r"Submission successfully created as (driver-\d{14}-\d{4})", done.stderr)
    assert created, done.stderr
    driver = created.group(1)
    assert f'"submissionId" : "{driver}"' in done.stderr
    assert spark_cluster.wait_driver(driver) == "FAILED"
    status = spark_cluster.driver_status(driver)
    assert status["success"] is True and status["driverState"] == "FAILED"


def test_spark_cluster_mode_legacy_gateway_also_exits_0(
    spark_cluster: SparkStandaloneCluster, tmp_path: Path
) -> None:
    """Against the master's RPC port (master_url) spark-submit warns "Master endpoint
    spark://host:port was not a REST server. Falling back to legacy submission gateway
    instead.", logs "INFO ClientEndpoint: Driver successfully submitted as driver-<id>",
    may log the driver's state once ("State of driver driver-<id> is FAILED" when it had
    already failed; on a loaded machine it exits before) and still exits 0 — so only the
    master's status says the driver failed."""
    jar = spark_failing_driver_jar(tmp_path, exit_code=7)
    done = spark_cluster.spark_submit(
        "--master", spark_cluster.master_url, "--deploy-mode", "cluster",
        "--class", "AiflowFailingDriver", jar,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    submitted = re.search(r"Driver successfully submitted as (driver-\d{14}-\d{4})", done.stderr)
    assert submitted, done.stderr
    assert spark_cluster.wait_driver(submitted.group(1)) == "FAILED"


def test_spark_cluster_mode_ok_driver_finishes(
    spark_cluster: SparkStandaloneCluster, tmp_path: Path
) -> None:
    jar = spark_ok_driver_jar(tmp_path)
    started = tmp_path / "started.txt"
    done = spark_cluster.spark_submit(
        "--master", spark_cluster.rest_url, "--deploy-mode", "cluster",
        "--class", "AiflowOkDriver", jar, started,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    match = DRIVER_ID_RE.search(done.stderr)
    assert match, done.stderr
    assert spark_cluster.wait_driver(match.group(0)) == "FINISHED"
    assert started.read_text() == "started\n"  # args reach the driver


def test_spark_cluster_mode_status_and_kill(
    spark_cluster: SparkStandaloneCluster, tmp_path: Path
) -> None:
    """`spark-submit --master spark://host:RESTPORT --status|--kill <id>`:

    * `--status` exits 0 but prints no state at all (stdout empty, stderr only the JVM's
      "WARNING: Using incubator modules"): read driverState from REST instead. Against
      the RPC port (master_url) it fails: rc 1, SubmitRestConnectionException "Unable to
      connect to server".
    * `--kill` exits 0 and prints "<id> is killed successfully." on stderr; the REST
      status becomes KILLED. The driver's output is in the worker's work dir,
      `<work_dir>/<id>/stdout` and `stderr`."""
    jar = spark_ok_driver_jar(tmp_path, sleep_seconds=300)
    done = spark_cluster.spark_submit(
        "--master", spark_cluster.rest_url, "--deploy-mode", "cluster",
        "--class", "AiflowOkDriver", jar,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    match = DRIVER_ID_RE.search(done.stderr)
    assert match, done.stderr
    driver = match.group(0)
    assert spark_cluster.wait_driver(driver, frozenset({"RUNNING"})) == "RUNNING"

    status = spark_cluster.spark_submit("--master", spark_cluster.rest_url, "--status", driver)
    assert status.returncode == 0, status.stderr[-3000:]
    assert status.stdout.strip() == "" and "driverState" not in status.stderr
    wrong = spark_cluster.spark_submit("--master", spark_cluster.master_url, "--status", driver)
    assert wrong.returncode != 0

    killed = spark_cluster.spark_submit("--master", spark_cluster.rest_url, "--kill", driver)
    assert killed.returncode == 0, killed.stderr[-3000:]
    assert f"{driver} is killed successfully." in killed.stdout + killed.stderr
    assert spark_cluster.wait_driver(driver) == "KILLED"
    driver_stdout = spark_cluster.work_dir / driver / "stdout"  # the worker's private work dir
    assert "AiflowOkDriver started" in driver_stdout.read_text()
