"""Errors of the metadata layer; str() is one line naming the thing, for API status details."""

from __future__ import annotations


class MetadataError(Exception):
    """Base class of metadata errors."""


class NotFoundError(MetadataError):
    """The named namespace, workflow, execution, ... does not exist (gRPC NOT_FOUND)."""


class AlreadyExistsError(MetadataError):
    """A thing with that name or key exists already (gRPC ALREADY_EXISTS)."""


class ConflictError(MetadataError):
    """The change is refused in the current state, e.g. a non-empty namespace
    (gRPC FAILED_PRECONDITION)."""


class SchemaError(MetadataError):
    """The database is not initialised or not at the current revision."""
