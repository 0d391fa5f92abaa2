"""Logging in to the UI of a server with auth_tokens: paste a token, get a session.

POST /login checks the token and sets the session cookie: its value is the token
(base64url), `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page
sends it) and `Secure` over HTTPS; it lasts until the browser closes or /logout. The
server keeps no session state: a token removed from auth_tokens ends its sessions at
the next restart. The cookie authenticates the UI's pages, fragments and buttons, and
the REST API's reads (the log and event streams, which EventSource opens without
headers). A server without auth_tokens has no login: /login answers 404.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ai_flow.rest._auth import SESSION_COOKIE, auth_enabled, session_value
from ai_flow.web._context import Ctx, LoginRequired
from ai_flow.web._templates import render
from notification_service.util.auth import Unauthenticated

router = APIRouter(include_in_schema=False)
#: What the form says to a token this server does not know.
NOT_VALID = "the token is not valid for this server"
MAX_FORM = 16 << 10  # bytes: a token and a path


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this server, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_url(target: str) -> str:
    return "/login?" + urlencode({"next": safe_next(target)})


def _form(target: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    html = render("login.html", user=None, next=safe_next(target), error=error)
    return HTMLResponse(html, status_code=status)


def _no_login() -> HTMLResponse:
    message = "This server takes no tokens (no auth_tokens in aiflow_server.yaml)."
    html = render("error.html", user=None, title="No login", message=message)
    return HTMLResponse(html, status_code=404)


@router.get("/login")
def login_page(
    request: Request, target: Annotated[str, Query(alias="next", max_length=2048)] = "/"
) -> Response:
    if not auth_enabled(request):
        return _no_login()
    return _form(target)


def _same_origin(request: Request) -> bool:
    """A form posted from a page of this server (browsers send Origin on POST)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


@router.post("/login")
async def login(ctx: Ctx, request: Request) -> Response:
    if not auth_enabled(request):
        return _no_login()
    body = await request.body()
    fields = parse_qs(body[:MAX_FORM].decode(errors="replace"))
    token = (fields.get("token") or [""])[0].strip()
    target = safe_next((fields.get("next") or ["/"])[0])
    if not _same_origin(request):
        return _form(target, "log in from this server's own page", 403)
    if not token:
        return _form(target, "paste a token", 401)
    try:
        ctx.authenticator.authenticate(f"Bearer {token}")
    except Unauthenticated:
        return _form(target, NOT_VALID, 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_value(token),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request) -> Response:
    response = RedirectResponse("/login" if auth_enabled(request) else "/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _login_required(request: Request, exc: Exception) -> Response:
    """A page goes to the login form and back; a button or fragment says why not."""
    if request.headers.get("HX-Request") == "true":
        current = urlsplit(request.headers.get("HX-Current-URL", "/"))
        link = login_url(current.path + (f"?{current.query}" if current.query else ""))
        html = render(
            "flash.html",
            kind="error",
            message="You are not logged in (or the session ended).",
            link=link,
            link_text="Log in again",
        )
        return HTMLResponse(html, status_code=401)
    if request.url.path.startswith("/ui/"):  # a live stream, a log: no page to go to
        return HTMLResponse(str(exc), status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(login_url(target), status_code=303)
    if SESSION_COOKIE in request.cookies:  # one this server no longer takes
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def install_login(api: FastAPI) -> None:
    api.include_router(router)
    api.add_exception_handler(LoginRequired, _login_required)
