"""Snapshots on local disk, and the Workflow objects their source defines.

An execution always runs the snapshot it started with: files are materialised per
snapshot id, never overwritten, and workflows are cached by snapshot id.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from ai_flow.blob_manager import BlobManager
from ai_flow.metadata import WorkflowSnapshotRow
from ai_flow.model.workflow import Workflow, load_workflows


class SnapshotStore:
    def __init__(self, root: Path, blob_manager: BlobManager) -> None:
        self._root = root
        self._blobs = blob_manager
        self._lock = threading.Lock()
        self._workflows: dict[int, dict[str, Workflow]] = {}

    def path(self, snapshot: WorkflowSnapshotRow) -> Path:
        """Local path of the snapshot's workflow file; artifacts sit beside it."""
        target = self._root / str(snapshot.id)
        main = target / snapshot.file_name
        if main.exists():
            return main
        with self._lock:
            if main.exists():
                return main
            tmp = self._root / f".{snapshot.id}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            self._blobs.download(snapshot.uri, str(tmp))
            for artifact in snapshot.artifacts or []:
                self._blobs.download(artifact["uri"], str(tmp))
            # The rename publishes a complete directory or nothing.
            try:
                tmp.rename(target)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
                if not main.exists():
                    raise
        return main

    def workflow(self, snapshot: WorkflowSnapshotRow, name: str) -> Workflow:
        """The Workflow `name` as defined by this snapshot (evaluated once, then cached)."""
        cached = self._workflows.get(snapshot.id)
        if cached is None:
            path = self.path(snapshot)
            with self._lock:
                cached = self._workflows.get(snapshot.id)
                if cached is None:
                    cached = {w.name: w for w in load_workflows(path)}
                    self._workflows[snapshot.id] = cached
        try:
            return cached[name]
        except KeyError:
            raise LookupError(f"snapshot {snapshot.id} does not define workflow {name}") from None
