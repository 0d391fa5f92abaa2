"""Content addressing, shared by every blob manager: digests, directory manifests and
the key layout ``<root>/<digest[:2]>/<digest>/<name>``.

A file's digest is the SHA-256 of its bytes. A directory's digest is the SHA-256 of its
name and its manifest (every file's relative path, size, digest and executable bit, and
every sub-directory), so two different contents never share a key, and the same content
always maps to the same one (re-uploads are stored once).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from ai_flow.blob_manager._interface import BlobManagerError

CHUNK = 1024 * 1024
#: Beside a directory blob on stores without atomic directories: written last, it is
#: the commit marker (a directory without it is incomplete and never served).
MANIFEST_NAME = ".aiflow-manifest.json"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DIRECTORY_DOMAIN = b"aiflow-directory-v1\0"


def blob_name(name: str) -> str:
    """The last component of `name`, refused if it cannot name a blob."""
    base = PurePosixPath(name.replace("\\", "/")).name
    if base in ("", ".", "..") or base == MANIFEST_NAME:
        raise BlobManagerError(f"'{name}' cannot name a blob")
    return base


def blob_parts(digest: str, name: str) -> tuple[str, str, str]:
    """The key of a blob below the root."""
    return (digest[:2], digest, name)


def parse_blob_parts(parts: Sequence[str]) -> tuple[str, str] | None:
    """(digest, name) if `parts` (relative to the root, normalised) is a blob key."""
    if len(parts) != 3:
        return None
    prefix, digest, name = parts
    if not _HEX64.fullmatch(digest) or prefix != digest[:2]:
        return None
    if name in ("", ".", "..", MANIFEST_NAME) or "/" in name:
        return None
    return digest, name


def root_parts(root: str) -> tuple[str, ...]:
    """The components of a configured root directory, refused if it climbs (`..`)."""
    parts = tuple(p for p in root.replace("\\", "/").split("/") if p not in ("", "."))
    if ".." in parts:
        raise BlobManagerError(f"root_directory '{root}' must not contain '..'")
    return parts


class Hasher:
    """SHA-256 of a stream of chunks, with its size."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> bytes:
        self._sha.update(chunk)
        self.size += len(chunk)
        return chunk

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: stream.read(CHUNK), b"")


def file_digest(path: Path) -> tuple[str, int]:
    """(SHA-256, size) of a local file."""
    hasher = Hasher()
    with path.open("rb") as f:
        for chunk in chunks(f):
            hasher.update(chunk)
    return hasher.hexdigest(), hasher.size


@dataclass(frozen=True)
class ManifestFile:
    path: str  # relative, POSIX separators
    size: int
    sha256: str
    executable: bool = False


@dataclass(frozen=True)
class Manifest:
    """What a directory blob holds; the digest covers all of it and the name."""

    name: str
    files: tuple[ManifestFile, ...]
    dirs: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        return hashlib.sha256(_DIRECTORY_DOMAIN + self.to_json().encode()).hexdigest()

    def to_json(self) -> str:
        data = {
            "version": 1,
            "name": self.name,
            "files": [[f.path, f.size, f.sha256, f.executable] for f in self.files],
            "dirs": list(self.dirs),
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        try:
            data: Any = json.loads(text)
            files = tuple(
                ManifestFile(str(p), int(s), str(h), bool(x)) for p, s, h, x in data["files"]
            )
            manifest = cls(str(data["name"]), files, tuple(str(d) for d in data["dirs"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BlobManagerError(f"not a directory manifest: {exc}") from None
        for rel in [f.path for f in files] + list(manifest.dirs):
            safe_relative(rel)
        return manifest


def safe_relative(rel: str) -> PurePosixPath:
    """A relative path inside a directory blob, refused if it could land outside."""
    path = PurePosixPath(rel)
    if not rel or path.is_absolute() or ".." in path.parts or "\\" in rel:
        raise BlobManagerError(f"refusing the path {rel!r} in a directory blob")
    return path


def walk_directory(root: Path) -> tuple[list[tuple[str, Path, bool]], list[str]]:
    """(files as (relative path, path, executable), sub-directories), sorted.

    Symbolic links to files are stored as the files they point to; links to directories
    and special files (sockets, FIFOs) are refused rather than silently dropped.
    """
    files: list[tuple[str, Path, bool]] = []
    dirs: list[str] = []
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(current)
        for d in sorted(dirnames):
            path = base / d
            if path.is_symlink():
                raise BlobManagerError(
                    f"cannot upload {root}: {path} is a symbolic link to a directory"
                )
            dirs.append(path.relative_to(root).as_posix())
        for f in filenames:
            path = base / f
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                raise BlobManagerError(f"cannot upload {root}: {path}: {exc}") from None
            if not stat.S_ISREG(mode):
                raise BlobManagerError(f"cannot upload {root}: {path} is not a regular file")
            files.append((path.relative_to(root).as_posix(), path, bool(mode & 0o100)))
    files.sort()
    dirs.sort()
    return files, dirs


def directory_manifest(root: Path, name: str) -> Manifest:
    """The manifest of a local directory (reads every file once)."""
    files, dirs = walk_directory(root)
    entries = []
    for rel, path, executable in files:
        digest, size = file_digest(path)
        entries.append(ManifestFile(rel, size, digest, executable))
    return Manifest(name, tuple(entries), tuple(dirs))


def one_line(exc: BaseException) -> str:
    """`Type: message` on one line, for error messages that name their cause."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
