"""A bounded pool of evaluator processes, one per snapshot, least recently used first out.

`evaluate` takes a list of rule evaluations for one snapshot and returns one result
each, whatever the user code does: a condition that raises is an error result; one that
hangs past the timeout, exits or crashes its process is an error result too, the process
is replaced and the remaining items go to the new one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ai_flow.blob_manager import SnapshotFiles
from ai_flow.evaluator._context import ERROR_STATE
from ai_flow.evaluator._process import EvaluatorGone, EvaluatorProcess
from ai_flow.evaluator._protocol import event_to_wire
from ai_flow.model.internal.rule_codec import RuleCodecError
from notification_service.model import Event

log = logging.getLogger(__name__)

#: How long a snapshot whose file failed to load is left alone before it is tried again.
RELOAD_AFTER = 30.0


@dataclass(frozen=True)
class EvalItem:
    """One evaluation of a user rule on one event.

    `scope` names the rule state it reads and writes (unique per execution and rule, or
    per trigger). A task rule names `workflow`, `task` and `index` and sees `statuses`;
    a trigger carries its stored `rule` text.
    """

    scope: str
    event: Event
    workflow: str = ""
    task: str = ""
    index: int = 0
    statuses: Mapping[str, str | None] = field(default_factory=dict)
    rule: str | None = None

    def wire(self) -> dict[str, Any]:
        if self.rule is not None:
            return {"k": "g", "s": self.scope, "rule": self.rule, "e": event_to_wire(self.event)}
        return {
            "k": "r",
            "s": self.scope,
            "w": self.workflow,
            "t": self.task,
            "i": self.index,
            "ts": dict(self.statuses),
            "e": event_to_wire(self.event),
        }


@dataclass(frozen=True)
class EvalResult:
    """`before`/`after`: the scope's states around the evaluation; `read`: the task
    statuses the condition looked at; `error`: why it failed (then `met` is False)."""

    met: bool
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    changed: frozenset[str]
    read: Mapping[str, str | None]
    error: str | None = None


class _Entry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: EvaluatorProcess | None = None
        self.load_error: str | None = None
        self.failed_at = 0.0


class EvaluatorPool:
    """`locate(files)` returns the local directory holding the snapshot's files."""

    def __init__(
        self,
        locate: Callable[[SnapshotFiles], Path],
        log_dir: Path,
        size: int = 8,
        timeout: float = 5.0,
        load_timeout: float = 120.0,
        max_rss: int = 2 << 30,
    ) -> None:
        self._locate = locate
        self._log_dir = log_dir
        self.size = size
        self.timeout = timeout
        self.load_timeout = load_timeout
        self.max_rss = max_rss
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, _Entry] = OrderedDict()

    def _entry(self, snapshot_id: int) -> _Entry:
        evicted: list[_Entry] = []
        with self._lock:
            entry = self._entries.get(snapshot_id)
            if entry is None:
                entry = self._entries[snapshot_id] = _Entry()
            self._entries.move_to_end(snapshot_id)
            while len(self._entries) > self.size:
                evicted.append(self._entries.popitem(last=False)[1])
        for old in evicted:
            with old.lock:
                self._stop(old)
        return entry

    @staticmethod
    def _stop(entry: _Entry) -> None:
        if entry.process is not None:
            entry.process.close()
            entry.process = None

    def _ready(self, entry: _Entry, files: SnapshotFiles) -> EvaluatorProcess | None:
        """The running process (started if needed), or None if the file cannot load."""
        if entry.process is not None and entry.process.alive():
            return entry.process
        if entry.load_error is not None and time.monotonic() - entry.failed_at < RELOAD_AFTER:
            return None
        process, entry.load_error = self._start(files)
        if process is None:
            entry.failed_at = time.monotonic()
            log.error("snapshot %s: %s", files.snapshot_id, entry.load_error)
            return None
        log.info("evaluator for snapshot %s started (pid %s)", files.snapshot_id, process.pid)
        entry.process = process
        return process

    def _start(self, files: SnapshotFiles) -> tuple[EvaluatorProcess | None, str | None]:
        log_path = self._log_dir / "evaluators" / f"snapshot_{files.snapshot_id}.log"
        try:
            directory = self._locate(files)
        except Exception as exc:  # noqa: BLE001 - missing blobs fail the rules, not the batch
            return None, f"cannot fetch the files of {files.file_name}: {exc}"
        try:
            process = EvaluatorProcess(directory, files.file_name, log_path, self.load_timeout)
        except EvaluatorGone as exc:
            return None, f"cannot load {files.file_name}: {exc}"
        if process.load_error:
            process.close()
            return None, f"cannot load {process.load_error}"
        return process, None

    def prepare(self, files: Sequence[SnapshotFiles]) -> None:
        """Start the evaluators of these snapshots now (outside any transaction)."""
        for f in files:
            entry = self._entry(f.snapshot_id)
            with entry.lock:
                self._ready(entry, f)

    def evaluate(
        self,
        files: SnapshotFiles,
        items: Sequence[EvalItem],
        states: Mapping[str, Mapping[str, Any]],
    ) -> list[EvalResult]:
        """Evaluate `items` in order; `states` holds each scope's states before the first."""
        chain = {scope: dict(values) for scope, values in states.items()}
        results: list[EvalResult] = []
        entry = self._entry(files.snapshot_id)
        with entry.lock:
            while len(results) < len(items):
                rest = items[len(results) :]
                process = self._ready(entry, files)
                if process is None:
                    message = entry.load_error or "the evaluator is not available"
                    results.extend(_failed(chain, item, message) for item in rest)
                    break
                try:
                    self._run(process, rest, chain, results)
                except EvaluatorGone as exc:
                    item = items[len(results)]
                    log.error("snapshot %s, %s: %s", files.snapshot_id, item.scope, exc)
                    results.append(_failed(chain, item, str(exc)))
                    process.kill()
                    entry.process = None
            if entry.process is not None and entry.process.rss() > self.max_rss:
                log.warning("evaluator of snapshot %s outgrew its memory cap", files.snapshot_id)
                self._stop(entry)
        return results

    def _run(
        self,
        process: EvaluatorProcess,
        items: Sequence[EvalItem],
        chain: dict[str, dict[str, Any]],
        results: list[EvalResult],
    ) -> None:
        wire, seen = [], set()
        for item in items:
            message = item.wire()
            if item.scope not in seen:
                seen.add(item.scope)
                message["st"] = chain.get(item.scope, {})
            wire.append(message)
        process.send({"op": "eval", "items": wire})
        for item in items:
            raw = process.read(self.timeout)
            results.append(_result(chain, item, raw))

    def decode_trigger(self, files: SnapshotFiles, rule: str) -> list[str]:
        """The event keys of a stored trigger rule that names user classes, decoded in
        the snapshot's evaluator; raises RuleCodecError naming what is wrong."""
        entry = self._entry(files.snapshot_id)
        with entry.lock:
            process = self._ready(entry, files)
            if process is None:
                raise RuleCodecError(entry.load_error or "the evaluator is not available")
            try:
                process.send({"op": "decode_trigger", "rule": rule})
                answer = process.read(self.timeout, what="decoding the trigger")
            except EvaluatorGone as exc:
                process.kill()
                entry.process = None
                raise RuleCodecError(f"cannot decode the trigger: {exc}") from None
        if "error" in answer:
            raise RuleCodecError(answer["error"])
        return list(answer["keys"])

    def running(self) -> dict[int, int]:
        """snapshot id -> pid of its live evaluator process."""
        with self._lock:
            entries = list(self._entries.items())
        return {sid: e.process.pid for sid, e in entries if e.process and e.process.alive()}

    def close(self) -> None:
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            with entry.lock:
                self._stop(entry)


def _result(chain: dict[str, dict[str, Any]], item: EvalItem, raw: dict[str, Any]) -> EvalResult:
    if "err" in raw:
        return _failed(chain, item, str(raw["err"]))
    before = chain.get(item.scope, {})
    changed = frozenset(raw.get("c") or ())
    after = raw["st"] if changed else before
    chain[item.scope] = after
    return EvalResult(bool(raw.get("m")), before, after, changed, raw.get("rd") or {})


def _failed(chain: dict[str, dict[str, Any]], item: EvalItem, message: str) -> EvalResult:
    before = chain.get(item.scope, {})
    after = {**before, ERROR_STATE: message}
    chain[item.scope] = after
    return EvalResult(False, before, after, frozenset({ERROR_STATE}), {}, message)
