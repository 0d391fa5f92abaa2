"""Pluggable blob storage for workflow sources and artifacts."""

from ai_flow.blob_manager._factory import create_blob_manager
from ai_flow.blob_manager._interface import BlobManager, BlobManagerError
from ai_flow.blob_manager._snapshot import (
    Artifact,
    SnapshotFiles,
    fetch_artifacts,
    fetch_snapshot,
    upload_artifact,
)

__all__ = [
    "Artifact",
    "BlobManager",
    "BlobManagerError",
    "SnapshotFiles",
    "create_blob_manager",
    "fetch_artifacts",
    "fetch_snapshot",
    "upload_artifact",
]
