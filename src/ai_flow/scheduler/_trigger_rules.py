"""Stored trigger rules -> WorkflowRule objects, resolving user classes from snapshots.

Which class a stored ``module:qualname`` denotes:

* ``ai_flow.*`` / ``notification_service.*``: imported on the server;
* anything else (``__main__`` when the workflow file ran as a script, the file's own
  module name when it was imported, an uploaded artifact module...): looked up by
  qualname among the top-level names of the triggered workflow's latest snapshot,
  evaluated as module ``__aiflow_workflow__``; failing that, imported on the server
  unless the module is ``__main__``.

Results are cached per (snapshot, stored text): a snapshot never changes.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
import threading
import weakref
from collections import OrderedDict
from typing import Any

from ai_flow.metadata import WorkflowSnapshotRow
from ai_flow.model.internal.rule_codec import RuleCodecError, decode_rule
from ai_flow.model.rule import WorkflowRule
from ai_flow.model.workflow import WORKFLOW_MODULE_NAME
from ai_flow.scheduler._snapshots import SnapshotStore

_SERVER_PACKAGES = ("ai_flow", "notification_service")
_SCRIPT_MODULES = ("__main__", WORKFLOW_MODULE_NAME)
_MAX_RULES = 256
_MAX_SNAPSHOTS = 32  # evaluated workflow files can be large; keep only recent ones


def _walk(root: Any, parts: list[str]) -> Any:
    for part in parts:
        root = getattr(root, part, None)
        if root is None:
            return None
    return root


class TriggerRules:
    """Decodes trigger rules against snapshots; thread-safe, bounded caches."""

    def __init__(self, store: SnapshotStore) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._globals: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._rules: OrderedDict[tuple[int, str], WorkflowRule | RuleCodecError] = OrderedDict()

    def rule(self, snapshot: WorkflowSnapshotRow, text: str, workflow: str) -> WorkflowRule:
        """The rule stored as `text`, for `workflow` (a label for errors) at `snapshot`.

        Raises RuleCodecError with a one-line reason (remembered for the same input).
        """
        key = (snapshot.id, text)
        with self._lock:
            found = self._rules.get(key)
            if found is None:
                try:
                    found = decode_rule(text, lambda m, q: self._resolve(snapshot, workflow, m, q))
                except RuleCodecError as exc:
                    found = exc
                self._remember(self._rules, key, found, _MAX_RULES)
        if isinstance(found, RuleCodecError):
            raise found
        return found

    @staticmethod
    def _remember(cache: OrderedDict, key: Any, value: Any, limit: int) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > limit:
            cache.popitem(last=False)

    def _resolve(self, snapshot: WorkflowSnapshotRow, workflow: str, module: str, qualname: str):  # noqa: ANN202
        parts = qualname.split(".")
        if module.split(".")[0] in _SERVER_PACKAGES:
            found = _walk(self._import(module, qualname), parts)
        else:
            found = _walk(_Namespace(self._snapshot_globals(snapshot)), parts)
            if found is None and module not in _SCRIPT_MODULES:
                found = _walk(self._import(module, qualname, required=False), parts)
        if found is None:
            raise RuleCodecError(
                f"class {qualname} (module {module}) is not defined at the top level of "
                f"{snapshot.file_name}, the file of workflow {workflow} (snapshot "
                f"{snapshot.id}), nor importable on the server; define it in that workflow "
                "file and upload it again"
            )
        return found

    @staticmethod
    def _import(module: str, qualname: str, required: bool = True) -> Any:
        try:
            return importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure means "not resolvable"
            if not required:
                return None
            raise RuleCodecError(f"cannot import {module} for {qualname}: {exc}") from None

    def _snapshot_globals(self, snapshot: WorkflowSnapshotRow) -> dict[str, Any]:
        cached = self._globals.get(snapshot.id)
        if cached is None:
            path = str(self._store.path(snapshot))
            directory = os.path.dirname(os.path.abspath(path))
            sys.path.insert(0, directory)  # as load_workflows: the file may import artifacts
            try:
                cached = runpy.run_path(path, run_name=WORKFLOW_MODULE_NAME)
            except Exception as exc:  # noqa: BLE001 - user code
                raise RuleCodecError(
                    f"cannot evaluate {snapshot.file_name} (snapshot {snapshot.id}): "
                    f"{type(exc).__name__}: {exc}"
                ) from None
            finally:
                if directory in sys.path:
                    sys.path.remove(directory)
            self._remember(self._globals, snapshot.id, cached, _MAX_SNAPSHOTS)
        return cached


class _Namespace:
    """Attribute access over a module's globals dict."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values.get(name)


_instances: weakref.WeakKeyDictionary[SnapshotStore, TriggerRules] = weakref.WeakKeyDictionary()
_instances_lock = threading.Lock()


def trigger_rules(store: SnapshotStore) -> TriggerRules:
    """The TriggerRules shared by everything using `store` (scheduler and API)."""
    with _instances_lock:
        rules = _instances.get(store)
        if rules is None:
            rules = _instances[store] = TriggerRules(store)
        return rules
