"""The plug-in interface every blob manager implements."""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class BlobManagerError(Exception):
    """A blob manager cannot be created or cannot serve a request; str() is one line."""


class BlobManager(ABC):
    """Central storage for workflow sources and artifacts.

    Implementations take their `blob_manager_config` mapping in `__init__` and return
    URIs that any other instance configured the same way can download. The built-in
    ones also store directories, never overwrite a key with different content, place
    downloads atomically, refuse URIs outside their root and raise BlobManagerError
    (naming the URI and the cause) for every failure.
    """

    def __init__(self, config: dict[str, Any] | None) -> None:
        self.config: dict[str, Any] = dict(config or {})

    @abstractmethod
    def upload(self, local_file_path: str) -> str:
        """Store the file (built-in managers: or directory) and return its URI."""

    @abstractmethod
    def download(self, remote_file_path: str, local_dir: str) -> str:
        """Copy the blob at URI `remote_file_path` into `local_dir` under its name (a
        directory blob lands as a directory); return the local path."""

    def upload_bytes(self, name: str, data: bytes) -> str:
        """Store `data` as a file called `name` and return its URI."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(name).name
            path.write_bytes(data)
            return self.upload(str(path))

    def read_bytes(self, uri: str) -> bytes:
        """The content of the blob at `uri`."""
        with tempfile.TemporaryDirectory() as tmp:
            return Path(self.download(uri, tmp)).read_bytes()
