"""Beyond one machine, on test hosts: the servers on a bridge, two Celery workers each in
its own network namespace with its own home, the broker and an S3 server (the blob
store) reachable only over that network. Nothing crosses by loopback or by file: the
workflow's artifact reaches the workers through S3, tasks report over gRPC. A worker is
SIGKILLed mid-task; its try fails and the retry runs on the other host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ai_flow"))

from aiflow_servers import free_port, prepare_home  # noqa: E402
from netns_hosts import TestHost, TestNetwork, require_netns  # noqa: E402

from ai_flow import ops  # noqa: E402
from ai_flow.server import AIFlowServer  # noqa: E402
from ai_flow.settings import AIFlowServerSettings  # noqa: E402
from notification_service.server import NotificationServer  # noqa: E402
from notification_service.settings import NotificationServerSettings  # noqa: E402

WORKFLOW = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='hosts') as workflow:
    first = BashOperator(name='first', bash_command='cat hosts/helper.txt; hostname -I')
    slow = BashOperator(name='slow', bash_command='hostname -I; sleep 600', retries=1)
"""


def _wait(predicate, timeout: float, what: str):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


@pytest.fixture
def network() -> Iterator[TestNetwork]:
    require_netns()
    with TestNetwork("afh") as net:
        yield net


def _worker(host: TestHost, home: Path, broker: str, queue: str) -> subprocess.Popen[bytes]:
    home.mkdir(parents=True)
    (home / "aiflow_server.yaml").write_text(
        yaml.safe_dump(
            {
                "celery_broker_url": broker,
                "celery_options": {"task_default_queue": queue},
                "log_dir": str(home / "logs"),
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "AIFLOW_HOME"}
    env.update(AIFLOW_HOME=str(home), PYTHONUNBUFFERED="1")
    aiflow = str(Path(sys.executable).parent / "aiflow")
    argv = [aiflow, "worker", "start", "--queues", queue, "--concurrency", "1"]
    return host.popen(argv, env=env, log=home / "worker.out")


def test_workers_on_other_hosts_get_artifacts_through_s3_and_survive_a_kill(
    network: TestNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("celery")
    from moto.server import ThreadedMotoServer

    gateway = network.gateway
    hosts = [network.add_host("w1"), network.add_host("w2")]
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", gateway, "--save", "",
         "--appendonly", "no", "--protected-mode", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    moto = ThreadedMotoServer(ip_address=gateway, port=0)
    moto.start()
    s3_url = f"http://{gateway}:{moto._server.server_port}"  # noqa: SLF001
    import boto3

    boto3.client(
        "s3", endpoint_url=s3_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    ).create_bucket(Bucket="aiflow")  # fmt: skip
    blob = {
        "blob_manager_class": "ai_flow.blob_manager.impl.s3_blob_manager.S3BlobManager",
        "blob_manager_config": {
            "bucket": "aiflow",
            "root_directory": "blobs",
            "endpoint_url": s3_url,
            "region": "us-east-1",
            "access_key_id": "test",
            "access_key_secret": "test",
        },
    }
    home = tmp_path / "server_home"
    ns_db = f"sqlite:///{tmp_path}/ns.db"
    prepare_home(home, f"sqlite:///{home}/aiflow.db", ns_db)
    (home / "aiflow_client.yaml").write_text(yaml.safe_dump({"blob_manager": blob}))
    monkeypatch.setenv("AIFLOW_HOME", str(home))
    ns = NotificationServer(NotificationServerSettings(db_uri=ns_db, server_port=0, host=gateway))
    ns_port = ns.start()
    broker = f"redis://{gateway}:{redis_port}/0"
    queue = "hosts"
    workers: list[subprocess.Popen[bytes]] = []
    server = None
    try:
        server = AIFlowServer(
            AIFlowServerSettings(
                host=gateway,
                rpc_port=0,
                internal_rpc_port=0,
                metadata_backend_uri=f"sqlite:///{home}/aiflow.db",
                notification_server_uri=f"{gateway}:{ns_port}",
                task_executor="celery",
                celery_broker_url=broker,
                celery_options={"task_default_queue": queue},
                task_heartbeat_interval=1,
                task_heartbeat_timeout=8,
                task_executor_heartbeat_check_interval=1,
            ),
            home,
        )
        server.runner.check_interval = 0.3
        port = server.start()
        ops.set_server_address(f"{gateway}:{port}")
        worker_homes = [tmp_path / "w1_home", tmp_path / "w2_home"]
        workers.append(_worker(hosts[0], worker_homes[0], broker, queue))
        _wait(
            lambda: "AIFlow worker ready." in (worker_homes[0] / "worker.out").read_text(),
            60,
            "worker 1 ready",
        )
        source = tmp_path / "hosts.py"
        source.write_text(WORKFLOW)
        artifact = tmp_path / "helper.txt"
        artifact.write_text("an artifact that only S3 carries\n")
        ops.upload_workflows(str(source), [str(artifact)])
        execution_id = ops.start_workflow_execution("hosts", "default")

        def statuses() -> dict[str, tuple[str, int]]:
            return {
                t.task_name: (t.status, t.try_number)
                for t in ops.list_task_executions(execution_id)
            }

        _wait(lambda: statuses().get("first", ("", 0))[0] == "SUCCESS", 120, "first ran")
        _wait(lambda: statuses().get("slow", ("", 0))[0] == "RUNNING", 120, "slow runs")
        logs = worker_homes[0] / "logs" / "hosts" / str(execution_id)
        first_log = (logs / "first" / "1.log").read_text()
        assert "an artifact that only S3 carries" in first_log
        assert hosts[0].address in first_log  # it ran on test host 1
        assert not (home / "working_dir" / "hosts").exists()  # nothing ran on the server

        workers.append(_worker(hosts[1], worker_homes[1], broker, queue))
        _wait(
            lambda: "AIFlow worker ready." in (worker_homes[1] / "worker.out").read_text(),
            60,
            "worker 2 ready",
        )
        os.killpg(workers[0].pid, signal.SIGKILL)  # host 1's worker dies mid-task
        _wait(lambda: statuses()["slow"] == ("RUNNING", 2), 120, "the retry runs")
        retry_log = worker_homes[1] / "logs" / "hosts" / str(execution_id) / "slow" / "1.log"
        _wait(lambda: retry_log.exists() and hosts[1].address in retry_log.read_text(), 60,
              "the retry runs on host 2")  # fmt: skip
        ops.stop_task_execution(execution_id, "slow")
        _wait(lambda: statuses()["slow"][0] == "STOPPED", 60, "slow stopped")
    finally:
        ops.set_server_address(None)
        if server is not None:
            server.stop(grace=0.5)
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        ns.stop(grace=0.5)
        moto.stop()
        redis.kill()
        redis.wait(10)
