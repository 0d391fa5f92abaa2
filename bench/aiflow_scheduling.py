"""AIFlow scheduling benchmarks: both servers in child processes on SQLite.

Prints: event -> task command running (p50/p99), upstream SUCCESS -> downstream
running, 50-task chain and 200-task fan-out wall times, scheduler events/s through a
counting condition, and the idle RSS of both servers.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _common import aiflow_stack, upload, wait_status  # noqa: E402


def _wait_file(path: Path, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, ValueError):
            text = path.read_text().strip()
            if text:
                return float(text)
        time.sleep(0.002)
    raise TimeoutError(path)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bench_event_to_task(ns_uri: str, home: Path, runs: int) -> list[float]:
    from ai_flow import ops
    from notification_service.client import NotificationClient

    mark = home / "mark"
    upload(
        home,
        "ev",
        f"""
        from ai_flow.model.action import TaskAction
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name="ev") as w:
            idle = BashOperator(name="idle", bash_command="sleep 3600")
            t = BashOperator(name="t", bash_command="date +%s.%N > {mark}")
            t.action_on_event_received(action=TaskAction.START, event_key="go")
        """,
    )
    eid = ops.start_workflow_execution("ev")
    client = NotificationClient(ns_uri)
    out = []
    for _ in range(runs):
        mark.unlink(missing_ok=True)
        sent = time.time()
        client.send_event("go", "x")
        out.append(_wait_file(mark) - sent)
        # The run must have finished before the next START can start a new one.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            runs_of_t = [t for t in ops.list_task_executions(eid) if t.task_name == "t"]
            if runs_of_t and runs_of_t[-1].status == "SUCCESS":
                break
            time.sleep(0.01)
    client.close()
    ops.stop_workflow_execution(eid)
    return out


def bench_downstream(home: Path, runs: int) -> list[float]:
    from ai_flow import ops

    a_end, b_start = home / "a_end", home / "b_start"
    upload(
        home,
        "chain2",
        f"""
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name="chain2") as w:
            a = BashOperator(name="a", bash_command="date +%s.%N > {a_end}")
            b = BashOperator(name="b", bash_command="date +%s.%N > {b_start}")
            b.start_after(a)
        """,
    )
    out = []
    for _ in range(runs):
        a_end.unlink(missing_ok=True)
        b_start.unlink(missing_ok=True)
        eid = ops.start_workflow_execution("chain2")
        out.append(_wait_file(b_start) - _wait_file(a_end))
        wait_status(eid)
    return out


def bench_chain(home: Path, length: int) -> float:
    from ai_flow import ops

    upload(
        home,
        "chain",
        f"""
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name="chain") as w:
            prev = None
            for i in range({length}):
                t = BashOperator(name=f"t{{i}}", bash_command="true")
                if prev is not None:
                    t.start_after(prev)
                prev = t
        """,
    )
    start = time.monotonic()
    eid = ops.start_workflow_execution("chain")
    status = wait_status(eid)
    assert status == "SUCCESS", status
    return time.monotonic() - start


def bench_fanout(home: Path, width: int, name: str = "fan") -> float:
    """Wall time of a workflow of `width` independent `true` tasks."""
    from ai_flow import ops

    upload(
        home,
        name,
        f"""
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name="{name}") as w:
            for i in range({width}):
                BashOperator(name=f"t{{i}}", bash_command="true")
        """,
    )
    start = time.monotonic()
    eid = ops.start_workflow_execution(name)
    status = wait_status(eid, timeout=600)
    assert status == "SUCCESS", status
    return time.monotonic() - start


def bench_condition(ns_uri: str, home: Path, events: int) -> float:
    from ai_flow import ops
    from notification_service.client import NotificationClient

    mark = home / "counted"
    upload(
        home,
        "count",
        f"""
        from ai_flow.model.action import TaskAction
        from ai_flow.model.condition import Condition
        from ai_flow.model.state import ValueStateDescriptor
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator

        class CountCondition(Condition):
            def is_met(self, event, context):
                state = context.get_state(ValueStateDescriptor(name="n"))
                n = (state.value() or 0) + 1
                state.update(n)
                return n == {events}

        with Workflow(name="count") as w:
            idle = BashOperator(name="idle", bash_command="sleep 3600")
            t = BashOperator(name="t", bash_command="date +%s.%N > {mark}")
            t.action_on_condition(action=TaskAction.START,
                                  condition=CountCondition(expect_event_keys=["count"]))
        """,
    )
    eid = ops.start_workflow_execution("count")
    client = NotificationClient(ns_uri)
    start = time.time()
    for i in range(0, events, 500):
        client.send_events([("count", str(j)) for j in range(i, min(events, i + 500))])
    done = _wait_file(mark, timeout=600)
    client.close()
    ops.stop_workflow_execution(eid)
    return events / (done - start)


def bench_builtin(ns_uri: str, home: Path, events: int) -> float:
    """Events/s through a built-in rule on every event (START of a task that stays
    alive, so each event is one answer and one skipped START: the decision log's worst
    case per unit of scheduling work)."""
    from ai_flow import ops
    from notification_service.client import NotificationClient

    mark = home / "ticked"
    upload(
        home,
        "tick",
        f"""
        from ai_flow.model.action import TaskAction
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name="tick") as w:
            busy = BashOperator(name="busy", bash_command="sleep 3600")
            busy.action_on_event_received(action=TaskAction.START, event_key="tick")
            t = BashOperator(name="t", bash_command="date +%s.%N > {mark}")
            t.action_on_event_received(action=TaskAction.START, event_key="tock")
        """,
    )
    eid = ops.start_workflow_execution("tick")
    client = NotificationClient(ns_uri)
    start = time.time()
    for i in range(0, events, 500):
        client.send_events([("tick", str(j)) for j in range(i, min(events, i + 500))])
    client.send_event("tock", "end")
    done = _wait_file(mark, timeout=600)
    client.close()
    ops.stop_workflow_execution(eid)
    return events / (done - start)


def compare_decision_log(quick: bool, rounds: int = 3) -> None:
    """Scheduler throughput with the decision log off and on (AIFLOW_DECISION_LOG), in
    alternating fresh stacks (the machine's load drifts): best and median of `rounds`."""
    import os

    events = 2000 if quick else 10000
    rates: dict[str, list[tuple[float, float]]] = {"0": [], "1": []}
    for _ in range(rounds):
        for mode in ("0", "1"):
            os.environ["AIFLOW_DECISION_LOG"] = mode
            with aiflow_stack("af-bench-dl-", local_executor_parallelism=10) as stack:
                time.sleep(1)
                built = bench_builtin(stack.ns_uri, stack.home, events)
                user = bench_condition(stack.ns_uri, stack.home, events)
            rates[mode].append((built, user))
    os.environ.pop("AIFLOW_DECISION_LOG", None)
    print(f"scheduler events/s over {events} events, {rounds} rounds: best (median)")
    print(f"{'':32} {'log off':>16} {'log on':>16} {'cost best (median)':>20}")
    for i, label in enumerate(("built-in rule on every event", "counting user condition")):
        off = [r[i] for r in rates["0"]]
        on = [r[i] for r in rates["1"]]
        best = (1 - max(on) / max(off)) * 100
        median = (1 - statistics.median(on) / statistics.median(off)) * 100
        print(
            f"{label:32} {max(off):>8.0f} ({statistics.median(off):>5.0f}) "
            f"{max(on):>8.0f} ({statistics.median(on):>5.0f}) {best:>10.1f}% ({median:.1f}%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--decision-log",
        action="store_true",
        help="only compare scheduler throughput with the decision log off and on",
    )
    args = parser.parse_args()
    if args.decision_log:
        compare_decision_log(args.quick)
        return
    runs = 10 if args.quick else 50

    with aiflow_stack("af-bench-", local_executor_parallelism=10) as stack:
        ns_uri, home = stack.ns_uri, stack.home
        time.sleep(2)
        rss = [psutil.Process(p).memory_info().rss / 2**20 for p in stack.pids]
        ev = bench_event_to_task(ns_uri, home, runs)
        down = bench_downstream(home, max(5, runs // 5))
        chain = bench_chain(home, 50)
        fan = bench_fanout(home, 50 if args.quick else 200)
        rate = bench_condition(ns_uri, home, 2000 if args.quick else 10000)
    ms = 1000
    print(f"{'measure':44} {'result':>24}")
    print(f"{'idle RSS notification / aiflow server':44} {rss[0]:>10.0f} MB {rss[1]:>8.0f} MB")
    print(
        f"{'event -> task command running p50 / p99':44} "
        f"{_pct(ev, 0.5) * ms:>10.0f} ms {_pct(ev, 0.99) * ms:>8.0f} ms"
    )
    print(
        f"{'task SUCCESS -> downstream running p50/p99':44} "
        f"{_pct(down, 0.5) * ms:>10.0f} ms {_pct(down, 0.99) * ms:>8.0f} ms"
    )
    print(f"{'50-task chain wall time':44} {chain:>13.2f} s")
    print(f"{'fan-out wall time (' + str(50 if args.quick else 200) + ' tasks)':44} {fan:>13.2f} s")
    print(f"{'scheduler events/s (counting condition)':44} {rate:>13.0f} /s")
    print(f"(mean event->task {statistics.mean(ev) * ms:.0f} ms over {len(ev)} runs)")


if __name__ == "__main__":
    main()
