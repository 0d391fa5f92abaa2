"""What a person waits for, measured as a user runs it: both servers started with
`aiflow standalone -d` on the embedded SQLite default, the documented commands timed
through the real console scripts (median of 3).

Prints: `aiflow version`, `notification event send K V`, `aiflow workflow upload FILE`,
`notification server start -d` and `aiflow server start -d` until serving, idle PSS of
both servers (and of the task fork server), and single `send_event` ingest from 1 and 4
client processes with the AIFlow server running and without it, their ratio, and the
p99 of one client's sends.

Usage: python bench/user_facing.py [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _common import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {
    "aiflow version": 0.15,
    "notification event send K V": 0.30,
    "aiflow workflow upload FILE": 0.50,
    "notification server start -d -> serving": 0.75,
    "aiflow server start -d -> serving": 1.0,
}


def _set(path: Path, **values: object) -> None:
    keep = [x for x in path.read_text().splitlines() if x.split(":", 1)[0] not in values]
    path.write_text("\n".join(keep + [f"{k}: {v}" for k, v in values.items()]) + "\n")


class Stack:
    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="af-user-bench-"))
        self.home = self.tmp / "aiflow"
        self.ns_home = self.tmp / "notification"
        self.ns_port, self.af_port, self.internal = free_port(), free_port(), free_port()
        self.env = {
            **os.environ,
            "AIFLOW_HOME": str(self.home),
            "NOTIFICATION_HOME": str(self.ns_home),
        }

    def run(self, *args: str, check: bool = True) -> float:
        started = time.perf_counter()
        done = subprocess.run(
            [str(BIN / args[0]), *args[1:]], env=self.env, capture_output=True, text=True
        )
        took = time.perf_counter() - started
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
        return took

    def configure(self) -> None:
        self.run("notification", "config", "init")
        _set(
            self.ns_home / "notification_server.yaml",
            server_port=self.ns_port,
            advertised_uri=f"localhost:{self.ns_port}",
        )
        self.run("aiflow", "config", "init")
        _set(
            self.home / "aiflow_server.yaml",
            rpc_port=self.af_port,
            internal_rpc_port=self.internal,
            notification_server_uri=f"127.0.0.1:{self.ns_port}",
        )
        _set(self.home / "aiflow_client.yaml", server_address=f"localhost:{self.af_port}")

    @property
    def ns_uri(self) -> str:
        return f"localhost:{self.ns_port}"

    def close(self) -> None:
        self.run("aiflow", "standalone", "stop", check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


def median_of_3(fn) -> float:  # noqa: ANN001
    return statistics.median(fn() for _ in range(3))


def _servers() -> dict[str, list[psutil.Process]]:
    found: dict[str, list[psutil.Process]] = {"servers": [], "task fork server": []}
    for p in psutil.process_iter(["cmdline"]):
        line = " ".join(p.info["cmdline"] or [])
        if "-m ai_flow.server" in line or "-m notification_service.server" in line:
            found["servers"].append(p)
        elif "_forkserver import serve" in line:
            found["task fork server"].append(p)
    return found


def pss_mb(stack: Stack) -> dict[str, float]:
    mine = {}
    for what, procs in _servers().items():
        ours = [
            p
            for p in procs
            if str(stack.tmp) in " ".join(p.environ().get(k, "") for k in ("AIFLOW_HOME",))
            or what == "task fork server"
        ]
        mine[what] = sum(p.memory_full_info().pss for p in (ours or procs)) / 2**20
    return mine


def _sender(uri: str, count: int, start_at: float, out: mp.Queue) -> None:
    from notification_service.client import NotificationClient

    with NotificationClient(uri, sender="bench") as client:
        for i in range(20):
            client.send_event("warmup", str(i))
        time.sleep(max(0.0, start_at - time.time()))
        latencies = []
        started = time.perf_counter()
        for i in range(count):
            t = time.perf_counter()
            client.send_event("bench", str(i))
            latencies.append(time.perf_counter() - t)
        out.put((started, time.perf_counter(), count, latencies))


def ingest(uri: str, clients: int, per_client: int) -> tuple[float, float]:
    """(events/s over all clients, p99 seconds of one send)."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 2.0
    procs = [
        ctx.Process(target=_sender, args=(uri, per_client, start_at, out)) for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    rate = sum(r[2] for r in results) / (max(r[1] for r in results) - min(r[0] for r in results))
    latencies = sorted(x for r in results for x in r[3])
    return rate, latencies[int(0.99 * (len(latencies) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 1000 if args.quick else 5000
    stack = Stack()
    rows: list[tuple[str, str, str]] = []
    try:
        stack.configure()
        stack.run("aiflow", "standalone", "-d")
        workflow = ROOT / "examples" / "quickstart_workflow.py"
        timings = {
            "aiflow version": median_of_3(lambda: stack.run("aiflow", "version")),
            "notification event send K V": median_of_3(
                lambda: stack.run("notification", "event", "send", "K", "V")
            ),
            "aiflow workflow upload FILE": median_of_3(
                lambda: stack.run("aiflow", "workflow", "upload", str(workflow))
            ),
        }
        time.sleep(2)  # at rest
        pss = pss_mb(stack)
        both = {}
        for clients in (1, 4):
            both[clients] = ingest(stack.ns_uri, clients, n if clients == 1 else n // 2)

        def restart(prog: str) -> float:
            stack.run(prog, "server", "stop")
            return stack.run(prog, "server", "start", "-d")

        timings["aiflow server start -d -> serving"] = median_of_3(lambda: restart("aiflow"))
        stack.run("aiflow", "server", "stop")
        timings["notification server start -d -> serving"] = median_of_3(
            lambda: restart("notification")
        )
        alone = {}
        for clients in (1, 4):
            alone[clients] = ingest(stack.ns_uri, clients, n if clients == 1 else n // 2)
    finally:
        stack.close()
    for name, took in timings.items():
        rows.append((name, f"{took:.2f} s", f"<= {TARGETS[name]:g} s"))
    rows.append(("idle PSS, both servers", f"{pss['servers']:.0f} MB", "<= 110 MB"))
    rows.append(("idle PSS, the task fork server", f"{pss['task fork server']:.0f} MB", ""))
    for clients, target in ((1, 2500), (4, 5000)):
        rows.append(
            (
                f"single send_event, {clients} client(s), AIFlow server running",
                f"{both[clients][0]:,.0f} /s",
                f">= {target:,} /s",
            )
        )
        rows.append(("same, notification server alone", f"{alone[clients][0]:,.0f} /s", ""))
        rows.append(
            (
                f"ratio with / without the AIFlow server ({clients})",
                f"{both[clients][0] / alone[clients][0]:.2f}",
                ">= 0.8",
            )
        )
    rows.append(
        (
            "send_event p99, 1 client, AIFlow server running",
            f"{both[1][1] * 1000:.1f} ms",
            "<= 5 ms",
        )
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'what':{width}}  {'result':>14}  target")
    for what, result, target in rows:
        print(f"{what:{width}}  {result:>14}  {target}")


if __name__ == "__main__":
    main()
