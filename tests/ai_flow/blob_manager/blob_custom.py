"""A user's own blob manager, as "Customizing Blob Manager" describes: a few lines over
FsspecBlobManager (here fsspec's local file system), created by its dotted class path."""

from __future__ import annotations

from typing import Any

import fsspec

from ai_flow.blob_manager import FsspecBlobManager


class FileBlobManager(FsspecBlobManager):
    """``file:///<root_directory>/...``; a local file is visible while it is written."""

    scheme = "file"
    publish_by_rename = True

    def _create_filesystem(self) -> Any:
        return fsspec.filesystem("file", auto_mkdir=True)

    @property
    def authority(self) -> str:
        return ""


CLASS_PATH = f"{__name__}.FileBlobManager"
