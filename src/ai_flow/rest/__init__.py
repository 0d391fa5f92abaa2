"""The REST API (`/api/v1`, OpenAPI at `/openapi.json` and `/docs`): a thin adapter over
`ai_flow.app`, as the gRPC API is, served by the AIFlow server on `rest_port`.

`RestServer` and `RestContext` import neither FastAPI nor uvicorn; `create_app` does.
"""

from typing import Any

from ai_flow.rest._context import RestContext
from ai_flow.rest._server import RestServer, RestServerError

__all__ = ["RestContext", "RestServer", "RestServerError", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazily, so that the AIFlow server can hold a RestServer without loading FastAPI.
    if name == "create_app":
        from ai_flow.rest._app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
