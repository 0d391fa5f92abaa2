"""The web UI served at `/` on rest_port, beside the REST API: server-rendered pages
(Jinja2), htmx and its SSE extension (vendored under static/, so `pip install` alone
serves it) and Server-Sent Events for everything live. A transport like the REST API:
it reads and acts through `ai_flow.app` only.

Importing this package loads FastAPI and Jinja2; only the REST app factory does.
"""

from ai_flow.web._install import install_web

__all__ = ["install_web"]
