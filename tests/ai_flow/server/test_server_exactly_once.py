"""Exactly-once under crashes: the AIFlow server is SIGKILLed and restarted while events flow.

Both servers run as separate processes (server_process.py). Every event must change the
rule state exactly once: a lost event leaves the count below N (the consumer never
starts), a repeated one pushes it past N (the overshoot task starts).
"""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiflow_servers import (
    free_port,
    kill_task_processes,
    prepare_home,
    wait_until,
)

from ai_flow import metadata, ops
from ai_flow.metadata import read_session
from notification_service.client import NotificationClient

LAUNCHER = Path(__file__).with_name("server_process.py")
N = 300
MIN_KILLS = 5

COUNTING = """
from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.state import ValueStateDescriptor
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator


class CountCondition(Condition):
    def __init__(self, expect_event_keys, target):
        super().__init__(expect_event_keys)
        self.target = target

    def is_met(self, event, context):
        state = context.get_state(ValueStateDescriptor('count'))
        count = (state.value() or 0) + 1
        state.update(count)
        return count == self.target


with Workflow(name='counting') as workflow:
    consumer = BashOperator(name='consumer', bash_command='sleep 0.5; echo consumed')
    consumer.action_on_condition(TaskAction.START, CountCondition(['count'], __N__))
    overshoot = BashOperator(name='overshoot', bash_command='echo too many')
    overshoot.action_on_condition(TaskAction.START, CountCondition(['count'], __N__ + 1))
"""


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class ServerProcess:
    """One server child process; output goes to a log file next to the home."""

    def __init__(self, args: list[str], port: int, log: Path) -> None:
        self.args = args
        self.port = port
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 20.0) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(LAUNCHER), *self.args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server {self.args[0]} did not start:\n{self.tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text().splitlines()[-lines:])
        except FileNotFoundError:
            return "<no log>"


@pytest.fixture
def process_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, ServerProcess, ServerProcess]]:
    home = tmp_path / "aiflow_home"
    ns_db = f"sqlite:///{tmp_path}/ns.db"
    metadata_uri = f"sqlite:///{home}/aiflow.db"
    prepare_home(home, metadata_uri, ns_db)
    monkeypatch.setenv("AIFLOW_HOME", str(home))
    ns_port, af_port = free_port(), free_port()
    ns = ServerProcess(["notification", ns_db, str(ns_port)], ns_port, tmp_path / "ns.log")
    af = ServerProcess(
        ["aiflow", metadata_uri, str(af_port), f"localhost:{ns_port}", str(home)],
        af_port,
        tmp_path / "aiflow.log",
    )
    try:
        ns.start()
        af.start()
        ops.set_server_address(f"localhost:{af_port}")
        yield home, ns, af
    finally:
        af.terminate()
        ns.terminate()
        kill_task_processes(home)
        ops.set_server_address(None)


def _scheduler_offset(factory) -> int:  # noqa: ANN001
    with read_session(factory) as session:
        return metadata.offsets.get_offset(session)


def test_every_event_counts_exactly_once_across_server_kills(process_servers) -> None:  # noqa: ANN001
    home, ns, af = process_servers
    path = home.parent / "counting.py"
    path.write_text(COUNTING.replace("__N__", str(N)))
    ops.upload_workflows(str(path))
    execution_id = ops.start_workflow_execution("counting")

    client = NotificationClient(f"localhost:{ns.port}", namespace="default")
    engine = metadata.make_engine(f"sqlite:///{home}/aiflow.db")
    factory = metadata.session_factory(engine)
    sent: list[int] = []
    rng = random.Random(1234)
    kills = 0
    chunk = N // (MIN_KILLS + 1)
    try:
        while len(sent) < N:
            first = len(sent)
            # Bursts make multi-event batches, so kills land inside batch transactions.
            while len(sent) < min(N, first + chunk) or (len(sent) < N and kills >= MIN_KILLS):
                size = min(rng.randint(1, 12), N - len(sent))
                events = client.send_events([("count", str(len(sent) + i)) for i in range(size)])
                sent.extend(e.offset for e in events)
                time.sleep(rng.uniform(0.01, 0.05))
            if kills >= MIN_KILLS:
                break
            # Driven by progress, not by timing: the scheduler has reached this chunk and the
            # next one is not sent yet, so it must resume from an offset inside the stream.
            wait_until(lambda f=first: _scheduler_offset(factory) >= sent[f], 60, "progress")
            af.kill()
            kills += 1
            af.start()
        # One more kill right around the batch that completes the count.
        af.kill()
        kills += 1
        af.start()
    finally:
        client.close()
    assert len(sent) == N
    assert kills >= MIN_KILLS + 1

    try:
        wait_until(lambda: _scheduler_offset(factory) >= sent[-1], 30, "all events scheduled")

        def consumer_done() -> bool:
            runs = ops.list_task_executions(execution_id)
            return any(t.task_name == "consumer" and t.status == "SUCCESS" for t in runs)

        try:
            wait_until(consumer_done, 30, "the consumer to succeed")
        except AssertionError:
            raise AssertionError(f"{ops.list_task_executions(execution_id)}\n{af.tail()}") from None
        # Its status events are scheduled too, so any late decision would be visible.
        latest = NotificationClient(f"localhost:{ns.port}")
        try:
            last = latest.get_latest_offset()
        finally:
            latest.close()
        wait_until(lambda: _scheduler_offset(factory) >= last, 30, "status events scheduled")

        with read_session(factory) as session:
            consumer = metadata.rule_state.scope_states(
                session, "consumer#0", execution_id=execution_id
            )
            overshoot = metadata.rule_state.scope_states(
                session, "overshoot#0", execution_id=execution_id
            )
        consumer_count, overshoot_count = consumer.get("count"), overshoot.get("count")
        errors_state = consumer.get("__error__")
    finally:
        engine.dispose()

    assert (consumer_count, overshoot_count) == (N, N)
    assert errors_state is None
    runs = ops.list_task_executions(execution_id)
    assert [(t.task_name, t.sequence_number, t.status) for t in runs] == [
        ("consumer", 1, "SUCCESS")
    ]
    # The task ran once: one log, one status sequence.
    logs = list((home / "logs" / "counting" / str(execution_id)).glob("*/*.log"))
    assert [p.relative_to(home / "logs").as_posix() for p in logs] == [
        f"counting/{execution_id}/consumer/1.log"
    ]
    assert ops.get_workflow_execution(execution_id).status == "RUNNING"
    # The kills really interrupted the stream: restarts resumed from offsets within it.
    resumed = {
        int(line.rsplit(" ", 1)[1])
        for line in af.log.read_text().splitlines()
        if "scheduler started from event offset" in line
    }
    assert len({o for o in resumed if 0 < o < sent[-1]}) >= MIN_KILLS, sorted(resumed)
