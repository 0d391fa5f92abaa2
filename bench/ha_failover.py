"""AIFlow high availability: how long scheduling is away after SIGKILL of the active server.

Two AIFlow servers and a notification server in child processes, all on one temporary
PostgreSQL database (127.0.0.1:5432), ha_lease_seconds at its default. Every round finds
the lease holder, SIGKILLs it and times (a) until the other server holds a live lease
and (b) until an event sent right after the kill has started its task (RUNNING or
SUCCESS in the database): the failover a user sees. The killed server comes back as a
standby before the next round.

Both servers run on this host, so the standby takes the lease over as soon as it sees
that the holder's process is gone (at its next renewal, every third of the lease),
without waiting for the lease to lapse as a standby on another host has to. The second
table freezes the holder with SIGSTOP instead: its pid stays alive, so the standby must
wait for the lease to lapse, as when the holder's host is gone (then it is SIGKILLed).

Prints: ha_lease_seconds and the p50 / max of both over the rounds, for each way.

Usage: python bench/ha_failover.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import (  # noqa: E402
    aiflow_home,
    percentile,
    print_table,
    server_process,
    start_aiflow_server,
    stop_process,
    temp_database,
    upgrade_metadata,
    upload,
)

STARTED = ("RUNNING", "SUCCESS")


class Server:
    """One AIFlow server child process; its output goes to a log file in the home."""

    def __init__(self, name: str, home: Path, settings: dict[str, object]) -> None:
        self.name, self.home, self.settings = name, home, settings
        self.port: int | None = None  # kept across restarts: ops knows it
        self.proc: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.home / f"aiflow_{self.name}.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc, self.port = start_aiflow_server(
                self.home, self.settings, rpc_port=self.port, log=log
            )

    def check(self) -> None:
        """Raise, with the end of its log, if the server has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"AIFlow server {self.name} exited:\n{tail}")

    def kill(self) -> None:
        """SIGKILL and reap at once (an unreaped zombie still counts as a live pid)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, 30)


def _lease_pid(session) -> int | None:  # noqa: ANN001
    from ai_flow.metadata import lease

    holder = lease.holder(session)
    if not holder.live or holder.owner is None:
        return None
    return int(holder.owner.split(":")[1])  # host:pid:uuid


def _task_status(session, execution_id: int, task: str) -> str | None:  # noqa: ANN001
    from sqlalchemy import select

    from ai_flow.metadata import TaskExecutionRow

    rows = session.scalars(
        select(TaskExecutionRow.status).where(
            TaskExecutionRow.workflow_execution_id == execution_id,
            TaskExecutionRow.task_name == task,
        )
    ).all()
    return rows[-1] if rows else None


def _wait(predicate, timeout: float, what: str):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)
    return value


def run(rounds: int, lease_seconds: float, freeze: bool) -> tuple[list[float], list[float]]:
    """(lease failover times, event -> task started times) in seconds, one a round;
    `freeze`: SIGSTOP the holder instead of SIGKILL."""
    from ai_flow import metadata, ops
    from ai_flow.metadata import read_session
    from notification_service.client import NotificationClient

    lease_times: list[float] = []
    task_times: list[float] = []
    with (
        temp_database("postgres") as db_uri,
        aiflow_home("af-ha-bench-") as home,
        server_process(db_uri) as ns_uri,
    ):
        upgrade_metadata(db_uri)
        engine = metadata.make_engine(db_uri)
        factory = metadata.session_factory(engine)
        settings: dict[str, object] = {
            "metadata_backend_uri": db_uri,
            "notification_server_uri": ns_uri,
            "ha_lease_seconds": lease_seconds,
        }
        servers = [Server(name, home, settings) for name in ("a", "b")]
        client = NotificationClient(ns_uri)
        try:
            for server in servers:
                server.start()
            ops.set_server_address(",".join(f"127.0.0.1:{s.port}" for s in servers))
            upload(
                home,
                "ha",
                f"""
                from ai_flow.model.action import TaskAction
                from ai_flow.model.workflow import Workflow
                from ai_flow.operators.bash import BashOperator
                with Workflow(name="ha") as w:
                    for i in range({rounds}):
                        t = BashOperator(name=f"t{{i}}", bash_command="true")
                        t.action_on_event_received(action=TaskAction.START, event_key=f"go{{i}}")
                """,
            )
            eid = ops.start_workflow_execution("ha")

            def lease_pid() -> int | None:
                with read_session(factory) as session:
                    return _lease_pid(session)

            def succeeded(task: str) -> bool:
                with read_session(factory) as session:
                    return _task_status(session, eid, task) == "SUCCESS"

            for n in range(rounds):
                leader_pid = _wait(lease_pid, 30, "a server holds the lease")
                leader = next(s for s in servers if s.proc and s.proc.pid == leader_pid)
                # The standby renews every third of the lease; kill at a random phase.
                time.sleep(1 + random.random() * lease_seconds / 3)
                for server in servers:
                    server.check()
                killed = time.monotonic()
                if freeze:
                    assert leader.proc is not None
                    leader.proc.send_signal(signal.SIGSTOP)
                else:
                    leader.kill()
                client.send_event(f"go{n}", "")
                took_lease = took_task = None
                deadline = killed + 60
                while took_lease is None or took_task is None:
                    with read_session(factory) as session:
                        now = time.monotonic()
                        if took_lease is None and _lease_pid(session) not in (None, leader_pid):
                            took_lease = now - killed
                        if took_task is None and _task_status(session, eid, f"t{n}") in STARTED:
                            took_task = now - killed
                    if now > deadline:
                        for server in servers:
                            if server is not leader:
                                server.check()
                        raise TimeoutError(f"round {n}: lease {took_lease}, task {took_task}")
                    time.sleep(0.005)
                lease_times.append(took_lease)
                task_times.append(took_task)
                if freeze:
                    leader.kill()  # a stopped process dies of SIGKILL too
                leader.start()  # back as a standby
                _wait(lambda n=n: succeeded(f"t{n}"), 60, f"t{n} succeeded")
        finally:
            client.close()
            ops.set_server_address(None)
            for server in servers:
                server.stop()
            engine.dispose()
    return lease_times, task_times


def main() -> None:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or ""))
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 20")
    args = parser.parse_args()
    from ai_flow.settings import AIFlowServerSettings

    rounds = 5 if args.quick else 20
    lease_seconds = AIFlowServerSettings().ha_lease_seconds

    def row(what: str, values: list[float]) -> list[str]:
        return [what, f"{percentile(values, 50):.2f} s", f"{max(values):.2f} s"]

    for freeze, how in ((False, "SIGKILL"), (True, "SIGSTOP (a host gone: the lease lapses)")):
        lease_times, task_times = run(rounds, lease_seconds, freeze)
        print_table(
            f"AIFlow failover after {how} of the active server "
            f"(2 servers on PostgreSQL, ha_lease_seconds {lease_seconds:g}, {rounds} rounds)",
            ["measure", "p50", "max"],
            [
                row("kill -> other server holds the lease", lease_times),
                row("kill -> event sent after it starts its task", task_times),
            ],
        )


if __name__ == "__main__":
    main()
