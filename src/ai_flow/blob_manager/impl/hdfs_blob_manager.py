"""A blob manager on HDFS, over WebHDFS with fsspec's built-in client."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ai_flow.blob_manager._fsspec import FsspecBlobManager
from ai_flow.blob_manager._interface import BlobManagerError
from ai_flow.blob_manager._optional import import_optional

_DEFAULT_PORTS = {"http": 50070, "https": 50470}


class HDFSBlobManager(FsspecBlobManager):
    """Blobs in HDFS: ``webhdfs://<host>:<port>/<root_directory>/<sha[:2]>/<sha>/<name>``.

    Config: ``hdfs_url`` (the WebHDFS address of the name node, e.g.
    ``http://hadoop-dfs:50070``; ``https://`` for WebHDFS over TLS), ``hdfs_user`` (the
    user to act as; simple authentication) and ``root_directory`` (e.g. ``/tmp``).

    HDFS shows a file while it is written, so uploads go to ``<root>/.tmp/`` and are
    renamed into place. Needs ``pip install 'ai-flow[hdfs]'`` (fsspec and requests).
    """

    scheme = "webhdfs"
    publish_by_rename = True

    def __init__(self, config: dict[str, Any] | None) -> None:
        url = str((config or {}).get("hdfs_url") or "")
        parsed = urlsplit(url)
        if parsed.scheme not in _DEFAULT_PORTS or not parsed.hostname:
            raise BlobManagerError(
                f"HDFSBlobManager needs 'hdfs_url' like http://namenode:50070, got '{url}'"
            )
        if parsed.path.rstrip("/") not in ("", "/webhdfs/v1"):
            raise BlobManagerError(
                f"hdfs_url '{url}' must name the name node only (no path but /webhdfs/v1)"
            )
        self.use_https = parsed.scheme == "https"
        # An IPv6 literal keeps its brackets, in URLs and in our URIs' authority.
        self.host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
        self.port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
        super().__init__(config)

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"

    def _create_filesystem(self) -> Any:
        webhdfs = import_optional("fsspec.implementations.webhdfs", "HDFSBlobManager", "hdfs")
        user = self.config.get("hdfs_user") or None
        return webhdfs.WebHDFS(self.host, port=self.port, user=user, use_https=self.use_https)
