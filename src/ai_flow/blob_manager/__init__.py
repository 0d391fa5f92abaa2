"""Pluggable blob storage for workflow sources and artifacts."""

from ai_flow.blob_manager._factory import create_blob_manager
from ai_flow.blob_manager._interface import BlobManager, BlobManagerError

__all__ = ["BlobManager", "BlobManagerError", "create_blob_manager"]
