"""The evaluator process: loads one snapshot's workflow file and evaluates its rules.

It runs only user code the server must not run itself. It keeps its own protocol
descriptors and points fds 0/1 elsewhere, so a condition that reads stdin or prints
cannot corrupt the protocol; it exits when the server closes the pipe or dies.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
import time
from typing import IO, Any

from ai_flow.evaluator._context import ERROR_STATE, RuleContext
from ai_flow.evaluator._errors import user_error_line
from ai_flow.evaluator._protocol import event_from_wire
from ai_flow.model.internal.rule_codec import (
    BUILTIN_PACKAGES,
    RuleCodecError,
    decode_rule,
    import_builtin,
)
from ai_flow.model.rule import TaskRule, WorkflowRule
from ai_flow.model.workflow import WORKFLOW_MODULE_NAME, Workflow, collect_workflows

_SCRIPT_MODULES = ("__main__", WORKFLOW_MODULE_NAME)


class _Snapshot:
    """The loaded workflow file: its workflows and its top-level names."""

    def __init__(self, directory: str, file_name: str) -> None:
        self.file_name = file_name
        os.chdir(directory)
        sys.path.insert(0, directory)
        self.globals: dict[str, Any] = runpy.run_path(
            os.path.join(directory, file_name), run_name=WORKFLOW_MODULE_NAME
        )
        self.workflows: dict[str, Workflow] = {w.name: w for w in collect_workflows(self.globals)}
        self._triggers: dict[str, WorkflowRule | RuleCodecError] = {}

    def task_rule(self, workflow: str, task: str, index: int) -> TaskRule:
        try:
            return self.workflows[workflow].rules[task][index]
        except (KeyError, IndexError):
            raise LookupError(
                f"{self.file_name} no longer defines rule {index} of task {task} in workflow "
                f"{workflow}"
            ) from None

    def trigger_rule(self, text: str) -> WorkflowRule:
        found = self._triggers.get(text)
        if found is None:
            try:
                found = decode_rule(text, self._resolve)
            except RuleCodecError as exc:
                found = exc
            self._triggers[text] = found
        if isinstance(found, RuleCodecError):
            raise found
        return found

    def _resolve(self, module: str, qualname: str) -> Any:
        if module.split(".")[0] in BUILTIN_PACKAGES:
            return import_builtin(module, qualname)
        found: Any = _walk(self.globals, qualname)
        if found is None and module not in _SCRIPT_MODULES:
            try:
                found = _walk(vars(__import__(module, fromlist=["_"])), qualname)
            except Exception:  # noqa: BLE001 - "not importable" is the answer
                found = None
        if found is None:
            raise RuleCodecError(
                f"class {qualname} (module {module}) is not defined at the top level of "
                f"{self.file_name} nor importable beside it; define it in the workflow "
                "file and upload it again"
            )
        return found


def _walk(names: dict[str, Any], qualname: str) -> Any:
    parts = qualname.split(".")
    found = names.get(parts[0])
    for part in parts[1:]:
        found = getattr(found, part, None)
    return found


class _Evaluator:
    def __init__(self, snapshot: _Snapshot, out: IO[bytes]) -> None:
        self.snapshot = snapshot
        self.out = out

    def write(self, message: dict[str, Any]) -> None:
        self.write_line(json.dumps(message, separators=(",", ":")))

    def write_line(self, line: str) -> None:
        self.out.write(line.encode() + b"\n")
        self.out.flush()

    def handle(self, request: dict[str, Any]) -> None:
        op = request.get("op")
        if op == "eval":
            carried: dict[str, dict[str, Any]] = {}
            for item in request["items"]:
                self.write_line(self.evaluate(item, carried))
        elif op == "decode_trigger":
            try:
                rule = self.snapshot.trigger_rule(request["rule"])
                self.write({"ok": True, "keys": list(rule.condition.expect_event_keys)})
            except Exception as exc:  # noqa: BLE001 - reported to the server
                self.write({"error": _one_line(exc, self.snapshot.file_name)})
        else:
            self.write({"pong": True})

    def evaluate(self, item: dict[str, Any], carried: dict[str, dict[str, Any]]) -> str:
        """The result line of one item; `carried` holds each scope's states so far."""
        scope = item["s"]
        before = item["st"] if "st" in item else carried.get(scope, {})
        context = RuleContext(item.get("ts") or {}, before)
        try:
            event = event_from_wire(item["e"])
            if item["k"] == "g":
                met = bool(self.snapshot.trigger_rule(item["rule"]).trigger(event, context))
            else:
                rule = self.snapshot.task_rule(item["w"], item["t"], item["i"])
                met = rule.trigger(event, context) is not None
            result: dict[str, Any] = {"m": met, "rd": context.read}
            if context.changed:
                result["c"] = sorted(context.changed)
                result["st"] = context.states
            # A state that JSON cannot hold fails this evaluation only.
            line = json.dumps(result, separators=(",", ":"))
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything
            message = f"condition raised {_one_line(exc, self.snapshot.file_name)}"
            carried[scope] = {**before, ERROR_STATE: message}
            return json.dumps({"err": message})
        carried[scope] = context.states
        return line


def _one_line(exc: BaseException, file_name: str) -> str:
    if isinstance(exc, RuleCodecError | LookupError):
        return str(exc)
    return user_error_line(exc, file_name)


def _exit_with_parent() -> None:
    """Leave when the server dies, even while a condition hangs the main thread."""
    parent = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(3)


def main(argv: list[str]) -> int:
    directory, file_name = argv
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # what user code prints goes to the evaluator's log
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    try:
        snapshot = _Snapshot(directory, file_name)
    except BaseException as exc:  # noqa: BLE001 - reported, then we leave
        message = user_error_line(exc, file_name)
        proto_out.write(json.dumps({"load_error": message}).encode() + b"\n")
        proto_out.flush()
        return 1
    evaluator = _Evaluator(snapshot, proto_out)
    evaluator.write({"ready": True})
    for line in proto_in:
        evaluator.handle(json.loads(line))
    return 0
