"""Celery executor benchmarks: both servers in child processes on SQLite, tries published
to a real Redis (127.0.0.1:6379) and run by `aiflow worker start` processes, each with
its own AIFLOW_HOME.

Prints: event -> task command running through Celery (p50/p99), and tries/s of a
fan-out of `true` tasks with one worker, then two (each with --concurrency 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import free_port, percentile, print_table  # noqa: E402
from aiflow_scheduling import (  # noqa: E402
    AIFLOW_SERVER,
    NS_SERVER,
    _upload,
    _wait_port,
    _wait_status,
    bench_event_to_task,
)

REDIS_URL = "redis://127.0.0.1:6379/14"
READY = "AIFlow worker ready."


def _celery(tag: str) -> dict[str, object]:
    return {
        "celery_broker_url": REDIS_URL,
        "celery_options": {
            "task_default_queue": f"bench-{tag}",
            "control_exchange": f"bench-{tag}",
            "event_exchange": f"bench-{tag}.events",
        },
    }


@contextlib.contextmanager
def servers(tag: str) -> Iterator[tuple[str, str, Path]]:
    """(notification uri, aiflow address, home) with task_executor: celery."""
    from ai_flow import metadata
    from notification_service.storage import make_engine, upgrade

    home = Path(tempfile.mkdtemp(prefix="af-celery-bench-"))
    os.environ["AIFLOW_HOME"] = str(home)
    ns_uri, af_uri = f"sqlite:///{home}/ns.db", f"sqlite:///{home}/aiflow.db"
    upgrade(make_engine(ns_uri))
    metadata.upgrade(metadata.make_engine(af_uri))
    ns_port, af_port = free_port(), free_port()
    ns = subprocess.Popen(
        [sys.executable, "-c", NS_SERVER, json.dumps({"db_uri": ns_uri, "server_port": ns_port})]
    )
    _wait_port(ns_port)
    settings = {
        "metadata_backend_uri": af_uri,
        "rpc_port": af_port,
        "internal_rpc_port": free_port(),
        "notification_server_uri": f"127.0.0.1:{ns_port}",
        "task_executor": "celery",
        **_celery(tag),
    }
    af = subprocess.Popen(
        [sys.executable, "-c", AIFLOW_SERVER, json.dumps({"settings": settings, "home": str(home)})]
    )
    _wait_port(af_port)
    try:
        yield f"127.0.0.1:{ns_port}", f"127.0.0.1:{af_port}", home
    finally:
        for proc in (af, ns):
            proc.terminate()
            proc.wait(timeout=30)


@contextlib.contextmanager
def worker(root: Path, tag: str, concurrency: int = 2) -> Iterator[None]:
    """`aiflow worker start` in the foreground with its own home."""
    import yaml

    home = root / f"worker-{uuid.uuid4().hex[:6]}"
    home.mkdir(parents=True)
    config = {**_celery(tag), "log_dir": str(home / "logs")}
    (home / "aiflow_server.yaml").write_text(yaml.safe_dump(config))
    out = home / "worker.out"
    aiflow = str(Path(sys.executable).parent / "aiflow")
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [aiflow, "worker", "start", "--concurrency", str(concurrency)],
            env={**os.environ, "AIFLOW_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while READY not in out.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start:\n{out.read_text()}")
        time.sleep(0.05)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)


def bench_fanout(home: Path, name: str, width: int) -> float:
    """Tries per second of a workflow of `width` independent `true` tasks."""
    from ai_flow import ops

    _upload(
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
    status = _wait_status(eid, timeout=600)
    assert status == "SUCCESS", status
    return width / (time.monotonic() - start)


def _cleanup(tag: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{tag}*"):
        client.delete(key)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or ""))
    parser.add_argument("--quick", action="store_true", help="fewer runs (about a minute)")
    args = parser.parse_args()
    runs, width = (10, 40) if args.quick else (50, 200)
    from ai_flow import ops

    tag = uuid.uuid4().hex[:8]
    try:
        with servers(tag) as (ns_uri, af_addr, home):
            ops.set_server_address(af_addr)
            with worker(home.parent / f"{home.name}-workers", tag):
                events = bench_event_to_task(ns_uri, home, runs)
                one = bench_fanout(home, "fan1", width)
                with worker(home.parent / f"{home.name}-workers", tag):
                    two = bench_fanout(home, "fan2", width)
    finally:
        _cleanup(tag)
    ms = 1000
    print_table(
        "Celery executor on Redis (servers on SQLite, workers --concurrency 2)",
        ["measure", "result"],
        [
            [
                f"event -> task command running p50 / p99 ({runs} runs)",
                f"{percentile(events, 50) * ms:.0f} ms / {percentile(events, 99) * ms:.0f} ms",
            ],
            [f"fan-out of {width} tries, one worker", f"{one:.1f} tries/s"],
            [f"fan-out of {width} tries, two workers", f"{two:.1f} tries/s"],
        ],
    )


if __name__ == "__main__":
    main()
