"""A blob manager on the local file system, for client, server and workers on one host."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from ai_flow.blob_manager._content import (
    Hasher,
    Manifest,
    ManifestFile,
    blob_name,
    blob_parts,
    chunks,
    one_line,
    parse_blob_parts,
    walk_directory,
)
from ai_flow.blob_manager._interface import BlobManager, BlobManagerError
from ai_flow.blob_manager._local_files import staged_directory, write_file_atomically


class LocalBlobManager(BlobManager):
    """Content-addressed store: `<root_directory>/<sha[:2]>/<sha256>/<name>`.

    `<name>` is a file (sha256 of its bytes) or a directory (sha256 of its name and
    manifest, see ``_content``). The same content under the same name always maps to the
    same path, so repeated uploads are stored once, and different content never shares
    one. Blobs are assembled under `<root_directory>/.tmp` and renamed into place, so a
    reader never sees a partial blob; URIs are plain absolute paths.
    """

    def __init__(self, config: dict[str, Any] | None) -> None:
        super().__init__(config)
        root = self.config.get("root_directory")
        if not root:
            raise BlobManagerError("LocalBlobManager needs 'root_directory' in blob_manager_config")
        self.root = Path(str(root)).expanduser().resolve()

    def upload(self, local_file_path: str) -> str:
        source = Path(local_file_path)
        try:
            if source.is_dir():
                return self._store_directory(source)
            if not source.is_file():
                raise BlobManagerError(f"cannot upload {source}: not a file or directory")
            with source.open("rb") as f:
                return self._store(blob_name(source.name), chunks(f))
        except OSError as exc:
            raise BlobManagerError(
                f"cannot upload {source} to {self.root}: {one_line(exc)}"
            ) from exc

    def upload_bytes(self, name: str, data: bytes) -> str:
        try:
            return self._store(blob_name(name), iter([data]))
        except OSError as exc:
            raise BlobManagerError(f"cannot upload {name} to {self.root}: {one_line(exc)}") from exc

    def download(self, remote_file_path: str, local_dir: str) -> str:
        uri = remote_file_path
        blob = self._blob_path(uri)
        digest = blob.parent.name
        target = Path(local_dir) / blob.name
        try:
            if blob.is_dir():
                with staged_directory(target) as staging:
                    if _copy_tree(blob, staging, blob.name).digest != digest:
                        raise _corrupt(uri)
            else:

                def fill(out: BinaryIO) -> None:
                    with blob.open("rb") as src:
                        if _copy(src, out) != digest:
                            raise _corrupt(uri)

                write_file_atomically(target, fill)
        except OSError as exc:
            raise BlobManagerError(f"cannot download '{uri}': {one_line(exc)}") from exc
        return str(target)

    def read_bytes(self, uri: str) -> bytes:
        blob = self._blob_path(uri)
        if blob.is_dir():
            raise BlobManagerError(f"blob '{uri}' is a directory, not a file")
        try:
            data = blob.read_bytes()
        except OSError as exc:
            raise BlobManagerError(f"cannot read '{uri}': {one_line(exc)}") from exc
        if hashlib.sha256(data).hexdigest() != blob.parent.name:
            raise _corrupt(uri)
        return data

    def _staging(self) -> Path:
        staging = self.root / ".tmp"
        staging.mkdir(parents=True, exist_ok=True)
        return staging

    def _store(self, name: str, data: Iterable[bytes]) -> str:
        hasher = Hasher()
        fd, tmp = tempfile.mkstemp(dir=self._staging())
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in data:
                    out.write(hasher.update(chunk))
                out.flush()
                os.fsync(out.fileno())
            final = self.root.joinpath(*blob_parts(hasher.hexdigest(), name))
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

    def _store_directory(self, source: Path) -> str:
        name = blob_name(os.path.basename(os.path.abspath(source)))
        if self.root.is_relative_to(source.resolve()):
            raise BlobManagerError(
                f"cannot upload {source}: it contains the blob store {self.root}"
            )
        work = Path(tempfile.mkdtemp(dir=self._staging()))
        try:
            copy = work / name
            # Hash what is copied, in one pass: the key is the digest of what is stored.
            digest = _copy_tree(source, copy, name).digest
            final = self.root.joinpath(*blob_parts(digest, name))
            if not final.exists():
                final.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.rename(copy, final)
                except OSError:
                    if not final.is_dir():  # not a concurrent upload of the same content
                        raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return str(final)

    def _blob_path(self, uri: str) -> Path:
        # Normalised (symlinks and `..` resolved) before comparing with the root: only
        # serve blobs this manager stored, never arbitrary files named by a URI.
        path = Path(uri.removeprefix("file://")).resolve()
        if not path.is_relative_to(self.root) or (
            parse_blob_parts(path.relative_to(self.root).parts) is None
        ):
            raise BlobManagerError(f"'{uri}' is not a blob under {self.root}")
        if not path.exists():
            raise BlobManagerError(f"blob '{uri}' does not exist")
        return path


def _copy(src: BinaryIO, out: BinaryIO) -> str:
    """Copy a stream; the SHA-256 of what was copied."""
    hasher = Hasher()
    for chunk in chunks(src):
        out.write(hasher.update(chunk))
    return hasher.hexdigest()


def _copy_tree(source: Path, dest: Path, name: str) -> Manifest:
    """Copy the directory `source` to `dest` (created, or existing and empty); the
    manifest of what was copied, as a directory blob called `name`."""
    files, dirs = walk_directory(source)
    dest.mkdir(exist_ok=True)
    for rel in dirs:
        (dest / rel).mkdir(parents=True, exist_ok=True)
    entries = []
    for rel, path, executable in files:
        target = dest / rel
        with path.open("rb") as src, target.open("wb") as out:
            sha = _copy(src, out)
        if executable:
            target.chmod(0o755)
        entries.append(ManifestFile(rel, target.stat().st_size, sha, executable))
    return Manifest(name, tuple(entries), tuple(dirs))


def _corrupt(uri: str) -> BlobManagerError:
    return BlobManagerError(f"blob '{uri}' is corrupt: its content does not match its key")
