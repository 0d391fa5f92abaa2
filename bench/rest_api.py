"""REST API: list latency over many workflow executions, and the delay from an event
being stored to a real browser receiving it over the SSE stream.

Both servers in child processes on SQLite. A workflow whose task waits for an event
nobody sends gets N executions (10,000; 2,000 with --quick), all RUNNING. Then:
GET /api/v1/namespaces/default/workflows/listing/executions at random offsets with
limit 100 and limit 1000 (a keep-alive client, `total_entries` included); and, in
Debian's chromium driven by Playwright (skipped with a note when /usr/bin/chromium is
missing), an EventSource on /api/v1/events/stream while events are sent one by one:
the delay is the browser's Date.now() on arrival minus the event's create_time (one
host, one clock).

Usage: python bench/rest_api.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import aiflow_stack, free_port, percentile, print_table, upload  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
WORKFLOW = """
from ai_flow.model.action import TaskAction
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name="listing") as w:
    t = BashOperator(name="t", bash_command="true")
    t.action_on_event_received(action=TaskAction.START, event_key="never-sent")
"""
LISTEN = """
(url) => {
    window.arrivals = [];
    const source = new EventSource(url);
    source.addEventListener("event", (m) => {
        const e = JSON.parse(m.data);
        window.arrivals.push([e.offset, e.create_time, Date.now()]);
    });
    return new Promise((ok) => { source.onopen = () => ok(true); });
}
"""


def _start_executions(count: int) -> None:
    from ai_flow import ops

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: ops.start_workflow_execution("listing"), range(count)))


def bench_lists(base: str, total: int) -> list[list[str]]:
    import httpx

    rows = []
    path = "/api/v1/namespaces/default/workflows/listing/executions"
    with httpx.Client(base_url=base, timeout=60) as client:
        assert client.get(path, params={"limit": 1}).json()["total_entries"] == total
        for limit, requests in ((100, 200), (1000, 30)):
            times = []
            for _ in range(requests):
                offset = random.randrange(0, max(1, total - limit))
                began = time.perf_counter()
                page = client.get(path, params={"limit": limit, "offset": offset})
                times.append((time.perf_counter() - began) * 1000)
                assert page.status_code == 200 and len(page.json()["workflow_executions"]) == limit
            rows.append(
                [
                    f"list {total:,} executions, limit {limit} (ms)",
                    f"{percentile(times, 50):.1f}",
                    f"{percentile(times, 99):.1f}",
                ]
            )
    return rows


def bench_sse(base: str, ns_uri: str, events: int) -> list[list[str]]:
    if not CHROMIUM.exists():
        return [["SSE event -> browser (ms)", "skipped: no /usr/bin/chromium", ""]]
    from playwright.sync_api import sync_playwright

    from notification_service.client import NotificationClient

    with sync_playwright() as p, NotificationClient(ns_uri) as client:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{base}/api/v1/health")  # same origin as the stream
            after = client.get_latest_offset()
            page.evaluate(LISTEN, f"/api/v1/events/stream?after={after}")
            for i in range(events):
                client.send_event("bench-sse", str(i))
                time.sleep(0.02)
            deadline = time.monotonic() + 60
            while page.evaluate("window.arrivals.length") < events:
                assert time.monotonic() < deadline, "the browser did not get every event"
                time.sleep(0.05)
            arrivals = page.evaluate("window.arrivals")
        finally:
            browser.close()
    offsets = [a[0] for a in arrivals]
    assert offsets == sorted(set(offsets)) and len(offsets) == events  # in order, once
    delays = [float(received - created) for _, created, received in arrivals]
    return [
        [
            f"SSE event stored -> browser ({events} events) (ms)",
            f"{percentile(delays, 50):.1f}",
            f"{percentile(delays, 99):.1f}",
        ]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 executions, 50 events")
    args = parser.parse_args()
    total, events = (2000, 50) if args.quick else (10_000, 200)
    rest_port = free_port()
    with aiflow_stack("af-rest-bench-", rest_port=rest_port) as stack:
        upload(stack.home, "listing", WORKFLOW)
        began = time.perf_counter()
        _start_executions(total)
        made = time.perf_counter() - began
        base = f"http://127.0.0.1:{rest_port}"
        rows = bench_lists(base, total)
        rows += bench_sse(base, stack.ns_uri, events)
    print_table(
        f"REST API (SQLite; {total:,} executions made in {made:.1f} s through ops)",
        ["measure", "p50", "p99"],
        rows,
    )


if __name__ == "__main__":
    main()
