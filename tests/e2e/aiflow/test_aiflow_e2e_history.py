"""The history checker: two highly available AIFlow servers and two Celery workers on
test hosts, a workload of 2,000+ events, and SIGKILLs throughout; afterwards the history
read back from durable state must be exactly-once.

Hosts (network namespaces with their own host names, tests/netns_hosts.py): s1 and s2
run `aiflow server start` on one PostgreSQL database (reached through a forwarder on
the bridge: PostgreSQL listens on loopback only), w1 and w2 run `aiflow worker start`.
On this side of the bridge: the notification server (`notification server start`, a
child process so it can be killed), a private Redis broker and an S3 server (moto) for
the blobs. The test talks to the servers with `ai_flow.ops` over both addresses.

Workload (one workflow execution): two counting conditions (each counts every event of
its key in a ValueState; a task starts when the count reaches N, an overshoot task at
N+1 must never start), event-started tasks (one event each), three status chains
(b after a's SUCCESS, c after b's), and "victim" tasks the test starts in order to kill
the worker that runs them. Every task retries (a killed try is failed and retried).

Faults are driven by progress, never by sleeps: the active server is SIGKILLed each time
the scheduler has committed another ~300 counted events (6 times; it restarts as the
standby once the other server holds the lease), a worker's process group is SIGKILLed
while it runs a victim (3 times; then restarted), and the notification server once while
events are being sent (restarted on its port and database; the sender resends with the
same idempotency ids).

Tries on a killed worker fail after task_heartbeat_timeout (12 s), a message a killed
worker had taken but not started after task_queued_timeout (30 s); both are retried.
Tasks are shorter than the heartbeat timeout and retry 3 times, so the history holds
whether or not a try's heartbeats fail over between servers (they do since the af_server
rows; before, the new leader failed and retried what the killed one had launched).
The checks themselves are in history_checker.py.
"""

from __future__ import annotations

import bisect
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_checker import (  # noqa: E402
    Expected,
    History,
    TaskRun,
    check,
    read_ledger,
    summary,
    try_statuses,
)
from netns_hosts import TcpForwarder, TestHost, TestNetwork, require_netns  # noqa: E402

from ai_flow import metadata, ops  # noqa: E402
from ai_flow.metadata import lease, read_session  # noqa: E402
from ai_flow.model.internal.events import TASK_STATUS_EVENT_KEY_PREFIX  # noqa: E402
from notification_service import storage as ns_storage  # noqa: E402
from notification_service.client import NotificationClient, NotificationError  # noqa: E402
from notification_service.util.environment import is_ci  # noqa: E402

# Not the subnet of test_aiflow_e2e_test_hosts.py: both may run at once.
SUBNET = "10.214.0"
RPC_PORT, INTERNAL_PORT = 50051, 50000  # each server host has its own ports
QUEUE = "history"
HEARTBEAT_TIMEOUT = 12
QUEUED_TIMEOUT = 30
RETRIES = 3
COUNTERS = {"count_a": 1100, "count_b": 900}  # key -> events sent (2,000 counted)
EVENT_TASKS = 24  # ev0..ev23, each started by its own event go<i>
CHAINS = 3
SERVER_KILLS_AT = (300, 600, 900, 1200, 1500, 1800)  # counted events scheduled
WORKER_KILLS_AT = (450, 1050, 1650)
NS_KILL_AT = 1150  # counted events sent
VICTIM_SECONDS = 8  # long enough to be killed mid-run, shorter than the heartbeat timeout
SETTLE_TIMEOUT = 240.0

WORKFLOW = """
import shlex

from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.state import ValueStateDescriptor
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

LEDGER = shlex.quote(__LEDGER__)


class CountCondition(Condition):
    def __init__(self, expect_event_keys, target):
        super().__init__(expect_event_keys)
        self.target = target

    def is_met(self, event, context):
        state = context.get_state(ValueStateDescriptor('count'))
        count = (state.value() or 0) + 1
        state.update(count)
        return count == self.target


def task(name, seconds):
    # The ledger: what user code did, for the checker only (no AIFlow part reads it).
    note = 'echo "{} $HOSTNAME $AIFLOW_TASK_CONTEXT" >> ' + LEDGER
    command = f"{note.format('start')}; sleep {seconds}; {note.format('end')}"
    return BashOperator(name=name, bash_command=command, retries=__RETRIES__)


with Workflow(name='history') as workflow:
    for key, n in __COUNTERS__.items():
        task(f'counted_{key}', 1).action_on_condition(
            TaskAction.START, CountCondition([key], n))
        task(f'over_{key}', 0.1).action_on_condition(
            TaskAction.START, CountCondition([key], n + 1))
    for i in range(__EVENT_TASKS__):
        task(f'ev{i}', 3 if i % 4 == 0 else 0.2).action_on_event_received(
            TaskAction.START, f'go{i}')
    for j in range(__VICTIMS__):
        task(f'victim{j}', __VICTIM_SECONDS__).action_on_event_received(
            TaskAction.START, f'victim{j}')
    for k in range(__CHAINS__):
        a, b, c = (task(f'chain{k}_{x}', 1) for x in 'abc')
        a.action_on_event_received(TaskAction.START, f'chain{k}')
        b.start_after(a)
        c.start_after(b)
"""


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s: {what}")
        time.sleep(0.1)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _exe(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AIFLOW_HOME", "NOTIFICATION_HOME")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def _log_has(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(errors="replace")
    except FileNotFoundError:
        return False


class Daemon:
    """One server or worker: a foreground CLI process, killed by process group."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen[bytes]],
                 ready: Callable[[], bool]) -> None:  # fmt: skip
        self.name = name
        self._start = start
        self._ready = ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self, timeout: float = 120.0) -> None:
        self.proc = self._start()
        _wait(lambda: self._ready() or self.proc.poll() is not None, timeout,  # type: ignore[union-attr]
              f"{self.name} to start")  # fmt: skip
        assert self.proc.poll() is None, f"{self.name} exited with {self.proc.returncode}"

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} is not running"
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(30)


class Sender(threading.Thread):
    """Sends the workload's events in order, up to `allowed` counted events; resends an
    event with the same idempotency id until the notification server takes it."""

    def __init__(self, uri: str, plan: list[tuple[str, str]]) -> None:
        super().__init__(name="history-sender", daemon=True)
        self.client = NotificationClient(uri, namespace="default", retry_seconds=3.0)
        self.plan = plan
        self.allowed = 0
        self.counted_offsets: list[int] = []  # offsets of the counted events sent, in order
        self.sent: dict[str, int] = {}
        self.retries = 0  # sends the client gave up on (resent with the same id)
        self.slowest = 0.0  # seconds of the longest send: one spans the ns restart
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._halt = threading.Event()
        self._rng = random.Random(20261201)

    def send(self, key: str, value: str, ident: str) -> int:
        began = time.monotonic()
        deadline = began + 120
        while True:
            try:
                offset = self.client.send_event(key, value, idempotency_id=ident).offset
                assert offset is not None
                self.slowest = max(self.slowest, time.monotonic() - began)
                return offset
            except NotificationError:
                self.retries += 1
                if time.monotonic() > deadline or self._halt.is_set():
                    raise
                time.sleep(0.2)

    def run(self) -> None:
        try:
            for index, (key, value) in enumerate(self.plan):
                counted = key in COUNTERS
                while counted and len(self.counted_offsets) >= self.allowed:
                    if self._halt.wait(0.02):
                        return
                offset = self.send(key, value, f"history:{index}")
                if counted:
                    self.counted_offsets.append(offset)
                self.sent[key] = self.sent.get(key, 0) + 1
                if self._rng.random() < 0.1:  # bursts, and pauses between them
                    time.sleep(self._rng.uniform(0.01, 0.05))
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            self.error = exc
        finally:
            self.done.set()

    def close(self) -> None:
        self._halt.set()
        self.join(30)
        self.client.close()


def _plan() -> list[tuple[str, str]]:
    """The counted events in a random interleaving, with the start events spread over."""
    rng = random.Random(7)
    counted = [key for key, n in COUNTERS.items() for _ in range(n)]
    rng.shuffle(counted)
    plan = [(key, str(i)) for i, key in enumerate(counted)]
    starts = [f"go{i}" for i in range(EVENT_TASKS)] + [f"chain{k}" for k in range(CHAINS)]
    step = len(plan) // (len(starts) + 1)
    for n, key in enumerate(starts):
        plan.insert((n + 1) * step + n, (key, "go"))
    return plan


class Cluster:
    """Everything of one run; `faults` collects what was done to it."""

    def __init__(self, net: TestNetwork, tmp: Path, postgres_uri: str) -> None:
        self.net = net
        self.tmp = tmp
        self.gateway = net.gateway
        self.postgres_uri = postgres_uri
        self.engine = metadata.make_engine(postgres_uri)
        self.factory = metadata.session_factory(self.engine)
        self.ledger = tmp / "ledger"
        self.faults: dict[str, Any] = {
            "failovers": [], "resumed": [], "worker_victims": [], "orphans": [],
        }  # fmt: skip
        self.servers: list[Daemon] = []
        self.workers: list[Daemon] = []
        self.hosts: dict[str, TestHost] = {}
        self.ns: Daemon | None = None

    # Notification server (this side of the bridge)

    def start_ns(self, port: int) -> None:
        home = self.tmp / "ns_home"
        home.mkdir()
        config = {"server_port": port, "host": self.gateway, "db_uri": f"sqlite:///{home}/ns.db"}
        (home / "notification_server.yaml").write_text(yaml.safe_dump(config))
        engine = ns_storage.make_engine(config["db_uri"])
        ns_storage.upgrade(engine)
        engine.dispose()
        self.ns_uri = f"{self.gateway}:{port}"

        def start() -> subprocess.Popen[bytes]:
            with open(home / "ns.out", "ab") as out:
                return subprocess.Popen(
                    [_exe("notification"), "server", "start"],
                    env=_env(NOTIFICATION_HOME=str(home)),
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip

        self.ns = Daemon("notification server", start, lambda: _port_open(self.gateway, port))
        self.ns.start()

    # AIFlow servers and workers (on test hosts)

    def add_server(self, label: str, common: dict[str, Any], blob: dict[str, Any]) -> None:
        host = self.net.add_host(label, hostname=label)
        self.hosts[label] = host
        home = self.tmp / f"{label}_home"
        home.mkdir()
        config = {
            **common,
            "log_dir": str(home / "logs"),
            "host": host.address,
            "rpc_port": RPC_PORT,
            "internal_rpc_port": INTERNAL_PORT,
            "internal_rpc_advertised_address": f"{host.address}:{INTERNAL_PORT}",
        }
        (home / "aiflow_server.yaml").write_text(yaml.safe_dump(config))
        (home / "aiflow_client.yaml").write_text(yaml.safe_dump({"blob_manager": blob}))
        log = home / "server.out"
        argv = [_exe("aiflow"), "server", "start"]
        daemon = Daemon(
            label,
            lambda: host.popen(argv, env=_env(AIFLOW_HOME=str(home)), log=log),
            lambda: _log_has(log, "AIFlow server started.") and _port_open(host.address, RPC_PORT),
        )
        self.servers.append(daemon)

    def add_worker(self, label: str, broker: str) -> None:
        host = self.net.add_host(label, hostname=label)
        self.hosts[label] = host
        home = self.tmp / f"{label}_home"
        home.mkdir()
        config = {
            "celery_broker_url": broker,
            "celery_options": {"task_default_queue": QUEUE},
            "log_dir": str(home / "logs"),
        }
        (home / "aiflow_server.yaml").write_text(yaml.safe_dump(config))
        log = home / "worker.out"
        argv = [_exe("aiflow"), "worker", "start", "--queues", QUEUE, "--concurrency", "2"]
        daemon = Daemon(
            label,
            lambda: host.popen(argv, env=_env(AIFLOW_HOME=str(home)), log=log),
            # Each start appends to the log: count the ready lines of this start.
            lambda: self._ready_count(log) > self._worker_starts(label),
        )
        self.workers.append(daemon)

    def _ready_count(self, log: Path) -> int:
        try:
            return log.read_text(errors="replace").count("AIFlow worker ready.")
        except FileNotFoundError:
            return 0

    def _worker_starts(self, label: str) -> int:
        worker = next(w for w in self.workers if w.name == label)
        return worker.kills

    # Observations (from the database, by the test's own connection)

    def holder(self) -> tuple[str, int] | None:
        """(host name, pid) of the live lease owner."""
        with read_session(self.factory) as session:
            held = lease.holder(session)
        if not held.live or held.owner is None:
            return None
        name, pid, _ = held.owner.split(":", 2)
        return name, int(pid)

    def scheduler_offset(self) -> int:
        with read_session(self.factory) as session:
            return metadata.offsets.get_offset(session)

    # Faults

    def kill_leader(self) -> None:
        held = _wait(self.holder, 60, "a server holds the lease")
        leader = next(s for s in self.servers if s.name == held[0])
        assert leader.proc is not None and leader.proc.pid == held[1], (held, leader.proc)
        offset = self.scheduler_offset()
        killed_at = time.monotonic()
        leader.kill()
        _wait(lambda: (h := self.holder()) is not None and h[0] != leader.name, 60,
              "the standby takes the lease")  # fmt: skip
        self.faults["failovers"].append(round(time.monotonic() - killed_at, 2))
        _wait(lambda: self.scheduler_offset() > offset, 60, "scheduling resumes")
        self.faults["resumed"].append(round(time.monotonic() - killed_at, 2))
        leader.start()  # back as the standby

    def kill_worker_running(self, victim: str, sender: Sender) -> None:
        """Start `victim`, then SIGKILL the process group of the worker that runs it."""
        sender.send(victim, "go", f"history:{victim}")
        sender.sent[victim] = 1

        def started() -> str | None:
            lines = [x for x in read_ledger(self.ledger) if x.task_name == victim]
            return lines[0].host if lines else None

        host = _wait(started, 120, f"{victim} runs on a worker")
        worker = next(w for w in self.workers if w.name == host)
        worker.kill()
        self.faults["worker_victims"].append(f"{victim}@{host}")
        # The pool processes are gone with the group; the runtime follows them
        # (PR_SET_PDEATHSIG), and the try's sweeper what the runtime spawned. Whatever
        # still runs in the host once both are gone was left behind.
        ns_host = self.hosts[host]
        marks = ("ai_flow.runtime", "aiflow-try-sweeper")
        _wait(lambda: not any(m in _cmdline(p) for p in _live(ns_host) for m in marks), 30,
              "the killed worker's task runtimes and sweepers end")  # fmt: skip
        # What they killed is gone in milliseconds; a task left behind (a victim sleeps
        # 8 s) is still there after this bounded wait.
        try:
            _wait(lambda: not _live(ns_host), 3, "the killed processes are gone")
        except AssertionError:
            self.faults["orphans"].append([_cmdline(p)[:120] for p in _live(ns_host)])
        worker.start()

    def kill_ns(self) -> None:
        assert self.ns is not None
        self.ns.kill()
        self.ns.start()

    def close(self) -> None:
        for daemon in [*self.servers, *self.workers]:
            daemon.stop()
        if self.ns is not None:
            self.ns.stop()
        self.engine.dispose()


def _live(host: TestHost) -> list[int]:
    """The processes running in `host`, not counting zombies (reaped at any moment)."""
    live = []
    for pid in host.pids():
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                live.append(pid)
        except psutil.Error:
            pass
    return live


def _cmdline(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def _gateway_uri(postgres_uri: str, gateway: str, port: int) -> str:
    return postgres_uri.replace("127.0.0.1:5432", f"{gateway}:{port}")


@pytest.fixture
def network() -> Iterator[TestNetwork]:
    require_netns()
    with TestNetwork("afy", subnet=SUBNET) as net:
        yield net


def _need_celery() -> None:
    try:
        import celery  # noqa: F401
        import moto  # noqa: F401
    except ImportError as exc:
        if is_ci():
            pytest.fail(f"{exc} (required when CI=true)")
        pytest.skip(str(exc))


@pytest.mark.postgres
def test_history_is_exactly_once_across_kills_of_servers_workers_and_notification(
    network: TestNetwork, tmp_path: Path, postgres_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need_celery()
    import boto3
    from moto.server import ThreadedMotoServer

    began = time.monotonic()
    gateway = network.gateway
    metadata_engine = metadata.make_engine(postgres_uri)
    metadata.upgrade(metadata_engine)
    metadata_engine.dispose()

    redis_port = _free_port(gateway)
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", gateway, "--save", "",
         "--appendonly", "no", "--protected-mode", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 request
    moto = ThreadedMotoServer(ip_address=gateway, port=0)
    moto.start()
    s3_url = f"http://{gateway}:{moto._server.server_port}"  # noqa: SLF001
    boto3.client(
        "s3", endpoint_url=s3_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    ).create_bucket(Bucket="aiflow")  # fmt: skip
    blob = {
        "blob_manager_class": "ai_flow.blob_manager.impl.s3_blob_manager.S3BlobManager",
        "blob_manager_config": {
            "bucket": "aiflow", "root_directory": "blobs", "endpoint_url": s3_url,
            "region": "us-east-1", "access_key_id": "test", "access_key_secret": "test",
        },
    }  # fmt: skip
    forwarder = TcpForwarder(gateway, ("127.0.0.1", 5432)).__enter__()
    cluster = Cluster(network, tmp_path, postgres_uri)
    sender: Sender | None = None
    try:
        _wait(lambda: _port_open(gateway, redis_port), 30, "redis serves")
        cluster.start_ns(_free_port(gateway))
        broker = f"redis://{gateway}:{redis_port}/0"
        common = {
            "metadata_backend_uri": _gateway_uri(postgres_uri, gateway, forwarder.port),
            "notification_server_uri": cluster.ns_uri,
            "task_executor": "celery",
            "celery_broker_url": broker,
            "celery_options": {"task_default_queue": QUEUE},
            "ha_lease_seconds": 3,
            "task_heartbeat_interval": 1,
            "task_heartbeat_timeout": HEARTBEAT_TIMEOUT,
            "task_executor_heartbeat_check_interval": 1,
            # A try whose message a killed worker had taken but not started is lost
            # until the broker's visibility timeout (an hour): it fails after this and
            # is retried. Longer than any queueing this workload has.
            "task_queued_timeout": QUEUED_TIMEOUT,
            "wait_for_server_started_timeout": 30,
        }
        for label in ("s1", "s2"):
            cluster.add_server(label, common, blob)
        for label in ("w1", "w2"):
            cluster.add_worker(label, broker)
        for daemon in [*cluster.servers, *cluster.workers]:
            daemon.start()

        client_home = tmp_path / "client_home"
        client_home.mkdir()
        addresses = ",".join(f"{cluster.hosts[s].address}:{RPC_PORT}" for s in ("s1", "s2"))
        (client_home / "aiflow_client.yaml").write_text(
            yaml.safe_dump({"server_address": addresses, "blob_manager": blob})
        )
        monkeypatch.setenv("AIFLOW_HOME", str(client_home))
        ops.set_server_address(addresses)
        source = tmp_path / "history.py"
        victims = [f"victim{j}" for j in range(len(WORKER_KILLS_AT))]
        source.write_text(
            WORKFLOW.replace("__LEDGER__", repr(str(cluster.ledger)))
            .replace("__RETRIES__", str(RETRIES))
            .replace("__COUNTERS__", repr(COUNTERS))
            .replace("__EVENT_TASKS__", str(EVENT_TASKS))
            .replace("__VICTIMS__", str(len(victims)))
            .replace("__VICTIM_SECONDS__", str(VICTIM_SECONDS))
            .replace("__CHAINS__", str(CHAINS))
        )
        ops.upload_workflows(str(source))
        execution_id = ops.start_workflow_execution("history", "default")

        plan = _plan()
        sender = Sender(cluster.ns_uri, plan)
        sender.start()

        def scheduled() -> int:
            return bisect.bisect_right(sender.counted_offsets, cluster.scheduler_offset())

        faults = sorted(
            [(at, "server") for at in SERVER_KILLS_AT]
            + [(at, "worker") for at in WORKER_KILLS_AT]
            + [(NS_KILL_AT, "ns")]
        )
        for at, kind in faults:
            if kind == "ns":
                # Killed while events are being sent: the sender must retry across it.
                sender.allowed = at + 300
                _wait(lambda a=at: len(sender.counted_offsets) >= a or sender.done.is_set(),
                      120, f"{at} counted events sent")  # fmt: skip
                cluster.kill_ns()
                continue
            # Sent ahead of the scheduler, so the kill lands inside the stream.
            sender.allowed = at + 150
            _wait(lambda a=at: scheduled() >= a or sender.done.is_set(), 180,
                  f"{at} counted events scheduled")  # fmt: skip
            assert sender.error is None, sender.error
            if kind == "server":
                cluster.kill_leader()
            else:
                cluster.kill_worker_running(victims.pop(0), sender)
        sender.allowed = sum(COUNTERS.values())
        _wait(sender.done.is_set, 180, "every event sent")
        assert sender.error is None, sender.error
        cluster.faults.update(
            server_kills=sum(s.kills for s in cluster.servers),
            worker_kills=sum(w.kills for w in cluster.workers),
            ns_kills=cluster.ns.kills if cluster.ns else 0,
            send_retries=sender.retries,
            slowest_send=round(sender.slowest, 2),
        )

        expected = Expected(
            counters={
                **{f"counted_{k}#0": n for k, n in COUNTERS.items()},
                **{f"over_{k}#0": n for k, n in COUNTERS.items()},
            },
            once=[f"counted_{k}" for k in COUNTERS]
            + [f"ev{i}" for i in range(EVENT_TASKS)]
            + [f"victim{j}" for j in range(len(WORKER_KILLS_AT))]
            + [f"chain{k}_{x}" for k in range(CHAINS) for x in "abc"],
            never=[f"over_{k}" for k in COUNTERS],
            chains=[tuple(f"chain{k}_{x}" for x in "abc") for k in range(CHAINS)],
            sent=dict(sender.sent),
        )
        history = _settled_history(cluster, execution_id, expected)
        # Every try is over: no task process may still run on a worker host.
        workers_hosts = [cluster.hosts[w.name] for w in cluster.workers]
        _wait(lambda: not [p for h in workers_hosts for p in _live(h)
                           if "ai_flow.runtime" in _cmdline(p)], 60,
              "no task process runs once every try is over")  # fmt: skip
        cluster.faults["seconds"] = round(time.monotonic() - began, 1)
        history.faults = cluster.faults
        report = summary(history, expected)
        print(report)
        problems = check(history, expected)
        assert not problems, "\n".join([*problems, report, _tails(cluster)])
        assert cluster.faults["server_kills"] >= 5
        assert cluster.faults["worker_kills"] >= 3
        assert cluster.faults["ns_kills"] == 1
        assert sum(sender.sent.values()) >= 2000
    finally:
        ops.set_server_address(None)
        if sender is not None:
            sender.close()
        cluster.close()
        forwarder.__exit__(None, None, None)
        moto.stop()
        redis.kill()
        redis.wait(10)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _settled_history(cluster: Cluster, execution_id: int, expected: Expected) -> History:
    """Wait until every expected task ran to its end, nothing runs and the scheduler has
    processed every event stored; then read the history back."""
    client = NotificationClient(cluster.ns_uri, retry_seconds=30.0)
    wanted = set(expected.once)
    try:

        def settled() -> bool:
            runs = ops.list_task_executions(execution_id)
            done = {r.task_name for r in runs if r.status == "SUCCESS"}
            busy = [r for r in runs if r.status not in ("SUCCESS", "FAILED", "STOPPED")]
            if not wanted <= done or busy:
                return False
            return cluster.scheduler_offset() >= client.get_latest_offset()

        try:
            _wait(settled, SETTLE_TIMEOUT, "every task ran and the scheduler caught up")
        except AssertionError:
            runs = ops.list_task_executions(execution_id)
            missing = sorted(wanted - {r.task_name for r in runs if r.status == "SUCCESS"})
            raise AssertionError(
                f"not settled; missing {missing}; runs "
                f"{[(r.task_name, r.try_number, r.status) for r in runs]}\n{_tails(cluster)}"
            ) from None
        # Once more after a heartbeat timeout: a late decision would show now.
        quiet_until = time.monotonic() + HEARTBEAT_TIMEOUT
        _wait(lambda: time.monotonic() > quiet_until and settled(), SETTLE_TIMEOUT,
              "still settled")  # fmt: skip
        runs = [
            TaskRun(r.id, r.task_name, r.sequence_number, r.try_number, r.status, r.host)
            for r in ops.list_task_executions(execution_id)
        ]
        events = client.list_events(key_prefixes=[TASK_STATUS_EVENT_KEY_PREFIX], limit=100_000)
        stored = {key: client.count_events(key=key)[0] for key in expected.sent}
    finally:
        client.close()
    counters: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    with read_session(cluster.factory) as session:
        for scope in expected.counters:
            states = metadata.rule_state.scope_states(session, scope, execution_id=execution_id)
            counters[scope] = states.get("count")
            errors[scope] = states.get("__error__")
    return History(runs, try_statuses(events), read_ledger(cluster.ledger), counters, errors,
                   stored)  # fmt: skip


def _tails(cluster: Cluster, lines: int = 30) -> str:
    out = []
    for path in sorted(cluster.tmp.glob("*_home/*.out")):
        text = path.read_text(errors="replace").splitlines()[-lines:]
        out.append(f"--- {path.relative_to(cluster.tmp)}\n" + "\n".join(text))
    return "\n".join(out)
