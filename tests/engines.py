"""Real Flink and Spark for the `engine` tests (issue 9).

The engines live in their own venv outside the repo, built and cached by
`scripts/engines_venv.sh` (pinned pyspark and apache-flink; Java 17 from the machine).
`engines_or_skip()` finds it: it builds it only when `CI=true` or `AIFLOW_BUILD_ENGINES=1`,
otherwise it skips with the command to run. Under CI=true every missing piece fails.

The session fixtures start real clusters on free loopback ports with private conf, log,
pid and work dirs under pytest's tmp dir, and stop them by pid (SIGTERM, then SIGKILL of
the whole process group), checking that no process is left:

* `flink_session_cluster`: a standalone Flink session cluster (one JobManager, one
  TaskManager with `FLINK_SLOTS` slots), tracked through its REST API.
* `spark_standalone_cluster`: a Spark standalone master (with the REST submission
  gateway) and one worker.

Imported by `tests/ai_flow/operators/conftest.py`, which puts this folder on sys.path like
the other shared helpers (`aiflow_servers`); in tests: `from engines import ...`.

Facts the helpers rely on (Flink 2.3.0, Spark 4.3.0, checked by test_engine_fixtures.py):

* `flink run` prints `Job has been submitted with JobID <32 hex>` on stdout (JOB_ID_RE).
* A standalone cluster-mode `spark-submit` prints its driver id, `driver-<14 digits>-<4
  digits>` (DRIVER_ID_RE), and exits 0 even when the driver fails: poll the REST status.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from notification_service.util.environment import is_ci

REPO = Path(__file__).resolve().parents[1]
ENGINES_SCRIPT = REPO / "scripts" / "engines_venv.sh"
HOST = "127.0.0.1"

#: `flink run` (attached or -d), stdout: "Job has been submitted with JobID 0123...cdef"
JOB_ID_RE = re.compile(r"Job has been submitted with JobID ([0-9a-f]{32})")
#: standalone cluster-mode spark-submit, e.g. "driver-20261201132217-0000"
DRIVER_ID_RE = re.compile(r"driver-\d{14}-\d{4}")

FLINK_TERMINAL = frozenset({"FINISHED", "CANCELED", "FAILED"})
SPARK_DRIVER_TERMINAL = frozenset({"FINISHED", "FAILED", "ERROR", "KILLED"})

FLINK_SLOTS = 4
#: Small enough for a 2-vCPU box that runs a Spark cluster at the same time.
FLINK_JM_MEMORY = "1024m"
FLINK_TM_MEMORY = "1280m"
SPARK_WORKER_CORES = 2
SPARK_WORKER_MEMORY = "2g"
CLUSTER_START_TIMEOUT = 120.0
BUILD_TIMEOUT = 1800.0


def use_engine_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    """Give the servers' task processes an engine environment, keeping this
    interpreter's import path (the runtime runs with the test's sys.executable)."""
    for key, value in env.items():
        if key in ("PYTHONPATH", "PYTHONHOME") or os.environ.get(key) == value:
            continue
        monkeypatch.setenv(key, value)


# --------------------------------------------------------------------------- locating


@dataclass(frozen=True)
class Engines:
    """Where the engines are. `env()` is the base environment for running their CLIs."""

    python: Path  # the engines venv's interpreter (has pyflink and pyspark)
    flink_home: Path  # the pyflink package dir: bin/, conf/, lib/
    spark_home: Path  # the pyspark package dir: bin/, jars/
    java_home: Path

    @property
    def flink_bin(self) -> Path:
        return self.flink_home / "bin"

    @property
    def spark_bin(self) -> Path:
        return self.spark_home / "bin"

    @property
    def flink(self) -> Path:
        return self.flink_bin / "flink"

    @property
    def spark_submit(self) -> Path:
        return self.spark_bin / "spark-submit"

    @property
    def spark_sql(self) -> Path:
        return self.spark_bin / "spark-sql"

    @property
    def spark_class(self) -> Path:
        return self.spark_bin / "spark-class"

    def env(self, **extra: str) -> dict[str, str]:
        """os.environ with the engines venv and Java first on PATH, plus `extra`.

        `python` on PATH is the engines venv's (pyflink's client and workers run
        `python`); PYSPARK_PYTHON and PYSPARK_DRIVER_PYTHON point at it too.
        """
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("PYTEST_")
        }
        venv = self.python.parent.parent
        env.update(
            PATH=os.pathsep.join(
                [str(venv / "bin"), str(self.java_home / "bin"), env.get("PATH", "")]
            ),
            VIRTUAL_ENV=str(venv),
            JAVA_HOME=str(self.java_home),
            FLINK_HOME=str(self.flink_home),
            SPARK_HOME=str(self.spark_home),
            PYSPARK_PYTHON=str(self.python),
            PYSPARK_DRIVER_PYTHON=str(self.python),
            PYFLINK_CLIENT_EXECUTABLE=str(self.python),
            SPARK_LOCAL_IP=HOST,
        )
        env.update(extra)
        return env


def _missing(reason: str) -> None:
    """Skip on a laptop; fail under CI=true, where every engine test must run."""
    if is_ci():
        pytest.fail(reason + " (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def java_home() -> Path | None:
    """JAVA_HOME if it has bin/java, else the home of `java` on PATH; None without Java."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return Path(home)
    java = shutil.which("java")
    return Path(os.path.realpath(java)).parents[1] if java else None


def java_major(home: Path) -> int:
    out = subprocess.run(
        [str(home / "bin" / "java"), "-version"], capture_output=True, text=True, timeout=60
    )
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def _parse_paths(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


_located: Engines | None = None


def engines_or_skip() -> Engines:
    """The engines, or skip (fail under CI=true) saying what is missing.

    Builds the venv (minutes, once) only when CI=true or AIFLOW_BUILD_ENGINES=1; otherwise
    uses a cached one (`scripts/engines_venv.sh --check`).
    """
    global _located
    if _located is not None:
        return _located
    home = java_home()
    if home is None:
        _missing("Java not found (need Java 17: set JAVA_HOME or put java on PATH)")
        raise AssertionError("unreachable")
    if (major := java_major(home)) < 17:
        _missing(f"Java {major} at {home}; Spark 4 and Flink 2 tests need Java 17+")
    check = subprocess.run(
        ["bash", str(ENGINES_SCRIPT), "--check"], capture_output=True, text=True, timeout=60
    )
    if check.returncode == 3:
        if not (is_ci() or os.environ.get("AIFLOW_BUILD_ENGINES") == "1"):
            _missing(
                "engines venv not built: run scripts/engines_venv.sh "
                "(or set AIFLOW_BUILD_ENGINES=1 to build it from the tests)"
            )
        check = subprocess.run(
            ["bash", str(ENGINES_SCRIPT)], capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
    if check.returncode != 0:
        _missing(f"scripts/engines_venv.sh failed (rc {check.returncode}): {check.stderr[-2000:]}")
    paths = _parse_paths(check.stdout)
    found = Engines(
        python=Path(paths["ENGINES_PYTHON"]),
        flink_home=Path(paths["FLINK_HOME"]),
        spark_home=Path(paths["SPARK_HOME"]),
        java_home=home,
    )
    for tool in (found.python, found.flink, found.spark_submit, found.spark_class):
        if not tool.is_file():
            _missing(f"engines venv is incomplete: {tool} is missing; rerun the script")
    _located = found
    return found


# --------------------------------------------------------------------------- processes


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all held open while choosing)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def run(
    cmd: Sequence[str | os.PathLike[str]],
    env: Mapping[str, str],
    cwd: Path,
    timeout: float = 180.0,
) -> subprocess.CompletedProcess[str]:
    """Run a CLI in its own process group; on timeout kill the whole group and fail."""
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{cmd[0]} timed out after {timeout} s\n{out[-3000:]}\n{err[-3000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when pytest dies, even by SIGKILL (Linux; the
    setting survives exec, so it reaches the JVM the scripts exec), so a killed test run
    does not leave clusters behind."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def stop_daemons(procs: Sequence[subprocess.Popen[bytes]], root: Path, grace: float = 30.0) -> None:
    """SIGTERM each daemon's process group, SIGKILL what is left after `grace` seconds,
    then fail if any process still mentions `root` (our private dirs) on its command line.
    """
    for proc in procs:
        _kill_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for proc in procs:
        for member in _group_members(proc.pid):  # the daemon itself or a child it spawned
            member.kill()
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    left = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(str(root) in arg for arg in p.info["cmdline"] or ()):
                left.append(p)
        except psutil.Error:
            continue
    for p in left:
        p.kill()
    assert not left, f"processes left behind: {[p.info for p in left]}"


def _start_daemon(
    cmd: Sequence[str | Path], env: Mapping[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(c) for c in cmd],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def _tail(paths: Sequence[Path], chars: int = 3000) -> str:
    parts = []
    for path in paths:
        if path.is_file():
            parts.append(f"--- {path}\n{path.read_text(errors='replace')[-chars:]}")
    return "\n".join(parts)


def wait_for(
    predicate: Callable[[], Any],
    timeout: float,
    what: str,
    interval: float = 0.5,
    alive: Sequence[subprocess.Popen[Any]] = (),
    logs: Sequence[Path] = (),
) -> Any:
    """Poll until `predicate()` is truthy and return it; fail at the deadline, or as soon
    as one of the `alive` processes exits (with the tail of `logs`)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        for proc in alive:
            if proc.poll() is not None:
                pytest.fail(f"{what}: pid {proc.pid} exited {proc.returncode}\n{_tail(logs)}")
        try:
            last = predicate()
        except (OSError, ValueError) as e:  # not listening yet / half-written JSON
            last = e
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {last!r}\n{_tail(logs)}")


def http_json(url: str, method: str = "GET", body: Any = None, timeout: float = 10.0) -> Any:
    """JSON from a REST call (None for an empty body). HTTP errors raise HTTPError."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw.strip() else None


# --------------------------------------------------------------------------- Flink


def write_flink_conf(engines: Engines, conf_dir: Path, settings: Mapping[str, Any]) -> Path:
    """Copy pyflink's conf/ to `conf_dir` and set `settings` (flat keys) in config.yaml.

    Flink 2's config.yaml is nested YAML; it is rewritten flat (Flink reads both), so a
    setting cannot end up twice.
    """
    shutil.copytree(engines.flink_home / "conf", conf_dir, dirs_exist_ok=True)
    config = conf_dir / "config.yaml"
    flat: dict[str, Any] = {}

    def flatten(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                flatten(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = node

    flatten("", yaml.safe_load(config.read_text()) or {})
    flat.update(settings)
    config.write_text(yaml.safe_dump(flat, sort_keys=True, default_flow_style=False))
    return conf_dir


def flink_local_env(engines: Engines, work_dir: Path) -> dict[str, str]:
    """Environment for `flink run --target local` (a mini cluster inside the client):
    a private FLINK_CONF_DIR (REST on a random port, not 8081) and FLINK_LOG_DIR, so
    nothing is written into the venv."""
    log_dir = work_dir / "flink-local-log"
    log_dir.mkdir(parents=True, exist_ok=True)
    conf_dir = write_flink_conf(
        engines,
        work_dir / "flink-local-conf",
        {
            "rest.bind-port": "0",
            "rest.port": 0,
            "jobmanager.rpc.port": 0,
            "python.client.executable": str(engines.python),
            "python.executable": str(engines.python),
            "env.log.dir": str(log_dir),
            "env.pid.dir": str(work_dir),
        },
    )
    return engines.env(FLINK_CONF_DIR=str(conf_dir), FLINK_LOG_DIR=str(log_dir))


@dataclass
class FlinkSessionCluster:
    """A running standalone session cluster. Submit with `flink(...)` or with
    `engines.flink` and `env`; track with `rest(...)`."""

    engines: Engines
    root: Path
    conf_dir: Path
    log_dir: Path
    pid_dir: Path
    savepoint_dir: Path  # execution.checkpointing.savepoint-dir (ex state.savepoints.dir)
    checkpoint_dir: Path  # execution.checkpointing.dir (ex state.checkpoints.dir)
    rest_port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    start_seconds: float = 0.0

    @property
    def rest_address(self) -> str:
        """host:port for `flink run -m` / `flink stop -m`."""
        return f"{HOST}:{self.rest_port}"

    @property
    def rest_url(self) -> str:
        return f"http://{HOST}:{self.rest_port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for the `flink` CLI against this cluster (its conf, our log dir)."""
        return self.engines.env(
            FLINK_CONF_DIR=str(self.conf_dir),
            FLINK_LOG_DIR=str(self.log_dir),
            FLINK_PID_DIR=str(self.pid_dir),
        )

    def flink(
        self, *args: str | os.PathLike[str], cwd: Path | None = None, timeout: float = 180.0
    ) -> subprocess.CompletedProcess[str]:
        return run([self.engines.flink, *args], self.env, cwd or self.root, timeout)

    def rest(self, path: str, method: str = "GET", body: Any = None) -> Any:
        return http_json(self.rest_url + path, method, body)

    def job_state(self, job_id: str) -> str:
        return str(self.rest(f"/jobs/{job_id}")["state"])

    def wait_job_state(self, job_id: str, states: Set[str] | str, timeout: float = 60.0) -> str:
        wanted = {states} if isinstance(states, str) else set(states)

        def reached() -> str | None:
            state = self.job_state(job_id)
            if state in wanted:
                return state
            if state in FLINK_TERMINAL:
                pytest.fail(f"job {job_id} is {state}, wanted {sorted(wanted)}")
            return None

        return str(wait_for(reached, timeout, f"job {job_id} in {sorted(wanted)}"))

    def wait_running(self, job_id: str, timeout: float = 60.0) -> None:
        """RUNNING and every vertex RUNNING (the job state is RUNNING while tasks deploy,
        and a savepoint is refused until all tasks run)."""

        def running() -> bool:
            job = self.rest(f"/jobs/{job_id}")
            if job["state"] in FLINK_TERMINAL | {"RESTARTING", "FAILING"}:
                pytest.fail(f"job {job_id} is {job['state']}: {self.root_exception(job_id)}")
            return job["state"] == "RUNNING" and all(
                v["status"] == "RUNNING" for v in job["vertices"]
            )

        wait_for(running, timeout, f"all tasks of {job_id} RUNNING")

    def root_exception(self, job_id: str) -> str:
        """The latest failure of a job, from /jobs/<id>/exceptions ('' if none)."""
        entries = self.rest(f"/jobs/{job_id}/exceptions")["exceptionHistory"]["entries"]
        return str(entries[0]["stacktrace"])[:3000] if entries else ""

    def stop_with_savepoint(
        self, job_id: str, target: Path | None = None, timeout: float = 120.0
    ) -> str:
        """REST stop-with-savepoint; returns the savepoint location (file:/...)."""
        body = {"targetDirectory": str(target or self.savepoint_dir), "drain": False}
        request_id = self.rest(f"/jobs/{job_id}/stop", "POST", body)["request-id"]
        return self.wait_savepoint(job_id, request_id, timeout)

    def wait_savepoint(self, job_id: str, request_id: str, timeout: float = 120.0) -> str:
        def done() -> dict[str, Any] | None:
            status = self.rest(f"/jobs/{job_id}/savepoints/{request_id}")
            return status if status["status"]["id"] == "COMPLETED" else None

        status = wait_for(done, timeout, f"savepoint {request_id} of {job_id}")
        operation = status["operation"]
        if "failure-cause" in operation:
            pytest.fail(f"savepoint failed: {operation['failure-cause']}")
        return str(operation["location"])

    def cancel(self, job_id: str, timeout: float = 60.0) -> None:
        self.rest(f"/jobs/{job_id}?mode=cancel", "PATCH")
        self.wait_job_state(job_id, "CANCELED", timeout)

    def cancel_all(self, timeout: float = 60.0) -> None:
        """Cancel every unfinished job, so the next test gets all slots."""
        jobs = [j["id"] for j in self.rest("/jobs")["jobs"] if j["status"] not in FLINK_TERMINAL]
        for job_id in jobs:
            self.rest(f"/jobs/{job_id}?mode=cancel", "PATCH")
        for job_id in jobs:
            self.wait_job_state(job_id, FLINK_TERMINAL, timeout)


def start_flink_session_cluster(engines: Engines, root: Path) -> FlinkSessionCluster:
    """JobManager and TaskManager as foreground JVMs (`jobmanager.sh start-foreground`
    execs java), each in its own process group; returns once a slot is free."""
    started = time.monotonic()
    rest, rpc, blob, tm_rpc, tm_data = free_ports(5)
    log_dir, pid_dir, tmp_dir = root / "log", root / "pid", root / "tmp"
    savepoints, checkpoints = root / "savepoints", root / "checkpoints"
    for d in (log_dir, pid_dir, tmp_dir, savepoints, checkpoints):
        d.mkdir(parents=True, exist_ok=True)
    conf_dir = write_flink_conf(
        engines,
        root / "conf",
        {
            "jobmanager.bind-host": HOST,
            "jobmanager.rpc.address": HOST,
            "jobmanager.rpc.port": rpc,
            "jobmanager.memory.process.size": FLINK_JM_MEMORY,
            "taskmanager.bind-host": HOST,
            "taskmanager.host": HOST,
            "taskmanager.rpc.port": str(tm_rpc),
            "taskmanager.data.port": tm_data,
            "taskmanager.numberOfTaskSlots": FLINK_SLOTS,
            "taskmanager.memory.process.size": FLINK_TM_MEMORY,
            "blob.server.port": str(blob),
            "rest.address": HOST,
            "rest.bind-address": HOST,
            "rest.port": rest,
            "io.tmp.dirs": str(tmp_dir),
            "execution.checkpointing.savepoint-dir": f"file://{savepoints}",
            "execution.checkpointing.dir": f"file://{checkpoints}",
            "python.client.executable": str(engines.python),
            "python.executable": str(engines.python),
            "env.log.dir": str(log_dir),
            "env.pid.dir": str(pid_dir),
        },
    )
    (conf_dir / "masters").write_text(f"{HOST}:{rest}\n")
    (conf_dir / "workers").write_text(f"{HOST}\n")
    cluster = FlinkSessionCluster(
        engines=engines,
        root=root,
        conf_dir=conf_dir,
        log_dir=log_dir,
        pid_dir=pid_dir,
        savepoint_dir=savepoints,
        checkpoint_dir=checkpoints,
        rest_port=rest,
    )
    logs = [log_dir / "jobmanager.out", log_dir / "taskmanager.out"]
    for script, log in zip(("jobmanager.sh", "taskmanager.sh"), logs, strict=True):
        cluster.processes.append(
            _start_daemon([engines.flink_bin / script, "start-foreground"], cluster.env, root, log)
        )

    def ready() -> bool:
        overview = cluster.rest("/overview")
        return bool(overview["taskmanagers"] >= 1 and overview["slots-available"] >= 1)

    try:
        wait_for(ready, CLUSTER_START_TIMEOUT, "Flink /overview with a free slot",
                 alive=cluster.processes, logs=logs)  # fmt: skip
    except BaseException:
        stop_daemons(cluster.processes, root)
        raise
    cluster.start_seconds = time.monotonic() - started
    return cluster


def flink_batch_job(path: Path, output: Path | None = None) -> Path:
    """A pyflink Table job (batch mode) that finishes: word counts of a VALUES table into
    a CSV directory (`output`, default `<stem>-out/`; argv[1] overrides), one `word,count`
    line per word across its part files (`read_flink_csv`)."""
    output = output or path.with_name(path.stem + "-out")
    path.write_text(
        textwrap.dedent(
            f"""\
            import sys

            from pyflink.table import EnvironmentSettings, TableEnvironment

            output = sys.argv[1] if len(sys.argv) > 1 else {str(output)!r}
            t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
            t_env.get_config().set("pipeline.name", "aiflow-test-batch")
            t_env.execute_sql(
                "CREATE TABLE counts (word STRING, cnt BIGINT) WITH ("
                f"'connector' = 'filesystem', 'path' = '{{output}}', 'format' = 'csv')"
            )
            t_env.execute_sql(
                "INSERT INTO counts SELECT word, COUNT(*) FROM "
                "(VALUES ('a'), ('b'), ('a')) AS t(word) GROUP BY word"
            ).wait()
            """
        )
    )
    return path


def read_flink_csv(output: Path) -> list[str]:
    """The sorted lines of a filesystem-sink output directory (hidden in-progress files
    excluded)."""
    lines: list[str] = []
    for part in output.rglob("*"):
        if part.is_file() and not part.name.startswith("."):
            lines.extend(part.read_text().splitlines())
    return sorted(lines)


def flink_streaming_job(path: Path, rows_per_second: int = 10) -> Path:
    """A never-ending pyflink SQL job: datagen (random rows, throttled) → blackhole,
    checkpointing every second. Submit detached (`flink run -d -py`): the script returns
    once the job is submitted. The plan is deterministic, so `flink run -s <savepoint>`
    of the same script restores it; `/jobs/<id>/checkpoints` then shows
    `latest.restored.external_path` = the savepoint."""
    path.write_text(
        textwrap.dedent(
            f"""\
            from pyflink.table import EnvironmentSettings, TableEnvironment

            t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
            config = t_env.get_config()
            config.set("pipeline.name", "aiflow-test-stream")
            config.set("execution.checkpointing.interval", "1 s")
            t_env.execute_sql(
                "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', "
                "'rows-per-second' = '{rows_per_second}')"
            )
            t_env.execute_sql("CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole')")
            t_env.execute_sql("INSERT INTO sink SELECT n FROM numbers")
            """
        )
    )
    return path


# --------------------------------------------------------------------------- Spark


def spark_local_env(engines: Engines, work_dir: Path) -> dict[str, str]:
    """Environment for `spark-submit/spark-sql --master local[1]`: private SPARK_CONF_DIR
    (UI off) and scratch dirs."""
    conf_dir = work_dir / "spark-local-conf"
    local_dir = work_dir / "spark-local-tmp"
    for d in (conf_dir, local_dir):
        d.mkdir(parents=True, exist_ok=True)
    (conf_dir / "spark-defaults.conf").write_text("spark.ui.enabled false\n")
    return engines.env(SPARK_CONF_DIR=str(conf_dir), SPARK_LOCAL_DIRS=str(local_dir))


@dataclass
class SparkStandaloneCluster:
    """A running master (REST gateway on) and one worker."""

    engines: Engines
    root: Path
    conf_dir: Path
    log_dir: Path
    work_dir: Path
    master_port: int
    rest_port: int
    web_port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    start_seconds: float = 0.0

    @property
    def master_url(self) -> str:
        """spark://host:port, the master's own RPC port (client-mode apps, legacy
        cluster-mode submission)."""
        return f"spark://{HOST}:{self.master_port}"

    @property
    def rest_url(self) -> str:
        """spark://host:restport: cluster-mode submit, `--status` and `--kill` go here
        (`--status` against master_url fails)."""
        return f"spark://{HOST}:{self.rest_port}"

    @property
    def rest_http_url(self) -> str:
        """http://host:restport: GET /v1/submissions/status/<id>, POST .../kill/<id>."""
        return f"http://{HOST}:{self.rest_port}"

    @property
    def web_url(self) -> str:
        """The master UI; GET /json/ is the cluster state (aliveworkers, activedrivers)."""
        return f"http://{HOST}:{self.web_port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for spark-submit against this cluster. Its SPARK_CONF_DIR has
        spark.master.rest.enabled=true, which the client needs to talk REST."""
        return self.engines.env(
            SPARK_CONF_DIR=str(self.conf_dir),
            SPARK_LOG_DIR=str(self.log_dir),
            SPARK_PID_DIR=str(self.root / "pid"),
            SPARK_WORKER_DIR=str(self.work_dir),
            SPARK_LOCAL_DIRS=str(self.root / "tmp"),
            SPARK_DAEMON_MEMORY="512m",
        )

    def spark_submit(
        self, *args: str | os.PathLike[str], cwd: Path | None = None, timeout: float = 180.0
    ) -> subprocess.CompletedProcess[str]:
        return run([self.engines.spark_submit, *args], self.env, cwd or self.root, timeout)

    def state(self) -> dict[str, Any]:
        return dict(http_json(self.web_url + "/json/"))

    def driver_status(self, driver_id: str) -> dict[str, Any]:
        return dict(http_json(f"{self.rest_http_url}/v1/submissions/status/{driver_id}"))

    def wait_driver(
        self, driver_id: str, states: frozenset[str] = SPARK_DRIVER_TERMINAL, timeout: float = 90
    ) -> str:
        def reached() -> str | None:
            state = self.driver_status(driver_id).get("driverState")
            return state if state in states else None

        return str(wait_for(reached, timeout, f"driver {driver_id} in {sorted(states)}"))

    def kill_driver(self, driver_id: str) -> dict[str, Any]:
        return dict(
            http_json(f"{self.rest_http_url}/v1/submissions/kill/{driver_id}", method="POST")
        )

    def kill_active_drivers(self, timeout: float = 90.0) -> None:
        """Kill every driver still running, so the next test gets the worker's cores."""
        active = [d["id"] for d in self.state().get("activedrivers", [])]
        for driver_id in active:
            self.kill_driver(driver_id)
        for driver_id in active:
            self.wait_driver(driver_id, timeout=timeout)


def start_spark_standalone_cluster(engines: Engines, root: Path) -> SparkStandaloneCluster:
    """Master and worker via `spark-class` (which execs java), each in its own process
    group; returns once the master's /json/ lists an alive worker."""
    started = time.monotonic()
    master, rest, web, worker, worker_web = free_ports(5)
    conf_dir, log_dir, work_dir = root / "conf", root / "log", root / "work"
    for d in (conf_dir, log_dir, work_dir, root / "pid", root / "tmp"):
        d.mkdir(parents=True, exist_ok=True)
    properties = conf_dir / "spark-defaults.conf"
    properties.write_text(
        textwrap.dedent(
            f"""\
            spark.master.rest.enabled true
            spark.master.rest.host {HOST}
            spark.master.rest.port {rest}
            spark.driver.host {HOST}
            spark.driver.memory 512m
            spark.executor.memory 512m
            spark.ui.enabled false
            """
        )
    )
    cluster = SparkStandaloneCluster(
        engines=engines,
        root=root,
        conf_dir=conf_dir,
        log_dir=log_dir,
        work_dir=work_dir,
        master_port=master,
        rest_port=rest,
        web_port=web,
    )
    logs = [log_dir / "master.out", log_dir / "worker.out"]
    spark_class = engines.spark_class
    commands = [
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", HOST,
         "--port", master, "--webui-port", web, "--properties-file", properties],
        [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", HOST,
         "--port", worker, "--webui-port", worker_web, "--cores", SPARK_WORKER_CORES,
         "--memory", SPARK_WORKER_MEMORY, "--work-dir", work_dir,
         "--properties-file", properties, cluster.master_url],
    ]  # fmt: skip
    for command, log in zip(commands, logs, strict=True):
        cluster.processes.append(_start_daemon([str(c) for c in command], cluster.env, root, log))

    def ready() -> bool:
        return int(cluster.state().get("aliveworkers", 0)) >= 1

    try:
        wait_for(ready, CLUSTER_START_TIMEOUT, "Spark master /json/ with an alive worker",
                 alive=cluster.processes, logs=logs)  # fmt: skip
    except BaseException:
        stop_daemons(cluster.processes, root)
        raise
    cluster.start_seconds = time.monotonic() - started
    return cluster


def spark_job(path: Path, exit_code: int = 0, output: Path | None = None) -> Path:
    """A pyspark script: sums 1..10 on Spark, writes {"sum": 55, "args": [...]} to `output`
    (default `<stem>.out.json`; argv[1] overrides, later args are echoed), exits
    `exit_code`."""
    output = output or path.with_name(path.stem + ".out.json")
    path.write_text(
        textwrap.dedent(
            f"""\
            import json
            import sys

            from pyspark.sql import SparkSession

            output = sys.argv[1] if len(sys.argv) > 1 else {str(output)!r}
            spark = SparkSession.builder.appName("aiflow-test-job").getOrCreate()
            total = spark.range(1, 11).selectExpr("sum(id) AS s").first()["s"]
            spark.stop()
            with open(output, "w") as f:
                json.dump({{"sum": total, "args": sys.argv[2:]}}, f)
            sys.exit({exit_code})
            """
        )
    )
    return path


def spark_driver_jar(
    directory: Path, exit_code: int = 0, sleep_seconds: float = 0.0, name: str = "AiflowDriver"
) -> Path:
    """A plain-Java driver jar (no Spark API; standalone cluster mode runs only JVM
    drivers): prints a line, writes "started" to args[0] if given, sleeps, then
    System.exit(exit_code). Main-Class is set; spark-submit still wants --class <name>."""
    home = java_home()
    if home is None or not all((home / "bin" / t).is_file() for t in ("javac", "jar")):
        _missing(f"javac/jar not found in Java home {home} (need a JDK 17, not a JRE)")
    assert home is not None
    src, classes = directory / f"{name}-src", directory / f"{name}-classes"
    src.mkdir(parents=True, exist_ok=True)
    classes.mkdir(parents=True, exist_ok=True)
    (src / f"{name}.java").write_text(
        textwrap.dedent(
            f"""\
            import java.nio.file.Files;
            import java.nio.file.Path;

            public class {name} {{
                public static void main(String[] args) throws Exception {{
                    System.out.println("{name} started, exit code {exit_code}");
                    if (args.length > 0) {{
                        Files.writeString(Path.of(args[0]), "started\\n");
                    }}
                    Thread.sleep({int(sleep_seconds * 1000)}L);
                    System.exit({exit_code});
                }}
            }}
            """
        )
    )
    jar = directory / f"{name}.jar"
    for cmd in (
        [home / "bin" / "javac", "--release", "17", "-d", classes, src / f"{name}.java"],
        [home / "bin" / "jar", "--create", "--file", jar, "--main-class", name, "-C", classes, "."],
    ):
        done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{cmd[0]} failed: {done.stdout}{done.stderr}"
    return jar


def spark_failing_driver_jar(directory: Path, exit_code: int = 7) -> Path:
    return spark_driver_jar(directory, exit_code=exit_code, name="AiflowFailingDriver")


def spark_ok_driver_jar(directory: Path, sleep_seconds: float = 0.0) -> Path:
    return spark_driver_jar(directory, sleep_seconds=sleep_seconds, name="AiflowOkDriver")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def engines() -> Engines:
    return engines_or_skip()


@pytest.fixture(scope="session")
def flink_session_cluster(
    engines: Engines, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlinkSessionCluster]:
    cluster = start_flink_session_cluster(engines, tmp_path_factory.mktemp("flink-session"))
    yield cluster
    stop_daemons(cluster.processes, cluster.root)


@pytest.fixture
def flink_cluster(flink_session_cluster: FlinkSessionCluster) -> Iterator[FlinkSessionCluster]:
    """The session cluster, with every job the test left unfinished canceled afterwards."""
    yield flink_session_cluster
    flink_session_cluster.cancel_all()


@pytest.fixture(scope="session")
def spark_standalone_cluster(
    engines: Engines, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkStandaloneCluster]:
    cluster = start_spark_standalone_cluster(engines, tmp_path_factory.mktemp("spark-cluster"))
    yield cluster
    stop_daemons(cluster.processes, cluster.root)


@pytest.fixture
def spark_cluster(
    spark_standalone_cluster: SparkStandaloneCluster,
) -> Iterator[SparkStandaloneCluster]:
    """The standalone cluster, with every driver the test left running killed afterwards."""
    yield spark_standalone_cluster
    spark_standalone_cluster.kill_active_drivers()
