"""Real servers (tests/ai_flow/aiflow_servers.py) and Debian's chromium, driven by
Playwright: no browser download (`playwright install` cannot work offline), so the
browser is /usr/bin/chromium, which .ci/run installs. Without it the browser tests
skip with the reason, and fail when CI=true."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import Servers, servers, servers_factory, wait_until  # noqa: E402

from notification_service.util.environment import is_ci  # noqa: E402

__all__ = ["servers", "servers_factory"]
CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[3]


def _need_browser() -> None:
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem is None:
        return
    if is_ci():
        pytest.fail(problem + " (required when CI=true)")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


def base_url(servers: Servers) -> str:
    server = servers.aiflow
    assert server is not None and server.rest_port
    wait_until(lambda: server.rest.ready, 20, "the REST server")
    return f"http://127.0.0.1:{server.rest_port}"


@pytest.fixture
def ui(servers: Servers) -> str:
    """The web UI's address on the AIFlow server's rest_port."""
    return base_url(servers)


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Save a page's screenshot: into $AIFLOW_SCREENSHOTS (docs/screenshots to refresh
    the README's), else beside the test's files."""
    folder = Path(os.environ.get("AIFLOW_SCREENSHOTS") or tmp_path / "screenshots")
    if not folder.is_absolute():
        folder = REPO / folder
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
