"""The blob manager plug-in interface as the docs name it.

"Customizing Blob Manager" subclasses ``ai_flow.plugin_interface.blob_manager_interface
.BlobManager`` (the same class as ``ai_flow.blob_manager.BlobManager``), and "Using Blob
Manager in a Workflow" creates one with ``BlobConfig`` and ``BlobManagerFactory``::

    blob_config = BlobConfig({"blob_manager_class": ..., "blob_manager_config": {...}})
    blob_manager = BlobManagerFactory.create_blob_manager(
        blob_config.blob_manager_class(), blob_config.blob_manager_config()
    )

``BlobConfig()`` without a mapping (there is no project.yaml here) is the current one:
the running task's blob manager settings, or the client's outside a task; so is
``BlobManagerFactory.get_default_blob_manager()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ai_flow.blob_manager import (
    BlobManager,
    BlobManagerError,
    create_blob_manager,
    current_blob_manager,
    current_blob_settings,
)

__all__ = ["BlobConfig", "BlobManager", "BlobManagerError", "BlobManagerFactory"]


class BlobConfig:
    """A ``blob`` section: ``blob_manager_class`` and ``blob_manager_config``."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        if config is None:
            class_path, settings = current_blob_settings()
            config = {"blob_manager_class": class_path, "blob_manager_config": settings}
        name = config.get("blob_manager_class")
        if not name:
            raise BlobManagerError("the blob config needs 'blob_manager_class'")
        self._class = str(name)
        self._config = dict(config.get("blob_manager_config") or {})

    def blob_manager_class(self) -> str:
        return self._class

    def blob_manager_config(self) -> dict[str, Any]:
        return dict(self._config)


class BlobManagerFactory:
    @staticmethod
    def create_blob_manager(class_name: str, config: dict[str, Any] | None) -> BlobManager:
        return create_blob_manager(class_name, config)

    @staticmethod
    def get_default_blob_manager() -> BlobManager:
        return current_blob_manager()
