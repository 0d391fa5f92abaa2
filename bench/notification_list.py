"""Listing: store N events with send_events, then page through all and count a filter.

Usage: python bench/notification_list.py [--quick] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import time

from _common import print_table, server_process, temp_database

from notification_service.client import NotificationClient

BATCH = 1000
KEYS = 10


def run(uri: str, total: int) -> list[tuple[str, str, str]]:
    rows = []
    with NotificationClient(uri, sender="bench") as client:
        started = time.perf_counter()
        for start in range(0, total, BATCH):
            client.send_events(
                [(f"key{i % KEYS}", f"value {i}") for i in range(start, start + BATCH)]
            )
        took = time.perf_counter() - started
        rows.append(("store (send_events x1000)", f"{took:.2f}", f"{total / took:,.0f}"))

        started = time.perf_counter()
        events = client.list_events(limit=total * 2)
        took = time.perf_counter() - started
        assert [e.offset for e in events] == list(range(1, total + 1))
        rows.append(("list all (paged)", f"{took:.2f}", f"{total / took:,.0f}"))

        started = time.perf_counter()
        events = client.list_events(key="key3", limit=total)
        took = time.perf_counter() - started
        assert len(events) == total // KEYS
        rows.append(("list key3 (1 in 10)", f"{took:.2f}", f"{len(events) / took:,.0f}"))

        started = time.perf_counter()
        count, _ = client.count_events(key="key3", begin_offset=total // 2)
        took = time.perf_counter() - started
        assert count == total // KEYS // 2
        rows.append(("count key3 after N/2", f"{took * 1000:.1f} ms", "-"))

        started = time.perf_counter()
        count, _ = client.count_events()
        took = time.perf_counter() - started
        assert count == total
        rows.append(("count all", f"{took * 1000:.1f} ms", "-"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20k events instead of 100k")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    total = 20_000 if args.quick else 100_000
    table = []
    for backend in args.backends.split(","):
        with temp_database(backend) as db_uri, server_process(db_uri) as uri:
            for step, took, rate in run(uri, total):
                table.append((backend, step, took, rate))
    print_table(
        f"notification list/count over {total:,} events",
        ["backend", "step", "seconds", "events/s"],
        table,
    )


if __name__ == "__main__":
    main()
