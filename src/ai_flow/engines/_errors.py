"""Errors of the engine clients."""

from __future__ import annotations


class EngineError(Exception):
    """An engine cannot be reached or refused a request; str() is one line naming both."""
