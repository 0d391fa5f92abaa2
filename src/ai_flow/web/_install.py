"""Mounting the UI into the REST API's application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ai_flow.web import _actions, _explain, _live, _logs, _pages
from ai_flow.web._login import install_login
from ai_flow.web._templates import STATIC


def install_web(api: FastAPI) -> None:
    """The pages at `/`, their fragments and actions under `/ui`, static files at
    `/ui/static`, the login at `/login`; none of it in the OpenAPI document (it is
    not part of the API)."""
    install_login(api)
    for module in (_pages, _logs, _explain, _live, _actions):
        api.include_router(module.router)
    api.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
