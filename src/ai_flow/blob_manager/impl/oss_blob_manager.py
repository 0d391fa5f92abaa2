"""A blob manager on Alibaba Cloud OSS, through OSS's S3-compatible API (s3fs).

Why s3fs and not ossfs: ossfs pins ``oss2==2.18.4`` and brings aiooss2, a second HTTP
stack next to the one the S3 backend already uses; with s3fs both backends share one
dependency set (one extra's pins, one error model), and Alibaba documents OSS's S3 API
(``https://s3.oss-<region>.aliyuncs.com``, virtual-hosted addressing, V2 signatures).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ai_flow.blob_manager._interface import BlobManagerError
from ai_flow.blob_manager.impl.s3_blob_manager import S3BlobManager

_OSS_HOST = re.compile(r"(s3\.)?oss-(?P<region>[a-z0-9-]+?)(-internal)?\.aliyuncs\.com")


def oss_s3_endpoint(endpoint: str) -> tuple[str, str | None]:
    """(endpoint URL of OSS's S3-compatible API, region) for an OSS `endpoint`.

    ``oss-cn-hangzhou.aliyuncs.com`` (the form in OSS's docs and ours) becomes
    ``https://s3.oss-cn-hangzhou.aliyuncs.com``; a URL with a scheme keeps it; any other
    host (a CNAME, a proxy) is used as it is.
    """
    text = endpoint.strip()
    url = urlsplit(text if "://" in text else f"https://{text}")
    host = url.hostname or ""
    if not host or url.scheme not in ("http", "https"):
        raise BlobManagerError(f"OSS endpoint '{endpoint}' is not a host name or http(s) URL")
    region = None
    match = _OSS_HOST.fullmatch(host)
    if match:
        region = match.group("region")
        if not match.group(1):
            host = f"s3.{host}"
        if region == "accelerate":
            region = None
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{host}{port}", region


class OssBlobManager(S3BlobManager):
    """Blobs in an OSS bucket: ``oss://<bucket>/<root_directory>/<sha[:2]>/<sha>/<name>``.

    Config (the documented keys): ``root_directory``, ``access_key_id``,
    ``access_key_secret``, ``endpoint`` (e.g. ``oss-cn-hangzhou.aliyuncs.com``) and
    ``bucket``; optionally ``region`` (default: from the endpoint) and
    ``signature_version`` (default ``s3``, the V2 signatures Alibaba documents for
    boto; ``s3v4`` also works where OSS accepts it). Without the access keys the AWS
    credential chain is used.

    Requests use virtual-hosted addressing (OSS refuses path style) and no flexible
    checksums (botocore's default aws-chunked uploads are not understood by OSS).
    Needs ``pip install 'ai-flow[oss]'`` (s3fs).
    """

    scheme = "oss"
    extra = "oss"
    #: OSS serves only virtual-hosted requests (``<bucket>.<endpoint>``).
    addressing_style: ClassVar[str] = "virtual"

    def __init__(self, config: dict[str, Any] | None) -> None:
        endpoint = str((config or {}).get("endpoint") or "")
        if not endpoint:
            raise BlobManagerError("OssBlobManager needs 'endpoint' in blob_manager_config")
        self.endpoint_url, self.region = oss_s3_endpoint(endpoint)
        super().__init__(config)

    def _s3_options(self) -> dict[str, Any]:
        options = super()._s3_options()
        options["endpoint_url"] = self.endpoint_url
        region = self.config.get("region") or self.region
        if region:
            options["client_kwargs"]["region_name"] = str(region)
        options["config_kwargs"] = {
            "signature_version": str(self.config.get("signature_version") or "s3"),
            "s3": {"addressing_style": self.addressing_style},
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
        return options
