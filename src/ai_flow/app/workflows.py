"""Workflows and their snapshots: upload, get, list, delete, disable, enable."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from ai_flow.app._context import App
from ai_flow.app.access import require_namespace
from ai_flow.app.errors import InvalidArgumentError, PreconditionError
from ai_flow.blob_manager import Artifact, BlobManagerError, fetch_artifacts
from ai_flow.evaluator import WorkflowFileError, describe_workflow_file
from ai_flow.metadata import (
    NamespaceRow,
    WorkflowRow,
    WorkflowSnapshotRow,
    executions,
    namespaces,
    snapshots,
    workflows,
)
from ai_flow.scheduler import PlanError, WorkflowPlan, snapshot_files
from notification_service.util.auth import ANYONE, Principal


def upload_workflows(
    app: App,
    file_name: str,
    source: str,
    source_uri: str,
    artifacts: Sequence[Artifact],
    principal: Principal = ANYONE,
) -> list[tuple[WorkflowRow, dict]]:
    """A new snapshot of each workflow the file defines (unless its content is unchanged).

    The file is evaluated in a child process beside its artifacts; a file that does not
    evaluate stores nothing, nor does one with a workflow in a namespace `principal` may
    not write (PermissionDenied).
    """
    name = Path(file_name).name
    with tempfile.TemporaryDirectory(prefix="aiflow-upload-") as tmp:
        try:
            fetch_artifacts(app.snapshots.blobs, artifacts, Path(tmp))
        except BlobManagerError as exc:
            raise InvalidArgumentError(f"{name}: cannot fetch its files: {exc}") from None
        path = Path(tmp) / name
        path.write_text(source)
        try:
            descriptions = describe_workflow_file(path)
        except WorkflowFileError as exc:
            raise InvalidArgumentError(str(exc)) from None
    for desc in descriptions:
        try:
            WorkflowPlan(desc)
        except PlanError as exc:
            raise InvalidArgumentError(f"{name}: workflow {desc['name']}: {exc}") from None
    for namespace in sorted({desc["namespace"] for desc in descriptions}):
        require_namespace(principal, namespace, write=True)
    stored = [a.to_dict() for a in artifacts]
    signature = snapshots.compute_signature(source.encode(), stored)
    out = []
    with app.write() as s:
        for desc in descriptions:
            if s.get(NamespaceRow, desc["namespace"]) is None:
                raise PreconditionError(
                    f"{name}: workflow {desc['name']} is in namespace {desc['namespace']}, "
                    "which does not exist; add the namespace first"
                )
            row = workflows.find_workflow(s, desc["namespace"], desc["name"])
            if row is None:
                row = workflows.create_workflow(s, desc["namespace"], desc["name"])
            latest = row.latest_snapshot_id and snapshots.get_snapshot(s, row.latest_snapshot_id)
            if not latest or latest.signature != signature:
                snapshots.create_snapshot(
                    s,
                    row.id,
                    file_name=name,
                    uri=source_uri,
                    signature=signature,
                    description=desc,
                    artifacts=stored,
                )
            out.append((row, desc))
    return out


def upload_workflow_source(
    app: App, file_name: str, source: str, principal: Principal = ANYONE
) -> list[tuple[WorkflowRow, dict]]:
    """Upload a workflow file sent as text (no artifacts): the server stores the source
    in the blob store itself, where a client of the gRPC API uploads it first."""
    name = Path(file_name).name
    if not name or name != file_name.strip() or not name.endswith(".py"):
        raise InvalidArgumentError(f"file name {file_name!r} must be a bare name ending in .py")
    try:
        uri = app.snapshots.blobs.upload_bytes(name, source.encode())
    except BlobManagerError as exc:
        raise InvalidArgumentError(f"{name}: cannot store it: {exc}") from None
    return upload_workflows(app, name, source, uri, [], principal)


def snapshot_source(app: App, snapshot_id: int) -> tuple[WorkflowSnapshotRow, str]:
    """The snapshot with the text of its workflow file (fetched from the blob store)."""
    row = get_snapshot(app, snapshot_id)
    try:
        directory = app.snapshots.directory(snapshot_files(row))
        return row, (directory / row.file_name).read_text(errors="replace")
    except (BlobManagerError, OSError) as exc:
        raise PreconditionError(f"snapshot {snapshot_id}: its file cannot be read: {exc}") from None


def _description(s, row: WorkflowRow) -> dict | None:  # noqa: ANN001
    if row.latest_snapshot_id is None:
        return None
    return snapshots.get_snapshot(s, row.latest_snapshot_id).description


def get_workflow(app: App, namespace: str, name: str) -> tuple[WorkflowRow, dict | None]:
    with app.read() as s:
        row = workflows.get_workflow(s, namespace, name)
        return row, _description(s, row)


def list_workflows(
    app: App, namespace: str, limit: int | None, offset: int | None
) -> list[WorkflowRow]:
    with app.read() as s:
        namespaces.get_namespace(s, namespace)
        return workflows.list_workflows(s, namespace, limit=limit, offset=offset)


def delete_workflow(app: App, namespace: str, name: str) -> None:
    with app.scheduling() as s:
        row = workflows.get_workflow(s, namespace, name)
        running = executions.count_unfinished(s, row.id)
        if running:
            raise PreconditionError(
                f"workflow {row.namespace}.{row.name} has {running} unfinished execution(s); "
                "stop them first (aiflow workflow-execution stop-all)"
            )
        workflows.delete_workflow(s, namespace, name)


def set_workflow_enabled(app: App, namespace: str, name: str, enabled: bool) -> WorkflowRow:
    with app.write() as s:
        return workflows.set_workflow_enabled(s, namespace, name, enabled)


def get_snapshot(app: App, snapshot_id: int) -> WorkflowSnapshotRow:
    with app.read() as s:
        return snapshots.get_snapshot(s, snapshot_id)


def list_snapshots(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> list[WorkflowSnapshotRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        return snapshots.list_snapshots(s, wf.id, limit=limit, offset=offset)


def delete_snapshot(app: App, snapshot_id: int) -> None:
    with app.write() as s:
        snapshots.delete_snapshot(s, snapshot_id)


def delete_snapshots(app: App, namespace: str, name: str) -> int:
    with app.write() as s:
        wf = workflows.get_workflow(s, namespace, name)
        return snapshots.delete_snapshots(s, wf.id)
