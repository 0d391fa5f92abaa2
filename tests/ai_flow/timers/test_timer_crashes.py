"""Schedule fires are exactly-once across SIGKILLs of the AIFlow server process."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiflow_servers import free_port, kill_task_processes, prepare_home, wait_until
from sqlalchemy import select

from ai_flow import metadata, ops
from ai_flow.metadata import WorkflowExecutionRow, read_session, write_session

LAUNCHER = Path(__file__).parents[1] / "server" / "server_process.py"

WORKFLOW = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='ticking') as w:
    BashOperator(name='tick', bash_command='true')
"""


class _Process:
    def __init__(self, args: list[str], port: int, log: Path) -> None:
        self.args, self.port, self.log = args, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(LAUNCHER), *self.args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        wait_until(self._ready, 20, f"{self.args[0]} server to listen")

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()[-3000:]
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)


def _executions(factory) -> int:  # noqa: ANN001
    with read_session(factory) as s:
        return len(s.scalars(select(WorkflowExecutionRow.id)).all())


def test_no_schedule_fire_is_lost_or_doubled_across_server_kills(
    tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    home = tmp_path / "aiflow_home"
    ns_db, metadata_uri = f"sqlite:///{tmp_path}/ns.db", f"sqlite:///{home}/aiflow.db"
    prepare_home(home, metadata_uri, ns_db)
    monkeypatch.setenv("AIFLOW_HOME", str(home))
    ns_port, af_port = free_port(), free_port()
    ns = _Process(["notification", ns_db, str(ns_port)], ns_port, tmp_path / "ns.log")
    af = _Process(
        ["aiflow", metadata_uri, str(af_port), f"localhost:{ns_port}", str(home)],
        af_port,
        tmp_path / "aiflow.log",
    )
    engine = metadata.make_engine(metadata_uri)
    factory = metadata.session_factory(engine)
    try:
        ns.start()
        af.start()
        ops.set_server_address(f"localhost:{af_port}")
        path = tmp_path / "ticking.py"
        path.write_text(WORKFLOW)
        ops.upload_workflows(str(path))
        with write_session(factory) as s:
            workflow = metadata.workflows.get_workflow(s, "default", "ticking")
            schedule_id = metadata.schedules.create_schedule(s, workflow.id, "interval@0 0 0 1").id
        rng = random.Random(7)
        kills = 0
        while kills < 6:
            # Driven by progress: each life of the server fires at least once before it is
            # killed, somewhere in the second that follows (before, during or after the
            # next fire's transaction).
            seen = _executions(factory)
            wait_until(lambda n=seen: _executions(factory) > n, 60, "a fire")
            time.sleep(rng.uniform(0.0, 1.0))
            af.stop(signal.SIGKILL)
            kills += 1
            af.start()
        wait_until(lambda n=_executions(factory): _executions(factory) > n, 60, "a last fire")
        af.stop(signal.SIGTERM)
    finally:
        af.stop(signal.SIGKILL)
        ns.stop(signal.SIGTERM)
        kill_task_processes(home)
        ops.set_server_address(None)

    with read_session(factory) as s:
        schedule = metadata.schedules.get_schedule(s, schedule_id)
        fires = [
            e.trigger_info
            for e in s.scalars(select(WorkflowExecutionRow).order_by(WorkflowExecutionRow.id))
        ]
    engine.dispose()
    assert kills >= 6
    assert len(fires) >= kills + 1
    fire_times = [f["fire_time"] for f in fires]
    assert len(set(fire_times)) == len(fire_times), "a fire was doubled"
    assert fire_times == sorted(fire_times)
    # Each execution's recorded next fire is the next execution's fire: none lost.
    for fire, following in zip(fires, fires[1:], strict=False):
        assert following["fire_time"] == fire["next_fire_time"], fires
    assert schedule.last_fire_time == fires[-1]["fire_time"]
    assert schedule.next_fire_time == fires[-1]["next_fire_time"]
