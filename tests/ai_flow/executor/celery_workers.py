"""Real brokers and real `aiflow worker start` processes for the Celery executor tests.

Each test gets its own names on the shared broker (queues, the control and event
exchanges), so runs side by side never see each other's messages or broadcasts; what
they declared is deleted afterwards. Workers run as subprocesses with their own
AIFLOW_HOME; anything they left running (runtimes, what the tasks spawned) is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from notification_service.util.environment import is_ci

#: The Redis database the tests use (names are unique per test within it).
REDIS_DB = 13
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
_SERVICES = {"redis": ("Redis", 6379, REDIS_URL), "rabbitmq": ("RabbitMQ", 5672, RABBITMQ_URL)}
READY = "AIFlow worker ready."


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def need_service(kind: str) -> str:
    """The broker URL; skip without the service on a laptop, fail on CI (CI=true)."""
    name, port, url = _SERVICES[kind]
    if not _reachable(port):
        message = f"{name} is not reachable on 127.0.0.1:{port}"
        if is_ci():
            pytest.fail(message + " (required when CI=true)")
        pytest.skip(message)
    return url


@dataclass
class Broker:
    kind: str
    url: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    def queue(self, name: str = "aiflow") -> str:
        return f"{name}-{self.tag}"

    @property
    def options(self) -> dict[str, Any]:
        return {
            "task_default_queue": self.queue(),
            "control_exchange": f"aiflow-{self.tag}",
            "event_exchange": f"aiflow-{self.tag}.events",
        }

    def server_settings(self) -> dict[str, Any]:
        """The aiflow_server.yaml keys (and AIFlowServerSettings overrides) of the broker."""
        return {"celery_broker_url": self.url, "celery_options": self.options}

    def pending(self, queue: str) -> int:
        """How many messages wait in `queue` (not delivered to any worker)."""
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url)
            try:  # kombu keeps a queue's priorities in keys named after it
                return sum(int(client.llen(k)) for k in client.scan_iter(match=f"{queue}*"))
            finally:
                client.close()
        from kombu import Connection

        with Connection(self.url) as conn:
            channel = conn.channel()
            try:
                return int(channel.queue_declare(queue, passive=True).message_count)
            except Exception:  # noqa: BLE001 - not declared yet: nothing waits
                return 0
            finally:
                channel.close()

    def cleanup(self, queues: list[str]) -> None:
        """Delete what this test declared on the broker."""
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url)
            for key in client.scan_iter(match=f"*{self.tag}*"):
                client.delete(key)
            # Unacknowledged messages of killed workers (restored only after days).
            for name, payload in client.hscan_iter("unacked"):
                if self.tag.encode() in payload:
                    client.hdel("unacked", name)
                    client.zrem("unacked_index", name)
            client.close()
            return
        from kombu import Connection

        with Connection(self.url) as conn:
            for name in [*queues, self.queue()]:
                channel = conn.channel()
                try:
                    channel.queue_delete(name)
                except Exception:  # noqa: BLE001 - never declared
                    pass
                finally:
                    channel.close()
            control = f"aiflow-{self.tag}.pidbox"
            for name in [self.queue(), *queues, control, f"reply.{control}"]:
                channel = conn.channel()
                try:
                    channel.exchange_delete(name)
                except Exception:  # noqa: BLE001 - never declared
                    pass
                finally:
                    channel.close()


def aiflow_exe() -> str:
    local = Path(sys.executable).parent / "aiflow"
    return str(local) if local.exists() else (shutil.which("aiflow") or "aiflow")


def write_worker_home(home: Path, broker: Broker, **extra: Any) -> Path:
    """A worker's AIFLOW_HOME: an aiflow_server.yaml with the broker keys only."""
    home.mkdir(parents=True, exist_ok=True)
    config = {**broker.server_settings(), "log_dir": str(home / "logs"), **extra}
    (home / "aiflow_server.yaml").write_text(yaml.safe_dump(config))
    return home


class Worker:
    """`aiflow worker start` in the foreground, as a subprocess of the test."""

    def __init__(
        self, home: Path, broker: Broker, queues: list[str] | None = None, concurrency: int = 2
    ) -> None:
        self.home = write_worker_home(home, broker)
        self.queues = queues or [broker.queue()]
        self.log_path = home / "worker.out"
        argv = [aiflow_exe(), "worker", "start", "--queues", ",".join(self.queues)]
        argv += ["--concurrency", str(concurrency)]
        env = {k: v for k, v in os.environ.items() if k != "AIFLOW_HOME"}
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                argv,
                env={**env, "AIFLOW_HOME": str(home), "PYTHONUNBUFFERED": "1"},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._known: set[int] = set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 60.0) -> Worker:
        deadline = time.monotonic() + timeout
        while READY not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{self.output()}")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def processes(self) -> list[int]:
        """The worker and everything below it (remembered: they get reparented)."""
        try:
            found = [p.pid for p in psutil.Process(self.pid).children(recursive=True)]
        except psutil.Error:
            found = []
        self._known.update(found)
        return [self.pid, *found]

    def sigkill(self) -> None:
        """SIGKILL the worker's main process only, as the OOM killer or `kill -9` would."""
        self.processes()
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)

    def kill_all(self) -> None:
        pids = set(self.processes()) | self._known
        for pid in pids:
            try:
                proc = psutil.Process(pid)
                descendants = proc.children(recursive=True)
            except psutil.Error:
                continue
            pids |= {p.pid for p in descendants}
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass


class Workers:
    """Starts workers with their own homes under `root`; kills them all at the end."""

    def __init__(self, root: Path, broker: Broker) -> None:
        self.root = root
        self.broker = broker
        self.started: list[Worker] = []

    def start(self, queues: list[str] | None = None, concurrency: int = 2) -> Worker:
        home = self.root / f"worker{len(self.started) + 1}"
        worker = Worker(home, self.broker, queues, concurrency)
        self.started.append(worker)
        return worker.wait_ready()

    def close(self) -> None:
        for worker in self.started:
            worker.kill_all()
        queues = sorted({q for w in self.started for q in w.queues})
        self.broker.cleanup(queues)


def broker_fixture(request: pytest.FixtureRequest) -> Broker:
    kind = request.param
    return Broker(kind, need_service(kind))


def workers_fixture(tmp_path: Path, broker: Broker) -> Iterator[Workers]:
    workers = Workers(tmp_path / "workers", broker)
    yield workers
    workers.close()
