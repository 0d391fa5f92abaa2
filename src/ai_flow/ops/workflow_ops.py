"""Workflows: upload, get, list, delete, disable, enable."""

from __future__ import annotations

from pathlib import Path

from ai_flow.ops._client import (
    RPC_TIMEOUT,
    ClientConfigError,
    InvalidArgumentError,
    NotFoundError,
    build,
    call,
)
from ai_flow.ops._meta import WorkflowMeta
from ai_flow.ops._paging import page, ref
from ai_flow.proto import aiflow_pb2 as pb


def _blob_manager():  # noqa: ANN202
    from ai_flow.blob_manager import BlobManagerError, create_blob_manager
    from ai_flow.settings import client_config_path, load_client_settings
    from notification_service.util.config_file import ConfigError

    try:
        blob = load_client_settings().blob_manager
    except ConfigError as exc:
        raise ClientConfigError(str(exc)) from None
    try:
        return create_blob_manager(blob.blob_manager_class, blob.blob_manager_config or {})
    except BlobManagerError as exc:
        raise InvalidArgumentError(f"{client_config_path()}: blob_manager: {exc}") from None


def upload_workflows(
    workflow_file_path: str, artifacts: list[str] | None = None
) -> list[WorkflowMeta]:
    """Upload a workflow file (and artifacts) as a new snapshot of each workflow in it.

    An artifact may be a file or a directory (uploaded whole; it lands beside the
    workflow file under its own name). The server evaluates the file in a child process;
    a broken file stores nothing.
    """
    path = Path(workflow_file_path)
    source = read_workflow_file(path)
    files = [Path(a) for a in artifacts or []]
    for artifact in files:
        if not artifact.exists():
            raise InvalidArgumentError(f"artifact {artifact} does not exist")
    names = [path.name] + [a.name for a in files]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise InvalidArgumentError(f"two uploaded files would both be named {clashes[0]}")
    from ai_flow.blob_manager import upload_artifact

    blobs = _blob_manager()
    # A server that does not answer fails the upload before any blob is stored.
    call(lambda s: s.ListNamespaces(build(pb.ListNamespacesRequest), timeout=RPC_TIMEOUT))
    stored = [upload_artifact(blobs, a) for a in files]
    request = build(
        pb.UploadWorkflowsRequest,
        file_name=path.name,
        source=source,
        source_uri=blobs.upload(str(path)),
        artifacts=[
            build(pb.ArtifactProto, name=a.name, uri=a.uri, directory=a.directory) for a in stored
        ],
    )
    msg = call(lambda s: s.UploadWorkflows(request, timeout=120))
    return [WorkflowMeta.from_proto(w) for w in msg.workflows]


def get_workflow(workflow_name: str, namespace: str = "default") -> WorkflowMeta | None:
    try:
        msg = call(lambda s: s.GetWorkflow(ref(workflow_name, namespace), timeout=RPC_TIMEOUT))
    except NotFoundError:
        return None
    return WorkflowMeta.from_proto(msg)


def list_workflows(
    namespace: str = "default", limit: int | None = None, offset: int | None = None
) -> list[WorkflowMeta]:
    request = build(pb.ListWorkflowsRequest, namespace=namespace, page=page(limit, offset))
    msg = call(lambda s: s.ListWorkflows(request, timeout=RPC_TIMEOUT))
    return [WorkflowMeta.from_proto(w) for w in msg.workflows]


def delete_workflow(workflow_name: str, namespace: str = "default") -> None:
    """Delete the workflow with its snapshots, executions, schedules and triggers.

    Refused while an execution of it is still running.
    """
    call(lambda s: s.DeleteWorkflow(ref(workflow_name, namespace), timeout=RPC_TIMEOUT))


def disable_workflow(workflow_name: str, namespace: str = "default") -> WorkflowMeta:
    """No new executions (manual, scheduled, triggered) until enabled again."""
    msg = call(lambda s: s.DisableWorkflow(ref(workflow_name, namespace), timeout=RPC_TIMEOUT))
    return WorkflowMeta.from_proto(msg)


def enable_workflow(workflow_name: str, namespace: str = "default") -> WorkflowMeta:
    msg = call(lambda s: s.EnableWorkflow(ref(workflow_name, namespace), timeout=RPC_TIMEOUT))
    return WorkflowMeta.from_proto(msg)


def read_workflow_file(path: Path) -> str:
    """The text of a workflow file; InvalidArgumentError naming it if it cannot be read."""
    if not path.is_file():
        raise InvalidArgumentError(f"workflow file {path} does not exist")
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"cannot read workflow file {path}: {exc}") from None
