"""The files of a workflow snapshot: the workflow file plus its artifacts.

Artifacts are files or directories; a directory is stored as one zip blob and lands
under its own name beside the workflow file (``dataset/...``). Whoever needs the files
(an evaluator, a task on any host) fetches them into a directory of its own.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ai_flow.blob_manager._interface import BlobManager, BlobManagerError


@dataclass(frozen=True)
class Artifact:
    name: str
    uri: str
    directory: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "uri": self.uri}
        if self.directory:
            out["directory"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Artifact:
        return cls(str(data["name"]), str(data["uri"]), bool(data.get("directory", False)))


@dataclass(frozen=True)
class SnapshotFiles:
    """Where a snapshot's files are stored; enough to fetch them anywhere."""

    snapshot_id: int
    file_name: str
    uri: str
    artifacts: tuple[Artifact, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "file_name": self.file_name,
            "uri": self.uri,
            "artifacts": [a.to_dict() for a in self.artifacts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SnapshotFiles:
        return cls(
            int(data["snapshot_id"]),
            str(data["file_name"]),
            str(data["uri"]),
            tuple(Artifact.from_dict(a) for a in data.get("artifacts") or []),
        )


def upload_artifact(blobs: BlobManager, path: Path) -> Artifact:
    """Store a file, or a directory as one zip, and describe it."""
    if path.is_dir():
        with tempfile.TemporaryDirectory(prefix="aiflow-artifact-") as tmp:
            archive = Path(tmp) / f"{path.name}.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    zf.write(file, file.relative_to(path).as_posix())
            return Artifact(path.name, blobs.upload(str(archive)), directory=True)
    return Artifact(path.name, blobs.upload(str(path)))


def fetch_snapshot(blobs: BlobManager, files: SnapshotFiles, target: Path) -> Path:
    """Fetch the snapshot into `target` (created whole or not at all, never changed
    once there); returns the path of the workflow file."""
    main = target / files.file_name
    if main.exists():
        return main
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        blobs.download(files.uri, str(tmp))
        fetch_artifacts(blobs, files.artifacts, tmp)
        # The rename publishes a complete directory or nothing; a concurrent fetcher
        # that lost the race uses the winner's copy.
        try:
            tmp.rename(target)
        except OSError:
            if not main.exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return main


def fetch_artifacts(blobs: BlobManager, artifacts: Sequence[Artifact], directory: Path) -> None:
    for artifact in artifacts:
        if not artifact.directory:
            blobs.download(artifact.uri, str(directory))
            continue
        with tempfile.TemporaryDirectory(dir=directory, prefix=".zip-") as tmp:
            archive = Path(blobs.download(artifact.uri, tmp))
            _extract(archive, directory / artifact.name)


def _extract(archive: Path, into: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            parts = PurePosixPath(member).parts
            if PurePosixPath(member).is_absolute() or ".." in parts:
                raise BlobManagerError(f"{archive.name}: refusing the member {member!r}")
        into.mkdir(parents=True, exist_ok=True)
        zf.extractall(into)
