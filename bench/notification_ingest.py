"""Ingest throughput: events/s from 1 and 4 client processes, single sends and batches of 100.

Usage: python bench/notification_ingest.py [--quick] [--backends sqlite,postgres] [--auth]

`--auth` runs every case twice, on a server without tokens and on one with
`auth_tokens` (clients sending a token): the price of access control.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

from _common import print_table, server_process, temp_database

from notification_service.client import NotificationClient

BATCH = 100
TARGETS = {1: 2000, 4: 5000}
TOKEN = "bench-token-0123456789"
GRANTS = [{"name": "bench", "token": TOKEN, "write": ["default"], "read": ["*"]}]


def _worker(
    uri: str, mode: str, count: int, start_at: float, out: mp.Queue, token: str | None
) -> None:
    """Send `count` events (singly or in batches) once `start_at` is reached."""
    with NotificationClient(uri, sender="bench", token=token) as client:
        client.send_events([("warmup", "x")] * 10)
        time.sleep(max(0.0, start_at - time.time()))
        started = time.perf_counter()
        if mode == "single":
            for i in range(count):
                client.send_event("bench", str(i))
        else:
            batch = [("bench", str(i)) for i in range(BATCH)]
            for _ in range(count // BATCH):
                client.send_events(batch)
        out.put((started, time.perf_counter(), count))


def run_case(uri: str, mode: str, clients: int, per_client: int, token: str | None = None) -> float:
    """Aggregate events/s over all client processes, first start to last finish."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 2.0
    procs = [
        ctx.Process(target=_worker, args=(uri, mode, per_client, start_at, out, token))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    first = min(r[0] for r in results)
    last = max(r[1] for r in results)
    return sum(r[2] for r in results) / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events per case")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--auth", action="store_true", help="also with auth_tokens on")
    args = parser.parse_args()
    single_n = 1000 if args.quick else 5000
    batch_n = 5000 if args.quick else 50_000
    rows = []
    auth_modes = (False, True) if args.auth else (False,)
    for backend in args.backends.split(","):
        for auth in auth_modes:
            settings = {"auth_tokens": GRANTS} if auth else {}
            token = TOKEN if auth else None
            label = f"{backend}+auth" if auth else backend
            with temp_database(backend) as db_uri, server_process(db_uri, **settings) as uri:
                for mode, per_client in (("single", single_n), ("batch100", batch_n)):
                    for clients in (1, 4):
                        rate = run_case(uri, mode, clients, per_client, token)
                        target = TARGETS[clients] if mode == "single" else None
                        verdict = "" if target is None else ("ok" if rate >= target else "MISSED")
                        rows.append(
                            (label, mode, clients, per_client * clients, f"{rate:,.0f}", verdict)
                        )
                        print(f"  {label} {mode} x{clients}: {rate:,.0f} events/s", flush=True)
    print_table(
        "notification ingest (server in its own process)",
        ["backend", "call", "clients", "events", "events/s", "target"],
        rows,
    )
    print(f"targets for single sends: >= {TARGETS[1]:,}/s (1 client), >= {TARGETS[4]:,}/s (4)")


if __name__ == "__main__":
    main()
