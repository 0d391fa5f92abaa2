"""The Celery executor on real brokers (Redis and RabbitMQ) with real `aiflow worker`
processes, each with its own AIFLOW_HOME.

Two levels: tries submitted by the test through the executor, claiming on a real
internal RPC (taskenv, no scheduler), and workflows run by a real AIFlow server with
``task_executor: celery`` (aiflow_servers).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from celery_workers import (
    REDIS_URL,
    Broker,
    Workers,
    aiflow_exe,
    broker_fixture,
    workers_fixture,
)
from taskenv import TaskEnv, statuses, wait_for_statuses, wait_until

from ai_flow.executor import ExecutorError, create_task_executor
from ai_flow.executor._celery import CeleryTaskExecutor
from ai_flow.executor._celery_app import CeleryHandle, celery_config
from ai_flow.runtime import TaskSpec, task_paths
from ai_flow.settings import AIFlowServerSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import Servers, servers_factory  # noqa: E402

__all__ = ["servers_factory"]

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="celery") as wf:
        # Counts its runs in a file outside every home.
        BashOperator(name="count", bash_command="echo run >> {counter}")
        # Runs until the file `release` appears in its working directory.
        BashOperator(name="held", bash_command="while [ ! -f release ]; do sleep 0.05; done")
        BashOperator(name="long", bash_command="sleep 60")
        # Ignores SIGTERM: only a kill ends it before its operator's 10 s kill timeout.
        BashOperator(name="deaf", bash_command="trap '' TERM; sleep 120")
"""


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Broker:
    return broker_fixture(request)


@pytest.fixture
def workers(tmp_path: Path, broker: Broker) -> Iterator[Workers]:
    yield from workers_fixture(tmp_path, broker)


@pytest.fixture
def env(task_env: TaskEnv, tmp_path: Path) -> TaskEnv:
    task_env.upload(WORKFLOW.replace("{counter}", str(tmp_path / "counter")))
    return task_env


def _settings(env: TaskEnv, broker: Broker, **overrides: Any) -> AIFlowServerSettings:
    values: dict[str, Any] = {
        "metadata_backend_uri": f"sqlite:///{env.home}/aiflow.db",
        "task_heartbeat_interval": 1,
        **broker.server_settings(),
        **overrides,
    }
    return AIFlowServerSettings(**values)


@pytest.fixture
def executor(env: TaskEnv, broker: Broker) -> Iterator[CeleryTaskExecutor]:
    executor = create_task_executor("celery", settings=_settings(env, broker), home=env.home)
    assert isinstance(executor, CeleryTaskExecutor)
    yield executor
    executor.close()


def _alive(executor: CeleryTaskExecutor, handle: str) -> bool:
    return executor.poll([handle])[handle].alive


def _log(home: Path, spec: TaskSpec) -> Path:
    return task_paths(
        home,
        spec.workflow_name,
        spec.workflow_execution_id,
        spec.task_name,
        spec.sequence_number,
        spec.snapshot.file_name,
        home / "logs",
    ).log_path


def _release(home: Path, spec: TaskSpec) -> None:
    (
        home / "working_dir" / spec.workflow_name / str(spec.workflow_execution_id) / "release"
    ).touch()


def _finish(env: TaskEnv, spec: TaskSpec, status: str) -> None:
    """Play the scheduler: store the final status the try reported."""
    from ai_flow.metadata import task_executions

    with env.app.write() as s:
        task_executions.update_task_status(s, spec.task_execution_id, status)


def _pid_gone(pid: int | None) -> bool:
    if not pid:
        return True
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# Tries submitted through the executor


def test_a_try_runs_on_a_worker_under_the_workers_own_home(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers
) -> None:
    worker = workers.start()
    spec = env.try_of("celery", "held")
    handle = executor.submit(spec)
    data = CeleryHandle.loads(handle)
    assert data == CeleryHandle(
        f"aiflow-te{spec.task_execution_id}-try1", workers.broker.queue(), spec.task_execution_id, 1
    )
    wait_for_statuses(env, spec, ["RUNNING"])
    assert _alive(executor, handle)
    _release(worker.home, spec)
    wait_for_statuses(env, spec, ["RUNNING", "SUCCESS"])
    assert "task finished: SUCCESS" in _log(worker.home, spec).read_text()
    assert not (env.home / "working_dir").exists()  # nothing ran under the server's home
    wait_until(lambda: not list((worker.home / "celery").iterdir()))  # the spec file goes
    assert _alive(executor, handle)  # the scheduler has not stored SUCCESS yet
    _finish(env, spec, "SUCCESS")
    wait_until(lambda: not _alive(executor, handle))
    assert "SUCCESS" in executor.poll([handle])[handle].detail


def test_the_same_try_published_twice_runs_once(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers, tmp_path: Path
) -> None:
    spec = env.try_of("celery", "count")
    first = executor.submit(spec)
    second = executor.submit(spec)  # two messages with the same task id, both queued
    assert first == second
    worker = workers.start(concurrency=2)
    wait_for_statuses(env, spec, ["RUNNING", "SUCCESS"])
    log = _log(worker.home, spec)
    wait_until(lambda: "not run: try 1 already runs" in log.read_text())
    assert (tmp_path / "counter").read_text() == "run\n"
    assert statuses(env.ns.client, spec) == ["RUNNING", "SUCCESS"]


def test_a_try_waits_in_its_queue_for_a_worker_that_consumes_it(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers, tmp_path: Path
) -> None:
    broker = workers.broker
    default = workers.start()
    spec = dataclasses.replace(env.try_of("celery", "count"), queue=broker.queue("q2"))
    handle = executor.submit(spec)
    assert CeleryHandle.loads(handle).queue == broker.queue("q2")  # type: ignore[union-attr]
    wait_until(lambda: broker.pending(broker.queue("q2")) == 1)  # it waits in q2
    assert broker.pending(broker.queue()) == 0  # not in the default worker's queue
    assert statuses(env.ns.client, spec) == []
    assert env.row(spec).claimed_try is None and _alive(executor, handle)
    q2 = workers.start(queues=[broker.queue("q2")])
    wait_for_statuses(env, spec, ["RUNNING", "SUCCESS"])
    assert _log(q2.home, spec).exists() and not _log(default.home, spec).exists()


def test_a_stop_reaches_a_remote_try_through_its_heartbeats(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers
) -> None:
    """No signal, no cancel: the STOPPING row answers the try's heartbeat."""
    worker = workers.start()
    spec = env.try_of("celery", "long")
    executor.submit(spec)
    wait_for_statuses(env, spec, ["RUNNING"])
    env.stop(spec)
    wait_for_statuses(env, spec, ["RUNNING", "STOPPED"])
    log = _log(worker.home, spec).read_text()
    assert "the server asks the task to stop (USER)" in log
    wait_until(lambda: _pid_gone(env.row(spec).pid))


def test_cancel_stops_a_running_try_and_polls_dead_once_it_returns(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers
) -> None:
    workers.start()
    spec = env.try_of("celery", "long")
    handle = executor.submit(spec)
    wait_for_statuses(env, spec, ["RUNNING"])
    pid = env.row(spec).pid
    env.stop(spec)  # the server marks the try STOPPING, then cancels its handle
    started = time.monotonic()
    executor.cancel(handle, grace=15.0)
    assert time.monotonic() - started < 10  # the runtime stopped; no kill was needed
    assert not _alive(executor, handle)
    assert _pid_gone(pid)
    wait_for_statuses(env, spec, ["RUNNING", "STOPPED"])
    executor.cancel(handle, grace=15.0)  # cancelling again is harmless


def test_cancel_kills_a_try_that_ignores_the_stop_after_the_grace(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers, caplog: pytest.LogCaptureFixture
) -> None:
    workers.start()
    spec = env.try_of("celery", "deaf", stop_timeout=60.0)
    handle = executor.submit(spec)
    wait_for_statuses(env, spec, ["RUNNING"])
    pid = env.row(spec).pid
    spawned = [p.pid for p in psutil.Process(pid).children(recursive=True)]
    started = time.monotonic()
    executor.cancel(handle, grace=1.0)
    assert time.monotonic() - started < 8  # well before bash's own 10 s kill timeout
    assert "did not stop within 2s; killing it" in caplog.text  # grace + heartbeat interval
    assert not _alive(executor, handle)
    assert all(_pid_gone(p) for p in [pid, *spawned])


def test_a_stopped_try_still_in_the_queue_never_runs(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers, tmp_path: Path
) -> None:
    spec = env.try_of("celery", "count")
    handle = executor.submit(spec)  # no worker yet: it waits in the broker
    env.stop(spec)
    started = time.monotonic()
    executor.cancel(handle, grace=15.0)
    assert time.monotonic() - started < 5  # no worker reports it: nothing to wait for
    assert not _alive(executor, handle)
    worker = workers.start()  # started after the revoke: the claim refuses the message
    log = _log(worker.home, spec)
    wait_until(
        lambda: log.exists() and "not run: the task execution is STOPPING" in log.read_text()
    )
    assert not (tmp_path / "counter").exists()
    assert statuses(env.ns.client, spec) == []


def test_a_killed_worker_takes_its_try_with_it(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers
) -> None:
    worker = workers.start()
    spec = env.try_of("celery", "long")
    handle = executor.submit(spec)
    wait_for_statuses(env, spec, ["RUNNING"])
    runtime = env.row(spec).pid
    assert runtime in worker.processes()
    worker.sigkill()
    wait_until(lambda: _pid_gone(runtime), timeout=5)
    # The server cannot see that: its heartbeat timeout fails the try (tested below).
    assert _alive(executor, handle)


def test_a_killed_pool_process_takes_its_try_and_the_redelivered_message_is_refused(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers
) -> None:
    """task_reject_on_worker_lost puts the message back; the claim refuses the copy."""
    worker = workers.start()
    spec = env.try_of("celery", "long")
    executor.submit(spec)
    wait_for_statuses(env, spec, ["RUNNING"])
    runtime = env.row(spec).pid
    pool = psutil.Process(runtime).ppid()
    assert pool != worker.pid and pool in worker.processes()
    psutil.Process(pool).kill()
    wait_until(lambda: _pid_gone(runtime), timeout=5)  # PR_SET_PDEATHSIG
    log = _log(worker.home, spec)
    wait_until(lambda: "not run: try 1 already runs" in log.read_text())
    assert statuses(env.ns.client, spec) == ["RUNNING"]  # the heartbeat timeout fails it


def test_a_restarted_executor_adopts_the_tries_workers_run(
    env: TaskEnv, executor: CeleryTaskExecutor, workers: Workers, broker: Broker
) -> None:
    worker = workers.start()
    spec = env.try_of("celery", "held")
    handle = executor.submit(spec)
    wait_for_statuses(env, spec, ["RUNNING"])
    executor.close()
    again = CeleryTaskExecutor(settings=_settings(env, broker))
    try:
        assert again.adopt() == [handle]
        _release(worker.home, spec)
        wait_for_statuses(env, spec, ["RUNNING", "SUCCESS"])
        _finish(env, spec, "SUCCESS")
        wait_until(lambda: not _alive(again, handle))
        assert again.adopt() == []
    finally:
        again.close()


def test_a_handle_of_another_executor_polls_dead(executor: CeleryTaskExecutor) -> None:
    state = executor.poll(['{"lock": "/x", "pid": 1}'])['{"lock": "/x", "pid": 1}']
    assert not state.alive and "not a Celery" in state.detail
    executor.cancel('{"lock": "/x", "pid": 1}', 1.0)  # nothing to do


# Bad configuration: one line


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "celery_broker_url is not set"),
        ({"celery_broker_url": "kafka://127.0.0.1:9092"}, "is not a Redis or RabbitMQ URL"),
        (
            {"celery_broker_url": REDIS_URL, "celery_options": {"task_acks_late": False}},
            "celery_options may not set task_acks_late",
        ),
        (
            {"celery_broker_url": REDIS_URL, "celery_options": {"accept_content": ["pickle"]}},
            "celery_options may not set accept_content",
        ),
        ({"celery_broker_url": "redis://127.0.0.1:1/0"}, "cannot reach the Celery broker"),
        (
            {"celery_broker_url": "amqp://guest:secret@127.0.0.1:1//"},
            "cannot reach the Celery broker amqp://guest:**@127.0.0.1:1//",
        ),
    ],
)
def test_a_bad_celery_configuration_is_one_error_line(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ExecutorError, match=re.escape(message)) as info:
        create_task_executor("celery", settings=AIFlowServerSettings(**values))
    assert "\n" not in str(info.value) and "secret" not in str(info.value)


def test_the_fixed_options_hold_and_redis_gets_a_long_visibility_timeout() -> None:
    config = celery_config(REDIS_URL, {"task_default_queue": "q", "task_acks_late": True})
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1 and config["accept_content"] == ["json"]
    assert config["result_backend"] is None and config["task_default_queue"] == "q"
    assert config["broker_transport_options"]["visibility_timeout"] >= 24 * 3600
    amqp = celery_config("amqp://127.0.0.1//", {})
    assert "visibility_timeout" not in amqp["broker_transport_options"]


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        (None, [], "does not exist; run `aiflow config init` first"),
        ({"log_dir": "/tmp"}, [], "celery_broker_url is not set"),
        ({"celery_broker_url": "redis://127.0.0.1:1/0"}, [], "cannot reach the Celery broker"),
        ({"celery_broker_url": REDIS_URL}, ["--queues", "a,,b"], "queue names must not be empty"),
        ({"celery_broker_url": REDIS_URL}, ["--concurrency", "0"], "0 is not in the range"),
    ],
)
def test_aiflow_worker_start_reports_bad_input_in_one_line(
    tmp_path: Path, config: dict[str, Any] | None, args: list[str], message: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    if config is not None:
        import yaml

        (home / "aiflow_server.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [aiflow_exe(), "worker", "start", *args],
        env={"AIFLOW_HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], done.stderr
    if not args:  # not a usage error (click adds its usage lines to those)
        assert done.stderr.strip() == errors[0]
    assert not (home / "aiflow_worker.pid").exists()


# Workflows run by an AIFlow server with task_executor: celery


def _celery_server(
    servers_factory: Callable[..., Servers], broker: Broker, tmp_path: Path, **overrides: Any
) -> Servers:
    """An AIFlow server whose blob store is outside its home (workers read it there)."""
    servers = servers_factory(aiflow=False)
    (servers.home / "aiflow_client.yaml").write_text(
        f"blob_manager:\n  blob_manager_config:\n    root_directory: {tmp_path / 'blobs'}\n"
    )
    servers.start_aiflow(task_executor="celery", **broker.server_settings(), **overrides)
    return servers


PIPELINE = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="pipeline") as wf:
        first = BashOperator(name="first", bash_command="echo first >> {out}")
        second = BashOperator(name="second", bash_command="echo second >> {out}", queue="{q2}")
        second.start_after(first)
"""


def test_a_workflow_runs_on_celery_workers_to_success(
    servers_factory: Callable[..., Servers], workers: Workers, tmp_path: Path
) -> None:
    broker = workers.broker
    servers = _celery_server(servers_factory, broker, tmp_path)
    default = workers.start()
    out = tmp_path / "out"
    source = PIPELINE.replace("{out}", str(out)).replace("{q2}", broker.queue("q2"))
    execution = servers.run(source, "pipeline")
    servers.wait_tasks(execution, {"first": ["SUCCESS"]})
    # `second` was published to q2, which no worker consumes yet: it waits there.
    wait_until(lambda: broker.pending(broker.queue("q2")) == 1)
    assert servers.statuses(execution)["second"] == ["QUEUED"]
    q2 = workers.start(queues=[broker.queue("q2")])
    servers.wait_execution(execution, "SUCCESS")
    assert out.read_text() == "first\nsecond\n"
    logs = {w: sorted(p.name for p in (w.home / "logs").rglob("*.log")) for w in (default, q2)}
    assert logs == {default: ["1.log"], q2: ["1.log"]}
    assert not (servers.home / "working_dir").exists()


KILLED = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="killed") as wf:
        BashOperator(name="long", bash_command="sleep 60", retries=1)
"""


def test_a_try_whose_worker_was_killed_fails_within_the_heartbeat_timeout_and_retries(
    servers_factory: Callable[..., Servers], workers: Workers, tmp_path: Path
) -> None:
    servers = _celery_server(
        servers_factory,
        workers.broker,
        tmp_path,
        task_heartbeat_timeout=6,
        task_executor_heartbeat_check_interval=1,
    )
    first = workers.start()
    execution = servers.run(KILLED, "killed")
    servers.wait_tasks(execution, {"long": ["RUNNING"]})
    te = servers.tasks(execution)[0]
    runtime = servers.task_row(te.id).pid
    second = workers.start()
    first.sigkill()
    killed = time.monotonic()
    wait_until(lambda: servers.task_row(te.id).try_number == 2, timeout=30)
    assert time.monotonic() - killed < 6 + 1 + 3  # timeout + check interval + a margin
    assert _pid_gone(runtime)
    wait_until(lambda: servers.task_row(te.id).claimed_try == 2, timeout=30)
    servers.wait_tasks(execution, {"long": ["RUNNING"]})
    row = servers.task_row(te.id)
    assert row.pid in second.processes()


def test_a_try_no_worker_takes_fails_after_the_queued_timeout_and_never_runs(
    servers_factory: Callable[..., Servers], workers: Workers, tmp_path: Path
) -> None:
    """The start timeout of a queued try is task_queued_timeout (not the heartbeat
    timeout); its message, if a worker gets it later, is refused by the claim."""
    servers = _celery_server(
        servers_factory,
        workers.broker,
        tmp_path,
        task_queued_timeout=3,
        task_executor_heartbeat_check_interval=1,
    )
    out = tmp_path / "out"
    source = PIPELINE.replace("{out}", str(out)).replace("{q2}", workers.broker.queue("q2"))
    execution = servers.run(source, "pipeline")
    servers.wait_tasks(execution, {"first": ["FAILED"]}, timeout=30)
    te = servers.tasks(execution)[0]
    assert te.error == "the task process did not start within 3s (task_queued_timeout)"
    worker = workers.start()
    log = worker.home / "logs" / "pipeline" / str(execution) / "first" / "1.log"
    wait_until(lambda: log.exists() and "not run: the task execution is FAILED" in log.read_text())
    assert not out.exists()


def test_a_stop_reaches_a_task_on_a_worker(
    servers_factory: Callable[..., Servers], workers: Workers, tmp_path: Path
) -> None:
    from ai_flow import ops

    servers = _celery_server(servers_factory, workers.broker, tmp_path)
    worker = workers.start()
    execution = servers.run(KILLED, "killed")
    servers.wait_tasks(execution, {"long": ["RUNNING"]})
    te = servers.tasks(execution)[0]
    runtime = servers.task_row(te.id).pid
    spawned = [p.pid for p in psutil.Process(runtime).children(recursive=True)]
    assert spawned  # bash, sleep
    ops.stop_task_execution(execution, "long")
    servers.wait_tasks(execution, {"long": ["STOPPED"]}, timeout=30)
    wait_until(lambda: all(_pid_gone(p) for p in [runtime, *spawned]))
    # A zombie counts as gone above; the pool reaps it a moment later.
    wait_until(lambda: runtime not in worker.processes())


def test_a_server_without_a_broker_does_not_start(
    servers_factory: Callable[..., Servers],
) -> None:
    from ai_flow.server import ServerStartError

    servers = servers_factory(aiflow=False)
    with pytest.raises(ServerStartError, match="celery_broker_url is not set"):
        servers.start_aiflow(task_executor="celery")


def test_other_commands_and_import_ai_flow_load_no_celery(tmp_path: Path) -> None:
    code = (
        "import sys, ai_flow, ai_flow.executor, ai_flow.runtime\n"
        "from ai_flow.cli import cli\n"
        "try:\n"
        "    cli(['worker', 'status'], prog_name='aiflow')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(str(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('celery', 'kombu', 'redis', 'amqp', 'billiard'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"AIFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not running" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"
