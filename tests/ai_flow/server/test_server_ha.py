"""Several AIFlow servers on one database: every server serves the API, the holder of
the scheduling lease schedules, a standby takes over when it is SIGKILLed, a deposed
server cannot commit (fencing), and SQLite refuses a second server."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiflow_servers import Servers, free_port, kill_task_processes, prepare_home  # noqa: E402
from test_server_exactly_once import ServerProcess  # noqa: E402

from ai_flow import metadata, ops  # noqa: E402
from ai_flow.metadata import lease, read_session, write_session  # noqa: E402
from ai_flow.metadata.lease import LeaseLostError  # noqa: E402
from ai_flow.server import AIFlowServer, ServerStartError  # noqa: E402

WORKFLOW = """
from ai_flow.model.action import TaskAction
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='ha') as workflow:
    for i in range(1, 7):
        task = BashOperator(name=f't{{i}}', bash_command=f'echo ran >> {out}/t{{i}}')
        task.action_on_event_received(TaskAction.START, f'go{{i}}')
    long = BashOperator(name='long', bash_command=f'echo ran >> {out}/long; sleep 600')
    long.action_on_event_received(TaskAction.START, 'golong')
"""
HEARTBEAT_TIMEOUT = 4


def _owner_pid(factory) -> int | None:  # noqa: ANN001
    with read_session(factory) as session:
        holder = lease.holder(session)
    if not holder.live or holder.owner is None:
        return None
    return int(holder.owner.split(":")[1])


def _wait(predicate, timeout: float, what: str):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def two_servers(
    tmp_path: Path, postgres_uri: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, ServerProcess, list[ServerProcess]]]:
    home = tmp_path / "aiflow_home"
    ns_db = f"sqlite:///{tmp_path}/ns.db"
    prepare_home(home, postgres_uri, ns_db)
    monkeypatch.setenv("AIFLOW_HOME", str(home))
    ns_port = free_port()
    ns = ServerProcess(["notification", ns_db, str(ns_port)], ns_port, tmp_path / "ns.log")
    servers = []
    for name in ("a", "b"):
        port = free_port()
        args = ["aiflow", postgres_uri, str(port), f"localhost:{ns_port}", str(home), "0"]
        args.append(
            json.dumps(
                {
                    "task_heartbeat_timeout": HEARTBEAT_TIMEOUT,
                    "task_executor_heartbeat_check_interval": 1,
                }
            )
        )
        servers.append(ServerProcess(args, port, tmp_path / f"aiflow_{name}.log"))
    try:
        ns.start()
        for server in servers:
            server.start()
        ops.set_server_address(",".join(f"localhost:{s.port}" for s in servers))
        yield home, ns, servers
    finally:
        for server in servers:
            server.terminate()
        ns.terminate()
        kill_task_processes(home)
        ops.set_server_address(None)


@pytest.mark.postgres
def test_a_standby_takes_over_within_seconds_and_nothing_is_lost_or_doubled(
    two_servers,
    postgres_uri: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    home, ns, servers = two_servers
    engine = metadata.make_engine(postgres_uri)
    factory = metadata.session_factory(engine)
    out = tmp_path / "out"
    out.mkdir()
    source = tmp_path / "ha.py"
    source.write_text(WORKFLOW.format(out=str(out)))
    ops.upload_workflows(str(source))
    execution_id = ops.start_workflow_execution("ha", "default")
    from notification_service.client import NotificationClient

    client = NotificationClient(f"localhost:{ns.port}")
    try:
        failovers = []
        for round_ in range(1, 4):
            leader_pid = _wait(lambda: _owner_pid(factory), 15, "a server holds the lease")
            leader = next(s for s in servers if s.proc and s.proc.pid == leader_pid)
            for i in (2 * round_ - 1, 2 * round_):
                client.send_event(f"go{i}", "")
            _wait(
                lambda r=round_: all((out / f"t{i}").exists() for i in (2 * r - 1, 2 * r)),
                60,
                f"round {round_}: both tasks ran",
            )
            if round_ == 3:
                break
            killed_at = time.monotonic()
            leader.kill()
            new_pid = _wait(
                lambda old=leader_pid: (p := _owner_pid(factory)) not in (None, old) and p,
                15,
                "a standby took the lease",
            )
            failovers.append(time.monotonic() - killed_at)
            assert new_pid != leader_pid
            leader.start()  # back as a standby
        assert max(failovers) <= 5.0, failovers
        print(f"failover after SIGKILL of the active server: {failovers} s")
        tasks = {t.task_name: t.status for t in ops.list_task_executions(execution_id)}
        for i in range(1, 7):
            assert (out / f"t{i}").read_text() == "ran\n"  # exactly once
        assert len(ops.list_task_executions(execution_id)) == 6, tasks
    finally:
        client.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_try_outlives_the_server_that_launched_it(
    two_servers,
    postgres_uri: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    """Its spec names every live server: after the launching one is SIGKILLed, the
    heartbeats reach the other, which schedules now, so the try is not failed for
    silence; a stop reaches it there too."""
    home, ns, servers = two_servers
    engine = metadata.make_engine(postgres_uri)
    factory = metadata.session_factory(engine)
    out = tmp_path / "out"
    out.mkdir()
    source = tmp_path / "ha.py"
    source.write_text(WORKFLOW.format(out=str(out)))
    ops.upload_workflows(str(source))
    execution_id = ops.start_workflow_execution("ha", "default")
    from notification_service.client import NotificationClient

    client = NotificationClient(f"localhost:{ns.port}")

    def long_try() -> tuple[str, int] | None:
        for t in ops.list_task_executions(execution_id):
            if t.task_name == "long":
                return t.status, t.try_number
        return None

    try:
        leader_pid = _wait(lambda: _owner_pid(factory), 15, "a server holds the lease")
        # The leader has refreshed its peer list since the other server registered.
        _wait(lambda: _leader_knows_its_peer(factory), 30, "the leader knows the standby")
        client.send_event("golong", "")
        _wait(lambda: long_try() == ("RUNNING", 1), 60, "the long task runs")
        leader = next(s for s in servers if s.proc and s.proc.pid == leader_pid)
        leader.kill()
        _wait(
            lambda: (p := _owner_pid(factory)) not in (None, leader_pid) and p,
            15,
            "the other server took the lease",
        )
        te_id = next(t.id for t in ops.list_task_executions(execution_id) if t.task_name == "long")
        with read_session(factory) as session:
            taken_over = metadata.task_executions.get_task_execution(session, te_id)
        since = taken_over.last_heartbeat or 0

        def beats_for_a_while() -> bool:
            with read_session(factory) as session:
                row = metadata.task_executions.get_task_execution(session, te_id)
            return (row.last_heartbeat or 0) > since + 3 * HEARTBEAT_TIMEOUT * 1000

        _wait(beats_for_a_while, 60, "the try's heartbeats reach the new leader's database")
        assert long_try() == ("RUNNING", 1)  # not failed for silence
        assert (out / "long").read_text() == "ran\n"
        ops.stop_task_execution(execution_id, "long")
        _wait(lambda: long_try() == ("STOPPED", 1), 60, "the stop reached the try")
    finally:
        client.close()
        engine.dispose()


def _leader_knows_its_peer(factory) -> bool:  # noqa: ANN001
    """Two refreshes of the leader's row (one lease period each) after the standby's
    row was added: the later one read it."""
    with read_session(factory) as session:
        owner = lease.holder(session).owner
        rows = metadata.servers.live(session, 10_000)
    mine = [r for r in rows if r.owner == owner]
    others = [r for r in rows if r.owner != owner]
    return bool(mine and others) and mine[0].seen > others[0].started + 3000


@pytest.mark.postgres
def test_a_deposed_server_cannot_commit(postgres_uri: str) -> None:
    engine = metadata.make_engine(postgres_uri)
    metadata.upgrade(engine)
    factory = metadata.session_factory(engine)
    with write_session(factory) as s:
        first = lease.acquire_or_renew(s, "a", ttl_ms=200)
        assert first is not None
        assert lease.acquire_or_renew(s, "b", ttl_ms=200) is None  # a's lease is live
    time.sleep(0.3)  # a's lease lapses (database clock)
    with write_session(factory) as s:
        second = lease.acquire_or_renew(s, "b", ttl_ms=10_000)
    assert second == first + 1
    with pytest.raises(LeaseLostError), write_session(factory) as s:
        lease.fence(s, first)
        raise AssertionError("unreachable")  # pragma: no cover
    with write_session(factory) as s:
        lease.fence(s, second)  # the holder's epoch passes
    engine.dispose()


def test_a_second_server_on_one_sqlite_file_is_refused(servers: Servers) -> None:
    second = AIFlowServer(servers.settings(), servers.home)
    try:
        with pytest.raises(ServerStartError, match="uses this SQLite database") as info:
            second.start()
        assert f"pid {__import__('os').getpid()} on {socket.gethostname()}" in str(info.value)
    finally:
        second.stop(grace=0)


def test_ops_fails_over_to_the_next_server(servers: Servers) -> None:
    port = servers.aiflow.port if servers.aiflow else 0
    ops.set_server_address(f"localhost:{free_port()},localhost:{port}")
    assert ops.list_namespaces() is not None  # the first is down: the second answers
