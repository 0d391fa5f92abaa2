"""One blob manager over any fsspec file system; the remote backends are thin subclasses
that build their file system (and import its package only then).

Layout under the configured root, the same as the local store's::

    <root>/<sha[:2]>/<sha>/<name>                       a file (sha of its bytes)
    <root>/<sha[:2]>/<sha>/<name>/<relative path>...    a directory's files
    <root>/<sha[:2]>/<sha>/.aiflow-manifest.json        ...and its manifest, written last

Keys are content addressed, so nothing is ever overwritten with different bytes and a
re-upload of the same content is stored once. A file appears under its key complete or
not at all: object stores publish a PUT atomically; where a file is visible while it is
written (HDFS, memory) it is written under ``<root>/.tmp/`` and renamed into place. A
directory counts only once its manifest exists. Downloads check every byte against the
digest in the key and land atomically (temporary file or directory, then rename).
Every failure is a BlobManagerError naming the URI and the cause.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import uuid
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from ai_flow.blob_manager._content import (
    MANIFEST_NAME,
    Hasher,
    Manifest,
    blob_name,
    blob_parts,
    chunks,
    directory_manifest,
    file_digest,
    one_line,
    parse_blob_parts,
    root_parts,
    safe_relative,
)
from ai_flow.blob_manager._interface import BlobManager, BlobManagerError
from ai_flow.blob_manager._local_files import staged_directory, write_file_atomically

log = logging.getLogger(__name__)

_Parts = tuple[str, ...]


class FsspecBlobManager(BlobManager):
    """Content-addressed blob store on an fsspec file system (config: `root_directory`).

    A subclass sets `scheme` (of the URIs it returns), builds its file system in
    `_create_filesystem`, names the `authority` of its URIs (bucket, host:port, or "")
    and, if its paths are not ``/<root>/...``, overrides `_fs_path`.
    """

    #: Scheme of the URIs this manager returns, e.g. "s3".
    scheme: ClassVar[str] = ""
    #: True where a file is visible while it is being written: publish by rename.
    publish_by_rename: ClassVar[bool] = False

    def __init__(self, config: dict[str, Any] | None) -> None:
        super().__init__(config)
        self.root: _Parts = root_parts(str(self.config.get("root_directory") or ""))
        self.fs: Any = self._create_filesystem()

    @abstractmethod
    def _create_filesystem(self) -> Any:
        """The fsspec file system (import its package here, via import_optional)."""

    @property
    @abstractmethod
    def authority(self) -> str:
        """The part of URIs between ``scheme://`` and the path."""

    def _fs_path(self, parts: Sequence[str]) -> str:
        """The file system's path of the key `parts` (root included)."""
        return "/" + "/".join(parts)

    @property
    def root_uri(self) -> str:
        return self._uri(self.root)

    def fs_path_of(self, uri: str) -> str:
        """The path in `fs` of the blob `uri` (refused if it is not one of this store)."""
        return self._fs_path(self._parse(uri)[0])

    # The BlobManager interface.

    def upload(self, local_file_path: str) -> str:
        source = Path(local_file_path)
        if source.is_dir():
            return self._guard(f"cannot upload {source} to {self.root_uri}", self._put_dir, source)
        if not source.is_file():
            raise BlobManagerError(f"cannot upload {source}: not a file or directory")
        return self._guard(f"cannot upload {source} to {self.root_uri}", self._put_file, source)

    def upload_bytes(self, name: str, data: bytes) -> str:
        base = blob_name(name)
        parts = self.root + blob_parts(hashlib.sha256(data).hexdigest(), base)
        return self._guard(f"cannot upload {base} to {self.root_uri}", self._put_data, parts, data)

    def download(self, remote_file_path: str, local_dir: str) -> str:
        uri = remote_file_path
        parts, _digest, name = self._parse(uri)
        target = Path(local_dir) / name
        if self._kind(uri, parts) == "directory":
            return str(self._guard(f"cannot download '{uri}'", self._get_dir, uri, parts, target))
        return str(self._guard(f"cannot download '{uri}'", self._get_file, uri, parts, target))

    def read_bytes(self, uri: str) -> bytes:
        parts, digest, _name = self._parse(uri)
        try:
            data: bytes = self.fs.cat_file(self._fs_path(parts))
        except (FileNotFoundError, IsADirectoryError) as exc:
            if self._kind(uri, parts) == "directory":
                raise BlobManagerError(f"blob '{uri}' is a directory, not a file") from exc
            raise BlobManagerError(f"blob '{uri}' does not exist") from exc
        except Exception as exc:  # noqa: BLE001 - any failure of the store, named
            raise BlobManagerError(f"cannot read '{uri}': {one_line(exc)}") from exc
        if hashlib.sha256(data).hexdigest() != digest:
            # Some file systems read a directory as an empty file.
            if self._kind(uri, parts) == "directory":
                raise BlobManagerError(f"blob '{uri}' is a directory, not a file")
            raise BlobManagerError(f"blob '{uri}' is corrupt: its content does not match its key")
        return data

    # URIs and keys.

    def _uri(self, parts: Sequence[str]) -> str:
        return f"{self.scheme}://{self.authority}/" + "/".join(parts)

    def _parse(self, uri: str) -> tuple[_Parts, str, str]:
        """(key parts, digest, name) of a blob URI of this store; anything else refused."""
        scheme, sep, rest = uri.partition("://")
        authority, _, path = rest.partition("/")
        if sep and scheme == self.scheme and authority == self.authority:
            # Normalised before comparing: `a/../b`, `//` and `.` cannot climb out.
            parts = tuple(p for p in posixpath.normpath("/" + path).split("/") if p)
            if parts[: len(self.root)] == self.root:
                found = parse_blob_parts(parts[len(self.root) :])
                if found is not None:
                    return parts, found[0], found[1]
        raise BlobManagerError(f"'{uri}' is not a blob under {self.root_uri}")

    def _kind(self, uri: str, parts: _Parts) -> str:
        """ "file" or "directory": what the blob `uri` is; BlobManagerError if missing."""
        try:
            try:
                info = self.fs.info(self._fs_path(parts))
            except FileNotFoundError:
                # An object store has no empty directories: a directory blob without
                # files is known by its manifest alone.
                if self._complete((*parts[:-1], MANIFEST_NAME), None):
                    return "directory"
                raise
        except FileNotFoundError as exc:
            raise BlobManagerError(f"blob '{uri}' does not exist") from exc
        except Exception as exc:  # noqa: BLE001 - any failure of the store, named
            raise BlobManagerError(f"cannot download '{uri}': {one_line(exc)}") from exc
        return "directory" if info.get("type") == "directory" else "file"

    def _guard(self, what: str, fn: Any, *args: Any) -> Any:
        """Run `fn`; any failure but a BlobManagerError becomes one naming `what`."""
        try:
            return fn(*args)
        except BlobManagerError:
            raise
        except FileNotFoundError as exc:
            raise BlobManagerError(f"{what}: does not exist ({one_line(exc)})") from exc
        except Exception as exc:  # noqa: BLE001 - any failure of the store, named
            raise BlobManagerError(f"{what}: {one_line(exc)}") from exc

    # Uploads.

    def _put_file(self, source: Path) -> str:
        name = blob_name(os.path.basename(os.path.abspath(source)))
        if self.publish_by_rename:
            # One pass: the digest is known once the temporary copy is written.
            tmp = self._tmp_parts(name)
            try:
                digest, size = self._write(tmp, source, None)
                parts = self.root + blob_parts(digest, name)
                if not self._complete(parts, size):
                    self._rename(tmp, parts)
            finally:
                self._remove_quietly(tmp)
            return self._uri(parts)
        digest, size = file_digest(source)
        parts = self.root + blob_parts(digest, name)
        if not self._complete(parts, size):
            self._write(parts, source, digest)
        return self._uri(parts)

    def _put_data(self, parts: _Parts, data: bytes) -> str:
        if not self._complete(parts, len(data)):
            self._write_bytes(parts, data)
        return self._uri(parts)

    def _put_dir(self, source: Path) -> str:
        name = blob_name(os.path.basename(os.path.abspath(source)))
        manifest = directory_manifest(source, name)
        digest = manifest.digest
        base = self.root + blob_parts(digest, name)
        marker = self.root + blob_parts(digest, MANIFEST_NAME)
        if self._complete(marker, None):
            return self._uri(base)
        # Each file written straight to its key (one explicit file at a time, never a
        # recursive put): the directory is not served until the manifest exists.
        for entry in manifest.files:
            rel = safe_relative(entry.path)
            self._write(base + rel.parts, source / rel, entry.sha256)
        self._write_bytes(marker, manifest.to_json().encode())
        return self._uri(base)

    def _complete(self, parts: _Parts, size: int | None) -> bool:
        """True if the key holds a complete blob (of `size` bytes, if given)."""
        try:
            info = self.fs.info(self._fs_path(parts))
        except FileNotFoundError:
            return False
        return info.get("type") == "file" and (size is None or info.get("size") == size)

    def _write(self, parts: _Parts, source: Path, expected: str | None) -> tuple[str, int]:
        """Stream `source` to the key; (digest, size). With `expected`, the write is
        abandoned if the file's content changed since it was hashed."""
        hasher = Hasher()
        out = self.fs.open(self._fs_path(parts), "wb")
        try:
            with source.open("rb") as src:
                for chunk in chunks(src):
                    out.write(hasher.update(chunk))
            if expected is not None and hasher.hexdigest() != expected:
                raise BlobManagerError(f"{source} changed while it was being uploaded")
        except BaseException:
            _discard(out)
            raise
        out.close()
        return hasher.hexdigest(), hasher.size

    def _write_bytes(self, parts: _Parts, data: bytes) -> None:
        if not self.publish_by_rename:
            self.fs.pipe_file(self._fs_path(parts), data)
            return
        tmp = self._tmp_parts(parts[-1])
        try:
            self.fs.pipe_file(self._fs_path(tmp), data)
            self._rename(tmp, parts)
        finally:
            self._remove_quietly(tmp)

    def _tmp_parts(self, name: str) -> _Parts:
        return (*self.root, ".tmp", f"{uuid.uuid4().hex}-{name}")

    def _rename(self, tmp: _Parts, parts: _Parts) -> None:
        target = self._fs_path(parts)
        self.fs.makedirs(self._fs_path(parts[:-1]), exist_ok=True)
        try:
            self.fs.mv(self._fs_path(tmp), target)
        except Exception:
            if not self._complete(parts, None):  # a concurrent upload may have won
                raise
        if not self._complete(parts, None):
            raise BlobManagerError(f"renaming the upload to {self._uri(parts)} had no effect")

    def _remove_quietly(self, parts: _Parts) -> None:
        path = self._fs_path(parts)
        try:
            if self.fs.exists(path):
                self.fs.rm_file(path)
        except Exception as exc:  # noqa: BLE001 - leftover temporary file, not a failure
            log.warning("could not remove the temporary blob %s: %s", path, one_line(exc))

    # Downloads.

    def _get_file(self, uri: str, parts: _Parts, target: Path) -> Path:
        def fill(out: BinaryIO) -> None:
            self._copy_checked(uri, parts, parts[-2], out)

        return write_file_atomically(target, fill)

    def _get_dir(self, uri: str, parts: _Parts, target: Path) -> Path:
        digest, name = parts[-2], parts[-1]
        marker = self._fs_path((*parts[:-1], MANIFEST_NAME))
        try:
            raw = self.fs.cat_file(marker)
        except FileNotFoundError as exc:
            raise BlobManagerError(
                f"directory blob '{uri}' is incomplete (its manifest is missing)"
            ) from exc
        manifest = Manifest.from_json(raw)
        if manifest.digest != digest or manifest.name != name:
            raise BlobManagerError(
                f"directory blob '{uri}' is corrupt: its manifest is not its key"
            )
        with staged_directory(target) as staging:
            for sub in manifest.dirs:
                (staging / safe_relative(sub)).mkdir(parents=True, exist_ok=True)
            for entry in manifest.files:
                rel = safe_relative(entry.path)
                dest = staging / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                with dest.open("wb") as out:
                    self._copy_checked(uri, parts + rel.parts, entry.sha256, out)
                if entry.executable:
                    mode = dest.stat().st_mode
                    dest.chmod(mode | ((mode & 0o444) >> 2))
        return target

    def _copy_checked(self, uri: str, parts: _Parts, digest: str, out: BinaryIO) -> None:
        hasher = Hasher()
        with self.fs.open(self._fs_path(parts), "rb") as src:
            for chunk in chunks(src):
                out.write(hasher.update(chunk))
        if hasher.hexdigest() != digest:
            raise BlobManagerError(f"blob '{uri}' is corrupt: its content does not match its key")


def _discard(out: Any) -> None:
    """Abandon a file opened for writing without publishing what was written (cleanup:
    the failure that led here is what the caller raises)."""
    try:
        discard = getattr(out, "discard", None)
        if callable(discard):
            discard()  # e.g. aborts an S3 multipart upload, removes a partial HDFS file
    except Exception as exc:  # noqa: BLE001 - cleanup only
        log.warning("could not discard a partial upload: %s", one_line(exc))
    try:
        out.closed = True  # buffered fsspec files: close() must not flush now
    except (AttributeError, TypeError):
        pass
