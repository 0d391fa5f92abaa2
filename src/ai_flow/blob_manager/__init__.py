"""Pluggable blob storage for workflow sources and artifacts.

Built-in managers (``ai_flow.blob_manager.impl``): LocalBlobManager, MemoryBlobManager,
S3BlobManager, OssBlobManager and HDFSBlobManager; all but the local one are
FsspecBlobManager subclasses whose packages are imported only when one is created.
"""

from ai_flow.blob_manager._current import (
    current_blob_manager,
    current_blob_settings,
    set_current_blob_manager,
)
from ai_flow.blob_manager._factory import create_blob_manager
from ai_flow.blob_manager._fsspec import FsspecBlobManager
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
    "FsspecBlobManager",
    "SnapshotFiles",
    "create_blob_manager",
    "current_blob_manager",
    "current_blob_settings",
    "fetch_artifacts",
    "fetch_snapshot",
    "set_current_blob_manager",
    "upload_artifact",
]
