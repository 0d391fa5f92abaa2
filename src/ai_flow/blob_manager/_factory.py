"""Create the configured blob manager from its dotted class path."""

from __future__ import annotations

import importlib
from typing import Any

from ai_flow.blob_manager._interface import BlobManager, BlobManagerError

_BUILT_IN = "ai_flow.blob_manager.impl."
#: The class paths of the docs' project.yaml examples (AIFlow's plugin package) name
#: the built-in managers.
_DOCUMENTED_ALIASES = {
    f"ai_flow_plugins.blob_manager_plugins.{module}.{cls}": f"{_BUILT_IN}{module}.{cls}"
    for module, cls in [
        ("local_blob_manager", "LocalBlobManager"),
        ("oss_blob_manager", "OssBlobManager"),
        ("hdfs_blob_manager", "HDFSBlobManager"),
        ("s3_blob_manager", "S3BlobManager"),
    ]
}


def create_blob_manager(class_path: str, config: dict[str, Any] | None) -> BlobManager:
    """Import `package.module.ClassName` and instantiate it with `config`."""
    class_path = _DOCUMENTED_ALIASES.get(class_path.strip(), class_path.strip())
    module_name, _, class_name = class_path.rpartition(".")
    if not module_name:
        raise BlobManagerError(
            f"blob manager class '{class_path}' must be a dotted path like package.module.Class"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BlobManagerError(f"cannot import blob manager class '{class_path}': {exc}") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise BlobManagerError(
            f"cannot import blob manager class '{class_path}': "
            f"module '{module_name}' has no attribute '{class_name}'"
        )
    if not (isinstance(cls, type) and issubclass(cls, BlobManager)):
        raise BlobManagerError(f"'{class_path}' is not a subclass of BlobManager")
    return cls(config or {})
