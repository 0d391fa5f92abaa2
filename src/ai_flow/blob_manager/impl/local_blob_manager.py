"""A blob manager on the local file system, for client, server and workers on one host."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ai_flow.blob_manager._interface import BlobManager, BlobManagerError

_CHUNK = 1024 * 1024


class LocalBlobManager(BlobManager):
    """Content-addressed store: `<root_directory>/<sha[:2]>/<sha256>/<file name>`.

    The same content under the same name always maps to the same path, so repeated
    uploads are stored once. Writes go to a temporary file renamed into place, so a
    reader never sees a partial blob.
    """

    def __init__(self, config: dict[str, Any] | None) -> None:
        super().__init__(config)
        root = self.config.get("root_directory")
        if not root:
            raise BlobManagerError("LocalBlobManager needs 'root_directory' in blob_manager_config")
        self.root = Path(str(root)).expanduser().resolve()

    def upload(self, local_file_path: str) -> str:
        source = Path(local_file_path)
        if not source.is_file():
            raise BlobManagerError(f"cannot upload {source}: not a file")
        with source.open("rb") as f:
            return self._store(source.name, iter(lambda: f.read(_CHUNK), b""))

    def upload_bytes(self, name: str, data: bytes) -> str:
        return self._store(Path(name).name, iter([data]))

    def download(self, remote_file_path: str, local_dir: str) -> str:
        blob = self._blob_path(remote_file_path)
        target_dir = Path(local_dir)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / blob.name
        fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".download-")
        try:
            with os.fdopen(fd, "wb") as out, blob.open("rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(target)

    def read_bytes(self, uri: str) -> bytes:
        return self._blob_path(uri).read_bytes()

    def _store(self, name: str, chunks: Iterable[bytes]) -> str:
        staging = self.root / ".tmp"
        staging.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=staging)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.root / sha[:2] / sha / name
            if final.exists():
                Path(tmp).unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                # Same file system as the staging dir, so the rename is atomic.
                os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return str(final)

    def _blob_path(self, uri: str) -> Path:
        path = Path(uri.removeprefix("file://")).resolve()
        # Only serve blobs this manager stored, never arbitrary files named by a URI.
        if not path.is_relative_to(self.root) or path.parent.parent.parent != self.root:
            raise BlobManagerError(f"'{uri}' is not a blob under {self.root}")
        if not path.is_file():
            raise BlobManagerError(f"blob '{uri}' does not exist")
        return path
