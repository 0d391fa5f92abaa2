"""The UI of a server with auth_tokens, in a real browser: the login form, a session
whose pages and live streams work, and a read-only token whose buttons are gone and
whose actions are refused with a notice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiflow_servers import Servers
from playwright.sync_api import expect

from notification_service.client import NotificationClient

ADMIN = "admin-token-for-the-ui"
READER = "reader-token-for-the-ui"
GRANTS = [
    {"name": "admin", "token": ADMIN},
    {"name": "reader", "token": READER, "read": ["default"]},
]
QUICK = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='quick') as w:
    BashOperator(name='t1', bash_command='echo hi')
"""


@pytest.fixture
def servers(servers_factory: Callable[..., Servers]) -> Servers:
    """The `ui` fixture's server, with tokens."""
    return servers_factory(auth_tokens=GRANTS)


def _log_in(page: Any, token: str) -> None:
    page.fill("#token", token)
    page.get_by_role("button", name="Log in").click()


def test_login_a_session_and_a_read_only_token(
    servers: Servers, ui: str, page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    admin = httpx.Client(base_url=ui, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
    with admin:
        r = admin.post("/api/v1/workflows", json={"file_name": "quick.py", "source": QUICK})
        assert r.status_code == 201, r.text

        # No session: the login form, which sends the reader back where it was going.
        page.goto(ui + "/namespaces/default")
        expect(page).to_have_url(ui + "/login?next=%2Fnamespaces%2Fdefault")
        _log_in(page, "not-a-token-of-this-server")
        expect(page.locator("#login-error")).to_have_text("the token is not valid for this server")
        screenshot(page, "login")
        _log_in(page, ADMIN)
        expect(page).to_have_url(ui + "/namespaces/default")
        expect(page.locator("#who")).to_contain_text("admin")
        row = page.locator('tr[data-workflow="quick"]')
        expect(row).to_be_visible()

        # The page's live stream runs on the session: a new execution shows up.
        r = admin.post("/api/v1/namespaces/default/workflows/quick/executions")
        assert r.status_code == 201, r.text
        expect(row.locator("a.square")).to_have_count(1, timeout=20_000)
        row.get_by_role("button", name="Start execution").click()
        expect(page.locator("#flash")).to_contain_text("Started execution 2")

        # So does the events page's (EventSource on the REST API, with the cookie).
        page.goto(ui + "/events")
        with NotificationClient(servers.ns_uri, namespace="default") as events:
            events.send_event("after-login", "live")
        expect(page.locator("#event-rows")).to_contain_text("after-login", timeout=20_000)

        # Log out: back to the form; the old page's actions are refused.
        page.locator("#who").get_by_role("link", name="Log out").click()
        expect(page).to_have_url(ui + "/login")

    # A token that may only read: no buttons, and an action sent anyway is refused.
    page.goto(ui + "/")
    _log_in(page, READER)
    expect(page).to_have_url(ui + "/namespaces/default")
    expect(page.locator('tr[data-workflow="quick"]')).to_be_visible()
    expect(page.get_by_role("button", name="Start execution")).to_have_count(0)
    page.get_by_role("link", name="quick").click()
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#start-execution")).to_have_count(0)
    page.evaluate("htmx.ajax('POST', '/ui/workflows/default/quick/start', {target: '#flash'})")
    refused = page.locator("#flash .flash.error")
    expect(refused).to_contain_text("Not allowed: token 'reader' may not write namespace 'default'")
    screenshot(page, "read_only")
    # The events page shows the reader's namespace, live.
    page.goto(ui + "/events")
    expect(page.locator("#events-note")).to_contain_text("showing default")
    with NotificationClient(servers.ns_uri, namespace="default") as events:
        events.send_event("seen-by-the-reader", "live")
    expect(page.locator("#event-rows")).to_contain_text("seen-by-the-reader", timeout=20_000)


def test_without_tokens_there_is_no_login(servers_factory: Callable[..., Servers]) -> None:
    open_server = servers_factory()
    assert open_server.aiflow is not None
    with httpx.Client(base_url=f"http://127.0.0.1:{open_server.aiflow.rest_port}") as http:
        r = http.post("/api/v1/workflows", json={"file_name": "quick.py", "source": QUICK})
        assert r.status_code == 201, r.text
        assert http.get("/").headers["location"] == "/namespaces/default"
        page = http.get("/namespaces/default/workflows/quick")
        assert page.status_code == 200 and "Log out" not in page.text
        assert 'id="start-execution"' in page.text and "read-only" not in page.text
        assert http.get("/login").status_code == 404
        assert http.get("/api/v1/namespaces").status_code == 200
        assert http.get("/metrics").status_code == 200
