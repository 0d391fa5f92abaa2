"""Who calls, and the access rule every route declares.

With `auth_tokens` in the server's config a request needs a token: the header
`Authorization: Bearer <token>`, or the web UI's session cookie (`ai_flow/web/_login.py`).
The cookie counts only on reads (GET, HEAD) and on requests with `HX-Request: true`,
a header a cross-site form or link cannot send, so another site cannot act with a
browser's session. No token, or an unknown one: 401 with `WWW-Authenticate: Bearer`;
a known token without the scope: 403. Without `auth_tokens` every request is allowed.

Each route names what it touches with a `Rule` (a dependency):

- `namespace` - the namespace in the route's path (or query: the events' filter; none
  given there means every namespace);
- `owner` - the namespace of the row the path's id names (`ai_flow.app.access`);
- `everywhere` - every namespace: server-wide data (metrics);
- none of these - any known token; the route filters what it shows (the namespaces)
  or checks what the body names (a new namespace; an upload: a token that may write
  somewhere, then the use case checks each namespace the file's workflows are in).

Open, with no rule: `/api/v1/health` (probes and load balancers carry no token; it
shows no namespace's data, only offsets and which host holds the scheduling lease),
`/openapi.json`, `/docs` and the UI's static files.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ai_flow.app import access
from ai_flow.app.access import Kind
from ai_flow.rest._context import RestContext
from ai_flow.rest._paging import MAX_ID
from notification_service.util.auth import ANYONE, Principal

SESSION_COOKIE = "aiflow_session"
#: Methods on which the session cookie stands in for the header.
READS = ("GET", "HEAD")

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token of the server's `auth_tokens` (only when it has some).",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def _context(request: Request) -> RestContext | None:
    ctx: RestContext | None = request.app.state.context
    return ctx


def auth_enabled(request: Request) -> bool:
    ctx = _context(request)
    return ctx is not None and ctx.authenticator.enabled


def session_value(token: str) -> str:
    """The session cookie's value for `token`: the token itself, base64url-encoded so
    that any token is a plain cookie value."""
    return base64.urlsafe_b64encode(token.encode()).decode()


def session_token(value: str | None) -> str | None:
    """The token a session cookie holds (None: no cookie, or not one of ours)."""
    if not value:
        return None
    try:
        return base64.urlsafe_b64decode(value.encode()).decode() or None
    except (binascii.Error, UnicodeError, ValueError):
        return None


def cookie_counts(request: Request) -> bool:
    """May the session cookie authenticate this request (see the module's doc)?"""
    return request.method in READS or request.headers.get("HX-Request") == "true"


def authenticate(request: Request) -> Principal:
    """The caller of `request` (ANYONE without auth_tokens); Unauthenticated if none."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    ctx = _context(request)
    if ctx is None or not ctx.authenticator.enabled:
        return ANYONE
    header = request.headers.get("authorization")
    if header is None and cookie_counts(request):
        token = session_token(request.cookies.get(SESSION_COOKIE))
        header = f"Bearer {token}" if token else None
    principal = ctx.authenticator.authenticate(header)
    request.state.principal = principal
    return principal


def _row_id(text: str | None) -> int | None:
    """The id a path names, if it can name a row (else the route answers 422)."""
    if text is None or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


@dataclass(frozen=True)
class Rule:
    """What a route needs (see the module's doc); calling it checks a request."""

    write: bool = False
    #: The path (or query) parameter holding the namespace.
    namespace: str | None = None
    #: The kind of row the path parameter `param` names by id.
    owner: Kind | None = None
    param: str | None = None
    everywhere: bool = False

    def __call__(self, request: Request, _credentials: Credentials) -> Principal:
        principal = authenticate(request)
        if principal is ANYONE:
            return principal
        if self.everywhere:
            access.require_namespace(principal, None, self.write)
        elif self.namespace is not None:
            name = request.path_params.get(self.namespace)
            if name is None:
                name = request.query_params.get(self.namespace)
            access.require_namespace(principal, name, self.write)
        elif self.owner is not None and self.param is not None:
            row_id = _row_id(request.path_params.get(self.param))
            ctx = _context(request)
            if row_id is not None and ctx is not None:
                access.require_owner(ctx.app, principal, self.owner, row_id, self.write)
        return principal


def owner(kind: Kind, param: str, write: bool = False) -> DependsParam:
    """The dependency: read (write) the namespace of the `kind` row `{param}` names."""
    return Depends(Rule(write=write, owner=kind, param=param))


READ_NAMESPACE = Depends(Rule(namespace="namespace"))
WRITE_NAMESPACE = Depends(Rule(write=True, namespace="namespace"))
READ_EVERYWHERE = Depends(Rule(everywhere=True))
#: Any known token; the route decides what it shows.
SIGNED_IN = Depends(Rule())
Caller = Annotated[Principal, SIGNED_IN]
