"""Retries with backoff, execution timeouts and heartbeat timeouts on real task processes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from aiflow_servers import Servers, wait_until

from ai_flow import ops
from ai_flow.runtime._files import read_lock_record

FLAKY = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.status import TaskStatus
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    COUNT = '__COUNT__'
    with Workflow(name='flaky') as w:
        flaky = BashOperator(
            name='flaky',
            bash_command=f'n=$(cat {COUNT} 2>/dev/null || echo 0); n=$((n+1)); '
                         f'echo $n > {COUNT}; date +%s.%N >> {COUNT}.times; [ $n -ge 3 ]',
            retries=2,
        )
        after = BashOperator(name='after', bash_command='echo after')
        after.start_after(flaky)
        on_failed = BashOperator(name='on_failed', bash_command='echo failed')
        on_failed.action_on_task_status(TaskAction.START, {flaky: TaskStatus.FAILED})
"""


def test_task_fails_twice_and_succeeds_on_its_third_try(servers: Servers, tmp_path: Path) -> None:
    count = tmp_path / "count"
    execution_id = servers.run(FLAKY.replace("__COUNT__", str(count)), "flaky")
    servers.wait_tasks(execution_id, {"flaky": ["SUCCESS"], "after": ["SUCCESS"]}, timeout=30)
    runs = {t.task_name: t for t in servers.tasks(execution_id)}
    flaky = ops.get_task_execution(runs["flaky"].id)
    assert (flaky.sequence_number, flaky.try_number) == (1, 3)
    assert count.read_text().strip() == "3"
    # The failed tries were RETRYING, never FAILED, for the rules: no FAILED rule fired.
    servers.wait_scheduled()
    assert "on_failed" not in servers.statuses(execution_id)
    # Each try has its own log section and its own status events (new idempotency ids).
    log = (servers.home / "logs" / "flaky" / str(execution_id) / "flaky" / "1.log").read_text()
    assert "try 3" in log and "try 1" in log


BACKOFF = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='backoff') as w:
        BashOperator(name='always_fails', bash_command='date +%s.%N >> __TIMES__; exit 3',
                     retries=3, retry_delay=0.5, retry_exponential_backoff=True,
                     max_retry_delay=1.5)
"""


def test_retry_delays_back_off_exponentially_up_to_the_cap(
    servers: Servers, tmp_path: Path
) -> None:
    times_file = tmp_path / "times"
    execution_id = servers.run(BACKOFF.replace("__TIMES__", str(times_file)), "backoff")
    servers.wait_execution(execution_id, "FAILED", timeout=30)
    [run] = servers.tasks(execution_id)
    assert (run.status, run.try_number) == ("FAILED", 4)
    assert "exited with code 3" in (run.error or "")
    starts = [float(x) for x in times_file.read_text().split()]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # Delays 0.5, 1.0, then 2.0 capped at 1.5 (plus process start-up and scheduling).
    assert len(gaps) == 3
    for gap, delay in zip(gaps, [0.5, 1.0, 1.5], strict=True):
        assert delay <= gap < delay + 2.5, gaps


TIMEOUTS = """
    import time
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator
    from ai_flow.operators.python import PythonOperator

    def forever():
        time.sleep(100)

    with Workflow(name='timeouts') as w:
        PythonOperator(name='py', python_callable=forever, execution_timeout=1.5)
        # Ignores SIGTERM (the trap is inherited by sleep): only SIGKILL ends it.
        BashOperator(name='stubborn', bash_command="trap '' TERM; sleep 100",
                     execution_timeout=1, retries=1)
"""


def test_execution_timeout_fails_the_task_and_retries_it(servers_factory) -> None:  # noqa: ANN001
    servers = servers_factory(task_stop_timeout=1)
    started = time.monotonic()
    execution_id = servers.run(TIMEOUTS, "timeouts")
    servers.wait_tasks(execution_id, {"py": ["FAILED"], "stubborn": ["FAILED"]}, timeout=40)
    assert time.monotonic() - started < 30
    runs = {t.task_name: t for t in servers.tasks(execution_id)}
    assert runs["py"].error == "timed out after 1.5s"
    assert runs["py"].try_number == 1
    assert runs["stubborn"].error == "timed out after 1s"
    assert runs["stubborn"].try_number == 2  # retried once, timed out again
    servers.wait_execution(execution_id, "FAILED")
    # FAILED is recorded before the process is ended; then nothing of the stubborn
    # command survives its stop timeout (plus the executor's margin).
    wait_until(lambda: not _sleepers("sleep 100"), 15, "the stubborn commands to be killed")


def _sleepers(cmdline: str) -> list[int]:
    import psutil

    return [
        p.pid
        for p in psutil.process_iter(["cmdline", "status"])
        if " ".join(p.info["cmdline"] or []) == cmdline and p.info["status"] != psutil.STATUS_ZOMBIE
    ]


STUCK = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='stuck') as w:
        BashOperator(name='frozen', bash_command='sleep 60')
"""


def test_task_without_heartbeats_is_killed_and_failed(servers_factory) -> None:  # noqa: ANN001
    servers = servers_factory(
        task_heartbeat_timeout=2, task_executor_heartbeat_check_interval=1, task_stop_timeout=0.5
    )
    execution_id = servers.run(STUCK, "stuck")
    servers.wait_tasks(execution_id, {"frozen": ["RUNNING"]})
    control = servers.home / "working_dir" / "stuck" / str(execution_id) / ".aiflow"
    lock = control / "frozen.1.1.lock"  # task, run, try
    pid = read_lock_record(str(lock)).pid
    os.kill(pid, signal.SIGSTOP)  # a hung task: alive, but its heartbeat thread is frozen
    try:
        servers.wait_tasks(execution_id, {"frozen": ["FAILED"]}, timeout=20)
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    [run] = servers.tasks(execution_id)
    assert "no heartbeat" in run.error
    wait_until(lambda: not _alive(pid), 5, "the frozen task to be killed")


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_retry_delay_of_backs_off_and_caps() -> None:
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="w"):
        plain = BashOperator(name="plain", bash_command="true", retry_delay=3)
        backoff = BashOperator(
            name="backoff",
            bash_command="true",
            retry_delay=10,
            retry_exponential_backoff=True,
            max_retry_delay=60,
        )
    assert [plain.retry_delay_of(n) for n in (1, 2, 5)] == [3, 3, 3]
    assert [backoff.retry_delay_of(n) for n in (1, 2, 3, 4, 500)] == [10, 20, 40, 60, 60]
