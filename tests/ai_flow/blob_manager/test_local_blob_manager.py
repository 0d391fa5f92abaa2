"""LocalBlobManager and the blob manager factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ai_flow.blob_manager import BlobManager, BlobManagerError, create_blob_manager
from ai_flow.blob_manager.impl.local_blob_manager import LocalBlobManager
from ai_flow.settings import LOCAL_BLOB_MANAGER


@pytest.fixture
def manager(tmp_path: Path) -> LocalBlobManager:
    return LocalBlobManager({"root_directory": str(tmp_path / "blob")})


def test_upload_and_download(manager: LocalBlobManager, tmp_path: Path) -> None:
    src = tmp_path / "wf.py"
    src.write_text("print('hi')\n")
    uri = manager.upload(str(src))
    assert Path(uri).is_relative_to(manager.root) and Path(uri).name == "wf.py"
    local = manager.download(uri, str(tmp_path / "work" / "dir"))
    assert local == str(tmp_path / "work" / "dir" / "wf.py")
    assert Path(local).read_text() == "print('hi')\n"
    # No temporary files are left behind.
    assert list((tmp_path / "work" / "dir").iterdir()) == [Path(local)]
    assert list((manager.root / ".tmp").iterdir()) == []


def test_identical_uploads_dedupe(manager: LocalBlobManager, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "f.txt").write_bytes(b"same")
    (b / "f.txt").write_bytes(b"same")
    assert manager.upload(str(a / "f.txt")) == manager.upload(str(b / "f.txt"))
    (b / "f.txt").write_bytes(b"different")
    assert manager.upload(str(a / "f.txt")) != manager.upload(str(b / "f.txt"))
    blobs = [p for p in manager.root.rglob("*") if p.is_file()]
    assert len(blobs) == 2


def test_bytes_helpers(manager: LocalBlobManager) -> None:
    uri = manager.upload_bytes("dir/../data.bin", b"\x00\x01" * 1000)
    assert Path(uri).name == "data.bin"
    assert manager.read_bytes(uri) == b"\x00\x01" * 1000
    assert manager.upload_bytes("data.bin", b"\x00\x01" * 1000) == uri


def test_default_bytes_helpers_use_upload_and_download(tmp_path: Path) -> None:
    class Plain(BlobManager):
        """Implements only the abstract methods, on top of a LocalBlobManager."""

        def __init__(self, config: dict[str, Any]) -> None:
            super().__init__(config)
            self.inner = LocalBlobManager(config)

        def upload(self, local_file_path: str) -> str:
            return self.inner.upload(local_file_path)

        def download(self, remote_file_path: str, local_dir: str) -> str:
            return self.inner.download(remote_file_path, local_dir)

    plain = Plain({"root_directory": str(tmp_path)})
    uri = plain.upload_bytes("x.txt", b"abc")
    assert Path(uri).name == "x.txt" and plain.read_bytes(uri) == b"abc"


def test_refuses_paths_outside_root(manager: LocalBlobManager, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_text("s")
    with pytest.raises(BlobManagerError, match="is not a blob under"):
        manager.download(str(outside), str(tmp_path / "out"))
    with pytest.raises(BlobManagerError, match="is not a blob under"):
        manager.read_bytes(str(manager.root / ".." / "secret"))
    missing = manager.root / "ab" / ("ab" + "0" * 62) / "gone.txt"
    with pytest.raises(BlobManagerError, match="does not exist"):
        manager.read_bytes(str(missing))


def test_upload_errors(tmp_path: Path) -> None:
    with pytest.raises(BlobManagerError, match="needs 'root_directory'"):
        LocalBlobManager({})
    manager = LocalBlobManager({"root_directory": str(tmp_path)})
    with pytest.raises(BlobManagerError, match="not a file or directory"):
        manager.upload(str(tmp_path / "missing.py"))
    # A directory is stored, but not one that holds the store itself.
    with pytest.raises(BlobManagerError, match="it contains the blob store"):
        manager.upload(str(tmp_path))


def test_factory_creates_documented_class(tmp_path: Path) -> None:
    manager = create_blob_manager(LOCAL_BLOB_MANAGER, {"root_directory": str(tmp_path)})
    assert isinstance(manager, LocalBlobManager)
    assert manager.config == {"root_directory": str(tmp_path)}


@pytest.mark.parametrize(
    ("class_path", "message"),
    [
        ("nope.module.Blob", r"^cannot import blob manager class 'nope\.module\.Blob': No module"),
        (
            "ai_flow.blob_manager.impl.local_blob_manager.Missing",
            r"has no attribute 'Missing'",
        ),
        ("LocalBlobManager", "must be a dotted path"),
        ("pathlib.Path", r"^'pathlib\.Path' is not a subclass of BlobManager$"),
    ],
)
def test_factory_errors(class_path: str, message: str) -> None:
    with pytest.raises(BlobManagerError, match=message):
        create_blob_manager(class_path, {})
