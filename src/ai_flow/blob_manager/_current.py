"""The blob manager user code gets: the current task's, or the client's.

The docs' "Using Blob Manager in a Workflow": a task may upload and download its own
files with the blob manager AIFlow is configured with. The task runtime installs the
one its TaskSpec names (``set_current_blob_manager``); anywhere else (a script, a
process a task spawned) it is the one ``aiflow_client.yaml`` configures, as for
``aiflow workflow upload``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ai_flow.blob_manager._factory import create_blob_manager
from ai_flow.blob_manager._interface import BlobManager, BlobManagerError

_lock = threading.Lock()
_settings: tuple[str, dict[str, Any]] | None = None
_manager: BlobManager | None = None


def set_current_blob_manager(
    manager: BlobManager | str | None, config: Mapping[str, Any] | None = None
) -> None:
    """Install the blob manager of this process: an instance, or a dotted class path and
    its config (created on first use, so a task that never asks pays nothing). None
    removes it."""
    global _settings, _manager
    with _lock:
        if isinstance(manager, BlobManager):
            _settings, _manager = (_class_path(manager), dict(manager.config)), manager
        elif manager is None:
            _settings, _manager = None, None
        else:
            _settings, _manager = (manager, dict(config or {})), None


def current_blob_manager() -> BlobManager:
    """The blob manager of the running task; outside a task, the client's.

    Raises BlobManagerError if none can be had (a client config that cannot be read,
    a class that cannot be imported, a missing optional package).
    """
    global _manager
    with _lock:
        if _manager is not None:
            return _manager
        if _settings is not None:
            _manager = create_blob_manager(*_settings)
            return _manager
    class_path, config = current_blob_settings()
    return create_blob_manager(class_path, config)


def current_blob_settings() -> tuple[str, dict[str, Any]]:
    """(blob_manager_class, blob_manager_config) of what `current_blob_manager` returns."""
    with _lock:
        if _settings is not None:
            return _settings[0], dict(_settings[1])
    # Outside a task: the client's configuration (imported here: the settings need
    # pydantic, which a task that never asks should not load).
    from ai_flow.settings import client_config_path, load_client_settings

    try:
        blob = load_client_settings().blob_manager
    except Exception as exc:  # noqa: BLE001 - any unreadable config, named
        raise BlobManagerError(
            f"no blob manager: not in a task, and {client_config_path()} cannot be used: "
            f"{' '.join(str(exc).split())}"
        ) from exc
    return blob.blob_manager_class, dict(blob.blob_manager_config or {})


def _class_path(manager: BlobManager) -> str:
    cls = type(manager)
    return f"{cls.__module__}.{cls.__qualname__}"
