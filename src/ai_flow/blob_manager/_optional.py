"""Optional dependencies of the built-in blob managers, imported only when needed."""

from __future__ import annotations

import importlib
from types import ModuleType

from ai_flow.blob_manager._interface import BlobManagerError


def import_optional(module: str, owner: str, extra: str | None) -> ModuleType:
    """Import `module` for the blob manager `owner`; one clear line if it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0]
        hint = f"pip install 'ai-flow[{extra}]'" if extra else f"pip install {package}"
        missing = exc.name if exc.name and exc.name.split(".")[0] != package else None
        detail = f" ({missing} is missing)" if missing else ""
        raise BlobManagerError(f"{owner} needs {package}{detail}: {hint}") from exc
