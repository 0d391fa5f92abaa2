"""The checking half of the history test (test_aiflow_e2e_history.py): what ran, read
back from durable state only, and what must hold of it.

Three records are read after the run has settled:

* the metadata database: each task execution (a decision to run a task) with its
  latest try, and the rule states the counting conditions kept;
* the notification event log: every status event of every try (sent by the try's
  runtime, or by the server for a try whose process died) and the workload's events;
* the ledger: a line each task's bash command appends when it starts and when it ends
  (host name and the try's AIFLOW_TASK_CONTEXT), i.e. what user code really did, which
  no AIFlow component reads.

`check()` returns every violation found (not only the first), `summary()` the history.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FINISHED = ("SUCCESS", "FAILED", "STOPPED")


@dataclass(frozen=True)
class LedgerLine:
    kind: str  # start | end
    host: str
    task_name: str
    task_execution_id: int
    try_number: int


def read_ledger(path: Path) -> list[LedgerLine]:
    lines = []
    text = path.read_text() if path.exists() else ""
    for raw in text.splitlines():
        kind, host, context = raw.split(" ", 2)
        task = json.loads(context)
        lines.append(
            LedgerLine(kind, host, task["task_name"], task["task_execution_id"], task["try_number"])
        )
    return lines


@dataclass(frozen=True)
class TaskRun:
    """One task execution as the metadata database has it (its latest try)."""

    id: int
    task_name: str
    sequence_number: int
    try_number: int
    status: str
    host: str | None


@dataclass(frozen=True)
class TryStatus:
    """One status event of one try, from the event log."""

    task_execution_id: int
    task_name: str
    try_number: int
    status: str
    sender: str | None
    error: str | None


def try_statuses(events: list[Any]) -> list[TryStatus]:
    """The status events (notification_service Event) as TryStatus, in log order."""
    out = []
    for event in events:
        context = json.loads(event.context or "{}")
        if "task_execution_id" not in context:
            continue
        out.append(
            TryStatus(
                int(context["task_execution_id"]),
                str(context["task_name"]),
                int(context["try_number"]),
                str(event.value),
                event.sender,
                context.get("error"),
            )
        )
    return out


@dataclass
class Expected:
    """What the workload asks for."""

    # Condition scope ("task#0") -> how many events of its key were sent.
    counters: dict[str, int]
    # Tasks that must run exactly once (one decision, final SUCCESS).
    once: list[str]
    # Tasks that must never run.
    never: list[str]
    # Chains (a, b, c): each starts after the previous one's SUCCESS.
    chains: list[tuple[str, ...]]
    # Workload event key -> how many were sent (each must be stored once).
    sent: dict[str, int] = field(default_factory=dict)


@dataclass
class History:
    runs: list[TaskRun]
    statuses: list[TryStatus]
    ledger: list[LedgerLine]
    counters: dict[str, Any]  # condition scope -> its count state
    errors: dict[str, Any]  # condition scope -> its __error__ state, if any
    stored: dict[str, int]  # workload event key -> events in the log
    # What the test did: kills of each kind, failover seconds, orphans found.
    faults: dict[str, Any] = field(default_factory=dict)

    def tries(self) -> dict[tuple[int, int], list[str]]:
        """(task execution, try) -> its statuses in log order."""
        out: dict[tuple[int, int], list[str]] = defaultdict(list)
        for s in self.statuses:
            out[(s.task_execution_id, s.try_number)].append(s.status)
        return dict(out)

    def failed_tries(self) -> list[TryStatus]:
        return [s for s in self.statuses if s.status == "FAILED"]


def check(history: History, expected: Expected) -> list[str]:
    """Every violation of the exactly-once history; empty when it holds."""
    problems: list[str] = []
    by_name: dict[str, list[TaskRun]] = defaultdict(list)
    for run in history.runs:
        by_name[run.task_name].append(run)

    # Counting conditions: every event counted exactly once.
    for scope, sent in expected.counters.items():
        got = history.counters.get(scope)
        if got != sent:
            problems.append(f"condition {scope} counted {got}, {sent} events were sent")
        if history.errors.get(scope) is not None:
            problems.append(f"condition {scope} recorded an error: {history.errors[scope]}")
    for key, sent in expected.sent.items():
        if history.stored.get(key) != sent:
            problems.append(f"{sent} {key!r} events sent, {history.stored.get(key)} stored")

    # Tasks that must run once: one decision, its final status SUCCESS.
    for name in expected.once:
        runs = by_name.get(name, [])
        if [(r.sequence_number, r.status) for r in runs] != [(1, "SUCCESS")]:
            problems.append(f"{name}: expected one execution that SUCCEEDED, got {runs}")
    for name in expected.never:
        if by_name.get(name):
            problems.append(f"{name} must never start, ran {by_name[name]}")
    unexpected = set(by_name) - set(expected.once) - set(expected.never)
    if unexpected:
        problems.append(f"task executions nobody asked for: {sorted(unexpected)}")

    # Nothing left unfinished (the caller waited until everything settled).
    for run in history.runs:
        if run.status not in FINISHED:
            problems.append(f"{run.task_name} (te {run.id}) left {run.status}")

    # Per try: the log agrees with the database, at most one final status per try, and
    # exactly one SUCCESS per decision (a second would be a second run).
    tries = history.tries()
    for run in history.runs:
        finals = {t: [s for s in tries.get((run.id, t), []) if s in FINISHED]
                  for t in range(1, run.try_number + 1)}  # fmt: skip
        for t, statuses in finals.items():
            if len(set(statuses)) > 1:
                problems.append(f"{run.task_name} try {t} ended twice: {statuses}")
        successes = [t for t, statuses in finals.items() if "SUCCESS" in statuses]
        if run.status == "SUCCESS" and successes != [run.try_number]:
            problems.append(f"{run.task_name}: SUCCESS of tries {successes}, latest try "
                            f"{run.try_number}")  # fmt: skip
        later = [t for (te, t) in tries if te == run.id and t > run.try_number]
        if later:
            problems.append(f"{run.task_name}: statuses of tries {later} past its latest try")

    # The ledger: user code started at most once per try (no try claimed twice) and
    # ran to its end once per decision.
    starts = Counter((line.task_execution_id, line.try_number) for line in history.ledger
                     if line.kind == "start")  # fmt: skip
    for (te, t), n in starts.items():
        if n > 1:
            problems.append(f"te {te} try {t} started {n} times")
    # Its successful try ran the user code to its end. An earlier try may have too when a
    # kill came after its code ended but before its SUCCESS was stored: that try is
    # FAILED (never reported a success), and its code ended before the retry's began, so
    # two tries of one decision never run at the same time.
    at: dict[tuple[str, int, int], int] = {}
    for index, line in enumerate(history.ledger):
        at.setdefault((line.kind, line.task_execution_id, line.try_number), index)
    for run in history.runs:
        ended = sorted(t for kind, te, t in at if kind == "end" and te == run.id)
        if run.status == "SUCCESS" and run.try_number not in ended:
            problems.append(f"{run.task_name}: its successful try {run.try_number} never "
                            "ran its user code to the end")  # fmt: skip
        for t in ended:
            if t == run.try_number:
                continue
            if "FAILED" not in tries.get((run.id, t), []):
                problems.append(f"{run.task_name}: try {t} ran to its end, not FAILED")
            later = [i for (kind, te, u), i in at.items() if kind == "start" and te == run.id
                     and u > t]  # fmt: skip
            if later and min(later) < at[("end", run.id, t)]:
                problems.append(f"{run.task_name}: try {t} still ran when a retry started")

    # A killed worker takes its tries' processes with it: nothing runs beside a retry.
    for left in history.faults.get("orphans") or []:
        problems.append(f"processes left running after a worker was killed: {left}")

    # Chains in order: b's user code started after a's ended, c's after b's.
    first: dict[tuple[str, str], int] = {}
    for index, line in enumerate(history.ledger):
        first.setdefault((line.task_name, line.kind), index)
    for chain in expected.chains:
        for upstream, downstream in zip(chain, chain[1:], strict=False):
            ended, started = first.get((upstream, "end")), first.get((downstream, "start"))
            if ended is None or started is None or started < ended:
                problems.append(f"{downstream} did not start after {upstream} ended")
    return problems


def summary(history: History, expected: Expected) -> str:
    tries = history.tries()
    failed = history.failed_tries()
    reasons = Counter(_reason(s.error) for s in failed)
    hosts = Counter(line.host for line in history.ledger if line.kind == "start")
    faults = history.faults
    retried = sorted({s.task_name for s in failed})
    succeeded = {(r.id, r.try_number) for r in history.runs if r.status == "SUCCESS"}
    repeated = sorted(
        line.task_name
        for line in history.ledger
        if line.kind == "end" and (line.task_execution_id, line.try_number) not in succeeded
    )
    lines = [
        "history summary",
        f"  events sent: {sum(expected.sent.values())} workload events "
        f"({', '.join(f'{k}={v}' for k, v in sorted(expected.sent.items()) if v > 1)}, "
        f"{sum(1 for v in expected.sent.values() if v == 1)} single start events); "
        f"status events in the log: {len(history.statuses)}",
        f"  counters: {dict(sorted(history.counters.items()))}",
        f"  kills: active server x{faults.get('server_kills')}, "
        f"worker x{faults.get('worker_kills')}, notification server "
        f"x{faults.get('ns_kills')}",
        f"  failover seconds (SIGKILL -> a standby holds the lease): {faults.get('failovers')}",
        f"  scheduling resumed after (s): {faults.get('resumed')}",
        f"  notification server restart: sends resent {faults.get('send_retries')}, "
        f"slowest send {faults.get('slowest_send')} s",
        f"  task executions: {len(history.runs)} (tasks {len(expected.once)} expected once, "
        f"{len(expected.never)} never); tries: {len(tries)}; tries by host: {dict(hosts)}",
        f"  failed tries: {len(failed)} by reason {dict(reasons)}; retried tasks: {retried}",
        f"  tries hit by worker kills: {faults.get('worker_victims')}",
        f"  user code that ended but whose try was lost (run again by the retry): {repeated}",
        f"  processes left behind by worker kills: {faults.get('orphans')}",
        f"  wall time (s): {faults.get('seconds')}",
    ]
    return "\n".join(lines)


def _reason(error: str | None) -> str:
    text = error or ""
    if "no heartbeat" in text:
        return "heartbeat timeout"
    if "did not start within" in text:
        return "not claimed in time"
    if "died without reporting" in text:
        return "process died"
    return text[:60] or "unknown"
