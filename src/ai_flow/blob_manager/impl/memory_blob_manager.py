"""A blob manager in this process's memory (fsspec ``memory://``), for tests and demos."""

from __future__ import annotations

from typing import Any

from ai_flow.blob_manager._fsspec import FsspecBlobManager
from ai_flow.blob_manager._optional import import_optional


class MemoryBlobManager(FsspecBlobManager):
    """Blobs in fsspec's in-memory file system, shared by every instance in the process
    and gone when it exits. Config: `root_directory` (optional, default the top).

    URIs look like ``memory:///<root>/<sha[:2]>/<sha>/<name>``. A file there is visible
    while it is written, so uploads are published by rename as on HDFS.
    """

    scheme = "memory"
    publish_by_rename = True

    def _create_filesystem(self) -> Any:
        fsspec = import_optional("fsspec", type(self).__name__, None)
        return fsspec.filesystem("memory")

    @property
    def authority(self) -> str:
        return ""
