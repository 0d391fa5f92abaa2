"""A blob manager on Amazon S3 or an S3-compatible store, through s3fs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ai_flow.blob_manager._fsspec import FsspecBlobManager
from ai_flow.blob_manager._interface import BlobManagerError
from ai_flow.blob_manager._optional import import_optional


class S3BlobManager(FsspecBlobManager):
    """Blobs in an S3 bucket: ``s3://<bucket>/<root_directory>/<sha[:2]>/<sha>/<name>``.

    Config (``blob_manager_config``):

    - ``bucket`` (required): an existing bucket.
    - ``root_directory``: key prefix inside the bucket (default: the bucket's top).
    - ``endpoint_url``: for S3-compatible stores (MinIO, Ceph, moto); default AWS.
    - ``region``: the bucket's region; default from the AWS configuration.
    - ``access_key_id`` / ``access_key_secret`` (and ``session_token``): explicit
      credentials. Without them the usual AWS chain is used (``AWS_ACCESS_KEY_ID``...
      environment variables, ``~/.aws`` files, instance or container roles).
    - ``addressing_style``: ``virtual``, ``path`` or ``auto`` (botocore's default).

    Needs ``pip install 'ai-flow[s3]'`` (s3fs) on every host that uses it.
    """

    scheme = "s3"
    #: The ai-flow extra that installs what this manager needs.
    extra: ClassVar[str] = "s3"

    def __init__(self, config: dict[str, Any] | None) -> None:
        bucket = str((config or {}).get("bucket") or "").strip()
        if not bucket or "/" in bucket:
            raise BlobManagerError(
                f"{type(self).__name__} needs 'bucket' (a bucket name) in blob_manager_config"
            )
        self.bucket = bucket
        super().__init__(config)

    @property
    def authority(self) -> str:
        return self.bucket

    def _fs_path(self, parts: Sequence[str]) -> str:
        return "/".join((self.bucket, *parts))

    def _create_filesystem(self) -> Any:
        s3fs = import_optional("s3fs", type(self).__name__, self.extra)
        return s3fs.S3FileSystem(**self._s3_options())

    def _s3_options(self) -> dict[str, Any]:
        """Keyword arguments of s3fs.S3FileSystem."""
        config = self.config
        key = config.get("access_key_id") or None
        secret = config.get("access_key_secret") or None
        if (key is None) != (secret is None):
            raise BlobManagerError(
                f"{type(self).__name__} needs both 'access_key_id' and 'access_key_secret', "
                "or neither (then the AWS credential chain is used)"
            )
        client_kwargs: dict[str, Any] = {}
        if config.get("region"):
            client_kwargs["region_name"] = str(config["region"])
        config_kwargs: dict[str, Any] = {}
        if config.get("addressing_style"):
            config_kwargs["s3"] = {"addressing_style": str(config["addressing_style"])}
        return {
            "key": key,
            "secret": secret,
            "token": config.get("session_token") or None,
            "endpoint_url": config.get("endpoint_url") or None,
            "client_kwargs": client_kwargs,
            "config_kwargs": config_kwargs,
            # Keys are content addressed and written by many hosts: never trust a
            # cached listing about whether one exists.
            "use_listings_cache": False,
        }
