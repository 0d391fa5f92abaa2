"""Bearer tokens scoped to namespaces: the one access model of both servers.

A server with `auth_tokens` in its config accepts a call only with a token from that
list (`authorization: Bearer <token>` in gRPC metadata or the HTTP header). A token
reads and writes the namespaces it names; with neither `read` nor `write` it may do
everything. `*` stands for every namespace. Write implies read.

Tokens are compared as SHA-256 digests, so a config may hold `token_sha256` instead of
the token itself. Task runtimes get a token derived from the configured ones for their
own try only (`try_token`): servers sharing one config accept each other's.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

ALL = "*"
BEARER = "bearer "
#: The name a try's derived token authenticates as.
TASK_RUNTIME = "task-runtime"


class AuthError(Exception):
    """A refused call; str() is the one line the caller sees."""


class Unauthenticated(AuthError):
    """No token, or not one this server knows (HTTP 401, gRPC UNAUTHENTICATED)."""


class PermissionDenied(AuthError):
    """A known token without the scope the call needs (HTTP 403, PERMISSION_DENIED)."""


class TokenGrant(BaseModel):
    """One entry of `auth_tokens`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Shown in logs and errors instead of the token.
    name: str | None = None
    token: str | None = Field(None, min_length=8)
    token_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    read: list[str] | None = None
    write: list[str] | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> TokenGrant:
        if (self.token is None) == (self.token_sha256 is None):
            raise ValueError("an auth_tokens entry needs exactly one of 'token' or 'token_sha256'")
        return self

    @property
    def digest(self) -> str:
        if self.token_sha256 is not None:
            return self.token_sha256.lower()
        return sha256(self.token or "")

    def principal(self, index: int) -> Principal:
        if self.read is None and self.write is None:
            return Principal(self.name or f"token #{index + 1}", frozenset(), frozenset({ALL}))
        write = frozenset(self.write or ())
        return Principal(self.name or f"token #{index + 1}", frozenset(self.read or ()), write)


@dataclass(frozen=True)
class Principal:
    """Who a call is from, and what it may touch."""

    name: str
    readable: frozenset[str]
    writable: frozenset[str]
    #: A task runtime's token is good for this task execution only.
    task_execution_id: int | None = None

    def can(self, namespace: str | None, write: bool) -> bool:
        """May this principal read (or write) `namespace`; None means every namespace."""
        scopes = self.writable if write else self.writable | self.readable
        if ALL in scopes:
            return True
        return namespace is not None and namespace in scopes

    def require(self, namespace: str | None, write: bool) -> None:
        if self.can(namespace, write):
            return
        what = "write" if write else "read"
        where = f"namespace '{namespace}'" if namespace is not None else "every namespace"
        raise PermissionDenied(f"token '{self.name}' may not {what} {where}")

    def readable_namespaces(self) -> frozenset[str] | None:
        """The namespaces it may read; None: all of them."""
        scopes = self.writable | self.readable
        return None if ALL in scopes else scopes


#: The principal of a server without `auth_tokens`: everything is allowed.
ANYONE = Principal("anonymous", frozenset(), frozenset({ALL}))


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    """Turns a presented token into a Principal; disabled without grants."""

    def __init__(self, grants: Sequence[TokenGrant] | None) -> None:
        self._by_digest = {g.digest: g.principal(i) for i, g in enumerate(grants or ())}
        # Everything derived for runtimes is keyed by the whole token list, so every
        # server of one deployment (same config) agrees and a changed list revokes.
        self._key = hashlib.sha256(
            "\n".join(sorted(self._by_digest)).encode() + b"aiflow-try-token"
        ).digest()

    @property
    def enabled(self) -> bool:
        return bool(self._by_digest)

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an `authorization` value (`Bearer <token>`)."""
        if not self.enabled:
            return ANYONE
        token = bearer_token(authorization)
        if token is None:
            raise Unauthenticated(
                "this server requires a token: set AIFLOW_TOKEN / NOTIFICATION_TOKEN or "
                "`token` in the client config (header 'authorization: Bearer <token>')"
            )
        principal = self._by_digest.get(sha256(token))
        if principal is not None:
            return principal
        runtime = self._try_principal(token)
        if runtime is not None:
            return runtime
        raise Unauthenticated("the token is not valid for this server")

    def try_token(self, task_execution_id: int) -> str | None:
        """The token a task runtime presents for its own try (None: auth is off)."""
        if not self.enabled:
            return None
        return f"try.{task_execution_id}.{self._mac(task_execution_id)}"

    def _mac(self, task_execution_id: int) -> str:
        msg = f"try:{task_execution_id}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:40]

    def _try_principal(self, token: str) -> Principal | None:
        kind, _, rest = token.partition(".")
        ident, _, mac = rest.partition(".")
        if kind != "try" or not ident.isdigit():
            return None
        if not hmac.compare_digest(mac, self._mac(int(ident))):
            return None
        return Principal(TASK_RUNTIME, frozenset(), frozenset(), int(ident))


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    value = authorization.strip()
    if value.lower() == BEARER.strip():
        return None  # "Bearer " with nothing after it
    if value.lower().startswith(BEARER):
        value = value[len(BEARER) :].strip()
    return value or None


def metadata_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    """The `authorization` value of gRPC invocation metadata."""
    for key, value in metadata or ():
        if key == "authorization":
            return value.decode() if isinstance(value, bytes) else value
    return None


def auth_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    """gRPC call metadata carrying `token` (empty without one)."""
    return (("authorization", f"Bearer {token}"),) if token else ()


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps a server off the network."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_warning(host: str, config_file: str) -> str | None:
    """The start-up warning for a server on the network without tokens, if it is one."""
    if is_loopback(host):
        return None
    return (
        f"listening on {host} without auth_tokens: anyone who can reach this host can "
        f"use the server; add auth_tokens to {config_file}"
    )
