"""Celery executor benchmarks: both servers in child processes on SQLite, tries published
to a real Redis (127.0.0.1:6379) and run by `aiflow worker start` processes, each with
its own AIFLOW_HOME.

Prints: event -> task command running through Celery (p50/p99), and tries/s of a
fan-out of `true` tasks with one worker, then two (each with --concurrency 2).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import aiflow_stack, percentile, print_table  # noqa: E402
from aiflow_scheduling import bench_event_to_task, bench_fanout  # noqa: E402

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
    tag = uuid.uuid4().hex[:8]
    try:
        with aiflow_stack("af-celery-bench-", task_executor="celery", **_celery(tag)) as stack:
            home = stack.home
            with worker(home / "workers", tag):
                events = bench_event_to_task(stack.ns_uri, home, runs)
                one = width / bench_fanout(home, width, "fan1")
                with worker(home / "workers", tag):
                    two = width / bench_fanout(home, width, "fan2")
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
