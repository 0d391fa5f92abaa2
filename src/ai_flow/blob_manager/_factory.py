"""Create the configured blob manager from its dotted class path."""

from __future__ import annotations

import importlib
from typing import Any

from ai_flow.blob_manager._interface import BlobManager, BlobManagerError


def create_blob_manager(class_path: str, config: dict[str, Any] | None) -> BlobManager:
    """Import `package.module.ClassName` and instantiate it with `config`."""
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
