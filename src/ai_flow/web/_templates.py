"""The Jinja2 environment of the pages (templates/ is package data)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ai_flow.app.errors import NotFoundError
from ai_flow.web import _format
from notification_service.util.auth import PermissionDenied

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    # A typo in a template fails the page (and the tests) instead of rendering blank.
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    when=_format.when,
    duration=_format.duration,
    status_class=_format.status_class,
    rule_summary=_format.rule_summary,
)


def render(name: str, **values: Any) -> Markup:
    return Markup(_env.get_template(name).render(**values))


def fragment(build: Callable[[], Markup]) -> HTMLResponse:
    """A panel loaded into a page: what `build` renders, or its error as one line in
    the panel (403 when the token may not read the row)."""
    try:
        return HTMLResponse(build())
    except NotFoundError as exc:
        return HTMLResponse(f'<p class="error">{Markup.escape(str(exc))}</p>')
    except PermissionDenied as exc:
        return HTMLResponse(f'<p class="error">{Markup.escape(str(exc))}</p>', status_code=403)
