"""What is particular to each backend: configuration, optional packages, the factory's
documented names, the S3 and WebHDFS specifics, snapshots over S3."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PathStyleOssBlobManager
from webhdfs_fake import fake_webhdfs

from ai_flow.blob_manager import (
    BlobManagerError,
    SnapshotFiles,
    _fsspec,
    create_blob_manager,
    fetch_snapshot,
    upload_artifact,
)
from ai_flow.blob_manager.impl.hdfs_blob_manager import HDFSBlobManager
from ai_flow.blob_manager.impl.local_blob_manager import LocalBlobManager
from ai_flow.blob_manager.impl.memory_blob_manager import MemoryBlobManager
from ai_flow.blob_manager.impl.oss_blob_manager import OssBlobManager, oss_s3_endpoint
from ai_flow.blob_manager.impl.s3_blob_manager import S3BlobManager

S3 = {"bucket": "b", "endpoint_url": "http://127.0.0.1:1"}
OSS = {"bucket": "b", "endpoint": "oss-cn-hangzhou.aliyuncs.com", "root_directory": "tmp"}
HDFS = {"hdfs_url": "http://hadoop-dfs:50070", "hdfs_user": "hdfs", "root_directory": "/tmp"}


@pytest.fixture
def s3_blobs(moto_endpoint: str, s3_bucket: str) -> S3BlobManager:
    return S3BlobManager(
        {"bucket": s3_bucket, "root_directory": "r", "endpoint_url": moto_endpoint}
    )


# Optional packages: imported only when a backend is created, one clear line if absent.


def test_importing_the_managers_loads_no_optional_package() -> None:
    code = (
        "import sys, ai_flow.blob_manager, ai_flow.plugin_interface.blob_manager_interface\n"
        "from ai_flow.blob_manager.impl import local_blob_manager, memory_blob_manager\n"
        "from ai_flow.blob_manager.impl import s3_blob_manager, oss_blob_manager\n"
        "from ai_flow.blob_manager.impl import hdfs_blob_manager\n"
        "heavy = ('fsspec', 's3fs', 'aiobotocore', 'botocore', 'requests', 'pydantic')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("cls", "config", "blocked", "message"),
    [
        (S3BlobManager, S3, "s3fs", "S3BlobManager needs s3fs: pip install 'ai-flow[s3]'"),
        (OssBlobManager, OSS, "s3fs", "OssBlobManager needs s3fs: pip install 'ai-flow[oss]'"),
        (
            HDFSBlobManager,
            HDFS,
            "fsspec.implementations.webhdfs",
            "HDFSBlobManager needs fsspec: pip install 'ai-flow[hdfs]'",
        ),
        (
            HDFSBlobManager,
            HDFS,
            "requests",
            "HDFSBlobManager needs fsspec (requests is missing): pip install 'ai-flow[hdfs]'",
        ),
        (MemoryBlobManager, {}, "fsspec", "MemoryBlobManager needs fsspec: pip install fsspec"),
    ],
)
def test_a_missing_optional_package_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, cls: Any, config: dict[str, Any], blocked: str, message: str
) -> None:
    # As if the package were not installed: the import fails, and so does anything
    # imported through it afresh.
    for name in list(sys.modules):
        if name == blocked or name.startswith(blocked + "."):
            monkeypatch.delitem(sys.modules, name)
    if blocked == "requests":
        monkeypatch.delitem(sys.modules, "fsspec.implementations.webhdfs", raising=False)
    monkeypatch.setitem(sys.modules, blocked, None)
    with pytest.raises(BlobManagerError) as err:
        cls(config)
    assert str(err.value) == message


# Configuration.


@pytest.mark.parametrize(
    ("cls", "config", "message"),
    [
        (S3BlobManager, {}, "S3BlobManager needs 'bucket'"),
        (S3BlobManager, {"bucket": "a/b"}, "needs 'bucket'"),
        (S3BlobManager, {**S3, "access_key_id": "k"}, "needs both 'access_key_id' and"),
        (S3BlobManager, {**S3, "root_directory": "a/../.."}, "must not contain '..'"),
        (OssBlobManager, {"bucket": "b"}, "OssBlobManager needs 'endpoint'"),
        (OssBlobManager, {**OSS, "bucket": ""}, "OssBlobManager needs 'bucket'"),
        (HDFSBlobManager, {}, "needs 'hdfs_url' like http://namenode:50070"),
        (HDFSBlobManager, {"hdfs_url": "hdfs://nn:8020"}, "needs 'hdfs_url'"),
        (HDFSBlobManager, {"hdfs_url": "http://nn:50070/data"}, "must name the name node only"),
        (LocalBlobManager, {}, "LocalBlobManager needs 'root_directory'"),
    ],
)
def test_configuration_errors(cls: Any, config: dict[str, Any], message: str) -> None:
    with pytest.raises(BlobManagerError, match=message):
        cls(config)


def test_s3_client_settings() -> None:
    plain = S3BlobManager({"bucket": "b"})._s3_options()
    assert plain["key"] is None and plain["secret"] is None  # the AWS credential chain
    assert plain["endpoint_url"] is None and plain["use_listings_cache"] is False
    explicit = S3BlobManager(
        {**S3, "access_key_id": "k", "access_key_secret": "s", "region": "eu-west-1"}
        | {"addressing_style": "path", "session_token": "t"}
    )._s3_options()
    assert (explicit["key"], explicit["secret"], explicit["token"]) == ("k", "s", "t")
    assert explicit["client_kwargs"] == {"region_name": "eu-west-1"}
    assert explicit["config_kwargs"] == {"s3": {"addressing_style": "path"}}


def test_oss_uses_the_s3_compatible_api_as_alibaba_documents() -> None:
    oss = OssBlobManager({**OSS, "access_key_id": "id", "access_key_secret": "secret"})
    options = oss._s3_options()
    assert options["endpoint_url"] == "https://s3.oss-cn-hangzhou.aliyuncs.com"
    assert options["client_kwargs"] == {"region_name": "cn-hangzhou"}
    assert options["config_kwargs"] == {
        "signature_version": "s3",
        "s3": {"addressing_style": "virtual"},
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required",
    }
    assert (options["key"], options["secret"]) == ("id", "secret")
    assert oss.root_uri == "oss://b/tmp"


@pytest.mark.parametrize(
    ("endpoint", "url", "region"),
    [
        ("oss-cn-hangzhou.aliyuncs.com", "https://s3.oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou"),
        (
            "http://oss-cn-beijing-internal.aliyuncs.com",
            "http://s3.oss-cn-beijing-internal.aliyuncs.com",
            "cn-beijing",
        ),
        (
            "https://s3.oss-us-west-1.aliyuncs.com",
            "https://s3.oss-us-west-1.aliyuncs.com",
            "us-west-1",
        ),
        ("oss-accelerate.aliyuncs.com", "https://s3.oss-accelerate.aliyuncs.com", None),
        ("files.example.com", "https://files.example.com", None),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000", None),
    ],
)
def test_oss_endpoints(endpoint: str, url: str, region: str | None) -> None:
    assert oss_s3_endpoint(endpoint) == (url, region)


def test_oss_endpoint_errors() -> None:
    with pytest.raises(BlobManagerError, match="is not a host name"):
        oss_s3_endpoint("ftp://x")


def test_hdfs_url_forms() -> None:
    manager = HDFSBlobManager(HDFS)
    assert manager.root_uri == "webhdfs://hadoop-dfs:50070/tmp"
    assert manager.fs.url == "http://hadoop-dfs:50070/webhdfs/v1"
    secure = HDFSBlobManager({"hdfs_url": "https://nn/webhdfs/v1/", "root_directory": "/d"})
    assert (secure.fs.url, secure.root_uri) == (
        "https://nn:50470/webhdfs/v1",
        "webhdfs://nn:50470/d",
    )


# The factory: the documented names.


@pytest.mark.parametrize(
    ("class_path", "config", "cls"),
    [
        (
            "ai_flow.blob_manager.impl.local_blob_manager.LocalBlobManager",
            {"root_directory": "x"},
            LocalBlobManager,
        ),
        ("ai_flow.blob_manager.impl.s3_blob_manager.S3BlobManager", S3, S3BlobManager),
        ("ai_flow.blob_manager.impl.oss_blob_manager.OssBlobManager", OSS, OssBlobManager),
        ("ai_flow.blob_manager.impl.hdfs_blob_manager.HDFSBlobManager", HDFS, HDFSBlobManager),
        ("ai_flow.blob_manager.impl.memory_blob_manager.MemoryBlobManager", {}, MemoryBlobManager),
        # The class paths of the docs' project.yaml examples.
        (
            "ai_flow_plugins.blob_manager_plugins.local_blob_manager.LocalBlobManager",
            {"root_directory": "x"},
            LocalBlobManager,
        ),
        (
            "ai_flow_plugins.blob_manager_plugins.oss_blob_manager.OssBlobManager",
            OSS,
            OssBlobManager,
        ),
        (
            "ai_flow_plugins.blob_manager_plugins.hdfs_blob_manager.HDFSBlobManager",
            HDFS,
            HDFSBlobManager,
        ),
    ],
)
def test_factory_creates_the_documented_classes(
    class_path: str, config: dict[str, Any], cls: type
) -> None:
    manager = create_blob_manager(class_path, config)
    assert type(manager) is cls
    assert manager.config == config


# S3 specifics (moto).


def test_s3_layout_and_no_temporary_keys(
    s3_blobs: S3BlobManager, s3_bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "f.txt").write_text("f")
    file_uri = s3_blobs.upload_bytes("x.txt", b"x")
    dir_uri = s3_blobs.upload(str(tmp_path / "d"))
    keys = sorted(k.removeprefix(f"{s3_bucket}/") for k in s3_blobs.fs.find(s3_bucket))
    file_key = file_uri.removeprefix(f"s3://{s3_bucket}/")
    dir_key = dir_uri.removeprefix(f"s3://{s3_bucket}/")
    manifest_key = dir_key.rsplit("/", 1)[0] + "/.aiflow-manifest.json"
    assert keys == sorted([file_key, f"{dir_key}/sub/f.txt", manifest_key])
    manifest = json.loads(s3_blobs.fs.cat_file(f"{s3_bucket}/{manifest_key}"))
    assert manifest["name"] == "d" and manifest["dirs"] == ["sub"]


def test_s3_failures_name_the_store_and_the_cause(
    moto_endpoint: str, aws_env: None, tmp_path: Path
) -> None:
    manager = S3BlobManager({"bucket": "no-such-bucket", "endpoint_url": moto_endpoint})
    (tmp_path / "f.txt").write_text("f")
    with pytest.raises(BlobManagerError) as err:
        manager.upload(str(tmp_path / "f.txt"))
    assert str(err.value).startswith(f"cannot upload {tmp_path / 'f.txt'} to s3://no-such-bucket/")
    assert "bucket" in str(err.value).lower() and "\n" not in str(err.value)


def test_a_file_changed_during_upload_is_not_stored(
    monkeypatch: pytest.MonkeyPatch, s3_blobs: S3BlobManager, s3_bucket: str, tmp_path: Path
) -> None:
    source = tmp_path / "data"
    source.mkdir()
    (source / "a.txt").write_text("before")
    real = _fsspec.directory_manifest

    def hashed_then_changed(root: Path, name: str) -> Any:
        manifest = real(root, name)
        (root / "a.txt").write_text("after!")  # changed between hashing and sending
        return manifest

    monkeypatch.setattr(_fsspec, "directory_manifest", hashed_then_changed)
    with pytest.raises(BlobManagerError, match="changed while it was being uploaded"):
        s3_blobs.upload(str(source))
    assert s3_blobs.fs.find(s3_bucket) == []  # nothing stored under a wrong key
    monkeypatch.undo()
    uri = s3_blobs.upload(str(source))
    out = Path(s3_blobs.download(uri, str(tmp_path / "out")))
    assert (out / "a.txt").read_text() == "after!"


def test_oss_settings_work_against_an_s3_server(
    moto_endpoint: str, s3_bucket: str, tmp_path: Path
) -> None:
    """V2 signatures and no flexible checksums, through aiobotocore, on moto (not OSS)."""
    oss = PathStyleOssBlobManager(
        {"bucket": s3_bucket, "endpoint": moto_endpoint, "access_key_id": "testing"}
        | {"access_key_secret": "testing", "root_directory": "tmp"}
    )
    uri = oss.upload_bytes("m.bin", b"\x00" * 100_000)
    assert uri.startswith(f"oss://{s3_bucket}/tmp/")
    assert oss.read_bytes(uri) == b"\x00" * 100_000


# WebHDFS specifics (against the FAKE name node).


def test_webhdfs_acts_as_the_user_and_publishes_by_rename(tmp_path: Path) -> None:
    with fake_webhdfs() as (url, namespace):
        manager = HDFSBlobManager({"hdfs_url": url, "hdfs_user": "etl", "root_directory": "/a"})
        (tmp_path / "d").mkdir()
        (tmp_path / "d" / "f.txt").write_text("f")
        file_uri = manager.upload_bytes("x.txt", b"x")
        dir_uri = manager.upload(str(tmp_path / "d"))
        host_port = url.removeprefix("http://")
        assert file_uri.startswith(f"webhdfs://{host_port}/a/")
        assert namespace.users == {"etl"}
        assert not [p for p in namespace.files if "/.tmp/" in p]  # renamed, then gone
        assert file_uri.removeprefix(f"webhdfs://{host_port}") in namespace.files
        assert Path(manager.download(dir_uri, str(tmp_path / "o"))).joinpath("f.txt").exists()


# Snapshots (the workflow file plus artifacts) over S3.


def test_snapshots_over_s3(s3_blobs: S3BlobManager, moto_endpoint: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "dataset" / "part").mkdir(parents=True)
    (project / "wf.py").write_text("WORKFLOW = 1\n")
    (project / "helper.py").write_text("X = 2\n")
    (project / "dataset" / "part" / "rows.csv").write_text("a,b\n")
    artifacts = (
        upload_artifact(s3_blobs, project / "helper.py"),
        upload_artifact(s3_blobs, project / "dataset"),
    )
    files = SnapshotFiles(7, "wf.py", s3_blobs.upload(str(project / "wf.py")), artifacts)
    # A worker elsewhere, configured the same way, with only the serialised description.
    worker = S3BlobManager(dict(s3_blobs.config))
    described = SnapshotFiles.from_dict(json.loads(json.dumps(files.to_dict())))
    main = fetch_snapshot(worker, described, tmp_path / "worker" / "snap")
    assert main == tmp_path / "worker" / "snap" / "wf.py"
    assert main.read_text() == "WORKFLOW = 1\n"
    assert (main.parent / "helper.py").read_text() == "X = 2\n"
    assert (main.parent / "dataset" / "part" / "rows.csv").read_text() == "a,b\n"
