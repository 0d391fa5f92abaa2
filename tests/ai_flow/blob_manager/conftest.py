"""The blob manager backends the contract suite runs against.

- ``local``, ``memory``: always.
- ``s3-moto``: S3BlobManager against a real moto S3 server on 127.0.0.1 (in-process).
- ``oss-config-on-moto``: OssBlobManager's client settings (V2 signatures, no flexible
  checksums) against the same moto server, with path-style addressing because
  ``<bucket>.127.0.0.1`` does not resolve; it is not OSS.
- ``webhdfs-fake``: HDFSBlobManager against a FAKE WebHDFS name node (webhdfs_fake.py).
- ``custom-file``: a user's FsspecBlobManager subclass, created by its dotted path.
- ``oss``, ``webhdfs``: real endpoints, only when environment variables name them.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from blob_custom import CLASS_PATH  # noqa: E402
from webhdfs_fake import fake_webhdfs  # noqa: E402

from ai_flow.blob_manager import BlobManager, FsspecBlobManager, create_blob_manager  # noqa: E402
from ai_flow.blob_manager.impl.hdfs_blob_manager import HDFSBlobManager  # noqa: E402
from ai_flow.blob_manager.impl.local_blob_manager import LocalBlobManager  # noqa: E402
from ai_flow.blob_manager.impl.memory_blob_manager import MemoryBlobManager  # noqa: E402
from ai_flow.blob_manager.impl.oss_blob_manager import OssBlobManager  # noqa: E402
from ai_flow.blob_manager.impl.s3_blob_manager import S3BlobManager  # noqa: E402

NO_SERVER_HERE = "skipped on CI too: no such server can run on this machine"
OSS_VARS = (
    "AIFLOW_TEST_OSS_ENDPOINT",
    "AIFLOW_TEST_OSS_BUCKET",
    "AIFLOW_TEST_OSS_ACCESS_KEY_ID",
    "AIFLOW_TEST_OSS_ACCESS_KEY_SECRET",
)
WEBHDFS_VAR = "AIFLOW_TEST_WEBHDFS_URL"  # and optionally AIFLOW_TEST_WEBHDFS_USER


class PathStyleOssBlobManager(OssBlobManager):
    """OssBlobManager as it is, but path-style: virtual hosts do not resolve on loopback."""

    addressing_style = "path"


@dataclass
class Backend:
    name: str
    #: A new manager configured like the first one (another host, say).
    make: Callable[[], BlobManager]
    #: A manager on the same store with another root.
    make_other_root: Callable[[], BlobManager]

    def corrupt(self, manager: BlobManager, uri: str, relative: str | None = None) -> None:
        """Overwrite the stored bytes of a file blob (or of a file in a directory blob)."""
        if isinstance(manager, FsspecBlobManager):
            path = manager.fs_path_of(uri) + (f"/{relative}" if relative else "")
            manager.fs.pipe_file(path, b"tampered")
        else:
            path = Path(uri) / relative if relative else Path(uri)
            path.write_bytes(b"tampered")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials for this test only, and no reaching for real AWS configuration."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real (moto) S3 server on 127.0.0.1, for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def _moto_admin(moto_endpoint: str) -> Any:
    import s3fs

    return s3fs.S3FileSystem(
        endpoint_url=moto_endpoint, key="testing", secret="testing", skip_instance_cache=True
    )


@pytest.fixture
def s3_bucket(_moto_admin: Any, aws_env: None) -> str:
    """A new, empty bucket on the moto server."""
    name = f"aiflow-{uuid.uuid4().hex[:12]}"
    _moto_admin.mkdir(name)
    return name


def _local(tmp_path: Path) -> Backend:
    def make(root: str = "blob") -> Callable[[], BlobManager]:
        return lambda: LocalBlobManager({"root_directory": str(tmp_path / root)})

    return Backend("local", make(), make("other"))


def _memory(request: pytest.FixtureRequest) -> Backend:
    import fsspec

    root = f"/aiflow-test-{uuid.uuid4().hex}"
    memory = fsspec.filesystem("memory")
    request.addfinalizer(lambda: memory.exists(root) and memory.rm(root, recursive=True))

    def make(sub: str) -> Callable[[], BlobManager]:
        return lambda: MemoryBlobManager({"root_directory": f"{root}/{sub}"})

    return Backend("memory", make("blob"), make("other"))


def _s3(request: pytest.FixtureRequest) -> Backend:
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = request.getfixturevalue("s3_bucket")

    def make(root: str) -> Callable[[], BlobManager]:
        config = {
            "bucket": bucket,
            "root_directory": root,
            "endpoint_url": endpoint,
            "region": "us-east-1",
        }
        return lambda: S3BlobManager(config)

    return Backend("s3-moto", make("aiflow/blobs"), make("aiflow/other"))


def _oss_config_on_moto(request: pytest.FixtureRequest) -> Backend:
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = request.getfixturevalue("s3_bucket")

    def make(root: str) -> Callable[[], BlobManager]:
        config = {
            "bucket": bucket,
            "root_directory": root,
            "endpoint": endpoint,
            "access_key_id": "testing",
            "access_key_secret": "testing",
        }
        return lambda: PathStyleOssBlobManager(config)

    return Backend("oss-config-on-moto", make("tmp"), make("other"))


@pytest.fixture
def fake_hdfs_url() -> Iterator[str]:
    """The hdfs_url of a FAKE WebHDFS name node on 127.0.0.1."""
    with fake_webhdfs() as (url, _namespace):
        yield url


def _webhdfs_fake(request: pytest.FixtureRequest) -> Backend:
    url = request.getfixturevalue("fake_hdfs_url")

    def make(root: str) -> Callable[[], BlobManager]:
        config = {"hdfs_url": url, "hdfs_user": "aiflow", "root_directory": root}
        return lambda: HDFSBlobManager(config)

    return Backend("webhdfs-fake", make("/tmp/aiflow"), make("/tmp/other"))


def _custom(tmp_path: Path) -> Backend:
    def make(root: str) -> Callable[[], BlobManager]:
        return lambda: create_blob_manager(CLASS_PATH, {"root_directory": str(tmp_path / root)})

    return Backend("custom-file", make("blob"), make("other"))


def _oss_real() -> Backend:
    missing = [name for name in OSS_VARS if not os.environ.get(name)]
    if missing:
        pytest.skip(f"no real OSS endpoint: set {', '.join(missing)} ({NO_SERVER_HERE})")
    root = f"aiflow-test/{uuid.uuid4().hex}"

    def make(sub: str) -> Callable[[], BlobManager]:
        config: dict[str, Any] = {
            "endpoint": os.environ["AIFLOW_TEST_OSS_ENDPOINT"],
            "bucket": os.environ["AIFLOW_TEST_OSS_BUCKET"],
            "access_key_id": os.environ["AIFLOW_TEST_OSS_ACCESS_KEY_ID"],
            "access_key_secret": os.environ["AIFLOW_TEST_OSS_ACCESS_KEY_SECRET"],
            "root_directory": f"{root}/{sub}",
        }
        return lambda: OssBlobManager(config)

    return Backend("oss", make("blob"), make("other"))


def _webhdfs_real() -> Backend:
    url = os.environ.get(WEBHDFS_VAR)
    if not url:
        pytest.skip(f"no real WebHDFS endpoint: set {WEBHDFS_VAR} ({NO_SERVER_HERE})")
    root = f"/tmp/aiflow-test-{uuid.uuid4().hex}"

    def make(sub: str) -> Callable[[], BlobManager]:
        config = {
            "hdfs_url": url,
            "hdfs_user": os.environ.get("AIFLOW_TEST_WEBHDFS_USER") or None,
            "root_directory": f"{root}/{sub}",
        }
        return lambda: HDFSBlobManager(config)

    return Backend("webhdfs", make("blob"), make("other"))


BACKENDS = [
    "local",
    "memory",
    "s3-moto",
    "oss-config-on-moto",
    "webhdfs-fake",
    "custom-file",
    "oss",
    "webhdfs",
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    name = request.param
    if name == "local":
        return _local(tmp_path)
    if name == "memory":
        return _memory(request)
    if name == "s3-moto":
        return _s3(request)
    if name == "oss-config-on-moto":
        return _oss_config_on_moto(request)
    if name == "webhdfs-fake":
        return _webhdfs_fake(request)
    if name == "custom-file":
        return _custom(tmp_path)
    if name == "oss":
        return _oss_real()
    return _webhdfs_real()


@pytest.fixture
def blobs(backend: Backend) -> BlobManager:
    return backend.make()
