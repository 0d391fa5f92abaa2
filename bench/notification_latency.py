"""Send -> listener latency: server in its own process, listener in this process.

Usage: python bench/notification_latency.py [--quick] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from _common import percentile, print_table, server_process, temp_database

from notification_service.client import Event, ListenerProcessor, NotificationClient

P50_TARGET_MS, P99_TARGET_MS = 5.0, 20.0


class Arrivals(ListenerProcessor):
    """Arrival time of each event value."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.done = threading.Event()
        self.expected = 0

    def process(self, events: list[Event]) -> None:
        now = time.perf_counter()
        for event in events:
            self.at[event.value or ""] = now
        if len(self.at) >= self.expected:
            self.done.set()


def measure(uri: str, count: int, pace_s: float) -> list[float]:
    """Latency in ms of `count` events sent one by one every `pace_s` seconds."""
    arrivals = Arrivals()
    arrivals.expected = count
    with NotificationClient(uri) as listener_client, NotificationClient(uri) as sender:
        listener_client.register_listener(arrivals, event_keys=["lat"])
        for i in range(50):  # warm up both connections and the server
            sender.send_event("warmup", str(i))
        time.sleep(0.2)
        sent: dict[str, float] = {}
        for i in range(count):
            sent[str(i)] = time.perf_counter()
            sender.send_event("lat", str(i))
            time.sleep(pace_s)
        arrivals.done.wait(30)
    return [(arrivals.at[v] - t) * 1000 for v, t in sent.items() if v in arrivals.at]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 events instead of 1000")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    count = 200 if args.quick else 1000
    rows = []
    for backend in args.backends.split(","):
        with temp_database(backend) as db_uri, server_process(db_uri) as uri:
            lat = measure(uri, count, pace_s=0.002)
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        verdict = "ok" if p50 <= P50_TARGET_MS and p99 <= P99_TARGET_MS else "MISSED"
        rows.append(
            (
                backend,
                f"{len(lat)}/{count}",
                f"{p50:.2f}",
                f"{p99:.2f}",
                f"{max(lat):.2f}",
                f"{statistics.mean(lat):.2f}",
                verdict,
            )
        )
    print_table(
        "send -> listener latency in ms (send started -> processor called)",
        ["backend", "received", "p50", "p99", "max", "mean", "target"],
        rows,
    )
    print(f"targets: p50 <= {P50_TARGET_MS} ms, p99 <= {P99_TARGET_MS} ms")


if __name__ == "__main__":
    main()
