"""The one contract every blob manager keeps, run against every backend (conftest.py)."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import Backend

from ai_flow.blob_manager import BlobManager, BlobManagerError

BIG = 3 * 1024 * 1024 + 17  # a few MB, not a multiple of any chunk size


def _tree(root: Path) -> dict[str, bytes | None]:
    """Relative path -> content (None for a directory), and executable bits."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            out[rel + "/"] = None
        else:
            out[rel] = path.read_bytes()
            out[rel + ":x"] = str(os.access(path, os.X_OK)).encode()
    return out


def _make_dir(base: Path, name: str = "dataset") -> Path:
    root = base / name
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.txt").write_text("alpha\n")
    (root / "nested" / "b.csv").write_text("x,y\n1,2\n")
    (root / "nested" / "deeper" / "big.bin").write_bytes(os.urandom(BIG))
    (root / "nested" / "zero").write_bytes(b"")
    script = root / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    return root


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def _missing(uri: str) -> str:
    """A well-formed URI of a blob that was never stored, next to `uri`."""
    digest = next(p for p in uri.split("/") if len(p) == 64)
    other = hashlib.sha256(b"never stored").hexdigest()
    return uri.replace(f"{digest[:2]}/{digest}", f"{other[:2]}/{other}")


def test_file_round_trip(backend: Backend, blobs: BlobManager, tmp_path: Path) -> None:
    src = tmp_path / "src" / "wf.py"
    src.parent.mkdir()
    src.write_text("print('hi')\n")
    uri = blobs.upload(str(src))
    assert uri.endswith("/wf.py")

    other_host = backend.make()  # configured the same way: the URI is all it needs
    out = tmp_path / "work" / "dir"
    local = other_host.download(uri, str(out))
    assert local == str(out / "wf.py")
    assert Path(local).read_text() == "print('hi')\n"
    assert list(out.iterdir()) == [Path(local)]  # no temporary file left behind
    assert other_host.read_bytes(uri) == b"print('hi')\n"

    data = os.urandom(BIG)
    uri2 = blobs.upload_bytes("dir/../data.bin", data)
    assert uri2.endswith("/data.bin")
    assert other_host.read_bytes(uri2) == data
    assert Path(other_host.download(uri2, str(out))).read_bytes() == data


def test_directory_round_trip(
    backend: Backend, blobs: BlobManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _make_dir(tmp_path / "src")
    uri = blobs.upload(str(source))
    assert uri.endswith("/dataset")
    monkeypatch.chdir(source)
    assert blobs.upload(".") == uri  # named by the directory, however it is written

    out = tmp_path / "out"
    local = backend.make().download(uri, str(out))
    assert local == str(out / "dataset")
    assert _tree(Path(local)) == _tree(source)
    assert _leftovers(out) == []
    # Downloading again replaces the directory whole (here: a stale file goes away).
    (Path(local) / "stale.txt").write_text("old")
    assert backend.make().download(uri, str(out)) == local
    assert _tree(Path(local)) == _tree(source)
    with pytest.raises(BlobManagerError, match="is a directory"):
        blobs.read_bytes(uri)


def test_empty_directories(backend: Backend, blobs: BlobManager, tmp_path: Path) -> None:
    (tmp_path / "src" / "empty").mkdir(parents=True)
    (tmp_path / "src" / "hollow" / "inner").mkdir(parents=True)
    for name in ("empty", "hollow"):
        uri = blobs.upload(str(tmp_path / "src" / name))
        local = Path(backend.make().download(uri, str(tmp_path / "out")))
        assert local == tmp_path / "out" / name
        assert _tree(local) == _tree(tmp_path / "src" / name)
        with pytest.raises(BlobManagerError, match="is a directory"):
            blobs.read_bytes(uri)


def test_same_content_same_uri_and_nothing_overwritten(
    backend: Backend, blobs: BlobManager, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "f.txt").write_bytes(b"same")
    (b / "f.txt").write_bytes(b"same")
    first = blobs.upload(str(a / "f.txt"))
    assert blobs.upload(str(b / "f.txt")) == first
    assert backend.make().upload(str(a / "f.txt")) == first

    (b / "f.txt").write_bytes(b"different")
    second = blobs.upload(str(b / "f.txt"))
    assert second != first  # same name, different content: a different key
    assert blobs.read_bytes(first) == b"same"
    assert blobs.read_bytes(second) == b"different"

    # A directory: same content -> same URI; one byte changed -> another URI, and the
    # first one still gives the first content.
    d1 = _make_dir(tmp_path / "d1")
    d2 = _make_dir(tmp_path / "d2")
    (d2 / "nested" / "deeper" / "big.bin").write_bytes((d1 / "nested/deeper/big.bin").read_bytes())
    uri1 = blobs.upload(str(d1))
    assert blobs.upload(str(d2)) == uri1
    (d2 / "a.txt").write_text("alpha!\n")
    uri2 = blobs.upload(str(d2))
    assert uri2 != uri1
    got = Path(blobs.download(uri1, str(tmp_path / "check")))
    assert (got / "a.txt").read_text() == "alpha\n"
    # The same files under another directory name are another blob.
    d1.rename(tmp_path / "d1" / "renamed")
    assert blobs.upload(str(tmp_path / "d1" / "renamed")) not in (uri1, uri2)


def test_concurrent_uploads_of_the_same_content(
    backend: Backend, blobs: BlobManager, tmp_path: Path
) -> None:
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(200_000))
    with ThreadPoolExecutor(4) as pool:
        uris = list(pool.map(lambda _: backend.make().upload(str(src)), range(8)))
    assert len(set(uris)) == 1
    assert blobs.read_bytes(uris[0]) == src.read_bytes()


def test_download_is_atomic(backend: Backend, blobs: BlobManager, tmp_path: Path) -> None:
    src = tmp_path / "model.bin"
    src.write_bytes(os.urandom(BIG))
    uri = blobs.upload(str(src))
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.bin").write_bytes(b"the previous version")
    backend.corrupt(blobs, uri)
    with pytest.raises(BlobManagerError, match=f"'{uri}' is corrupt"):
        blobs.download(uri, str(out))
    # The failed download changed nothing: the old file is intact, nothing partial.
    assert (out / "model.bin").read_bytes() == b"the previous version"
    assert _leftovers(out) == []
    with pytest.raises(BlobManagerError, match="corrupt"):
        blobs.read_bytes(uri)

    source = _make_dir(tmp_path / "src")
    dir_uri = blobs.upload(str(source))
    backend.corrupt(blobs, dir_uri, "nested/b.csv")
    with pytest.raises(BlobManagerError, match=f"'{dir_uri}' is corrupt"):
        blobs.download(dir_uri, str(out))
    assert not (out / "dataset").exists()
    assert _leftovers(out) == []


def test_missing_blob_names_the_uri(blobs: BlobManager, tmp_path: Path) -> None:
    uri = _missing(blobs.upload_bytes("x.txt", b"x"))
    with pytest.raises(BlobManagerError, match=f"^blob '{uri}' does not exist$"):
        blobs.download(uri, str(tmp_path / "out"))
    with pytest.raises(BlobManagerError, match=f"^blob '{uri}' does not exist$"):
        blobs.read_bytes(uri)
    assert not (tmp_path / "out" / "x.txt").exists()


def test_uris_outside_the_root_are_refused(
    backend: Backend, blobs: BlobManager, tmp_path: Path
) -> None:
    uri = blobs.upload_bytes("x.txt", b"x")
    digest = next(p for p in uri.split("/") if len(p) == 64)
    elsewhere = backend.make_other_root()
    foreign = elsewhere.upload_bytes("x.txt", b"x")
    assert foreign != uri
    head, _, tail = uri.partition(f"/{digest[:2]}/")
    refused = [
        foreign,  # same store, another root
        uri.replace(f"/{digest[:2]}/", f"/{digest[:2]}/../../", 1),  # climbs out
        f"{head}/../{head.rsplit('/', 1)[-1]}-evil/{digest[:2]}/{tail}",  # sibling root
        f"{head}/.tmp/{digest[:2]}/{tail}",  # not a blob key
        f"{head}/{digest[:2]}/{digest}",  # a key's directory, not a blob
        f"{head}/{digest[:2]}/{digest}/..",
        f"{head}/{digest[3:5]}/{digest}/x.txt",  # prefix does not match the digest
        str(tmp_path / "secret"),  # a local path
        "/etc/passwd",
        "",
    ]
    (tmp_path / "secret").write_text("s")
    for bad in refused:
        with pytest.raises(BlobManagerError, match="is not a blob under"):
            blobs.download(bad, str(tmp_path / "out"))
        with pytest.raises(BlobManagerError, match="is not a blob under"):
            blobs.read_bytes(bad)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    # `..` that stays inside the root is normalised, not a trick: it is the same blob.
    inside = uri.replace(f"/{digest[:2]}/", f"/{digest[:2]}/../{digest[:2]}/", 1)
    assert blobs.read_bytes(inside) == b"x"


def test_upload_errors(blobs: BlobManager, tmp_path: Path) -> None:
    with pytest.raises(BlobManagerError, match="not a file or directory"):
        blobs.upload(str(tmp_path / "missing.py"))
    linked = tmp_path / "linked"
    (linked / "real").mkdir(parents=True)
    (linked / "alias").symlink_to(linked / "real")
    with pytest.raises(BlobManagerError, match="is a symbolic link to a directory"):
        blobs.upload(str(linked))
    with pytest.raises(BlobManagerError, match="cannot name a blob"):
        blobs.upload_bytes("..", b"x")
    with pytest.raises(BlobManagerError, match="cannot name a blob"):
        blobs.upload_bytes(".aiflow-manifest.json", b"x")
