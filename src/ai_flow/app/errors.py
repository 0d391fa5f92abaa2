"""Domain errors of the use cases; every transport maps them to its own codes.

NotFoundError, AlreadyExistsError and ConflictError come from the metadata layer; a
PreconditionError says the state forbids the request; an InvalidArgumentError that the
request itself is wrong (a bad name, a workflow file that does not evaluate). str() is
always one line for the user.
"""

from __future__ import annotations

from ai_flow.metadata.errors import AlreadyExistsError, ConflictError, NotFoundError


class PreconditionError(Exception):
    """The request is well-formed but the state forbids it (disabled workflow...)."""


class InvalidArgumentError(ValueError):
    """The request is malformed: a bad name, a file that does not evaluate, ..."""


__all__ = [
    "AlreadyExistsError",
    "ConflictError",
    "InvalidArgumentError",
    "NotFoundError",
    "PreconditionError",
]
