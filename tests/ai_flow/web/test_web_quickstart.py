"""The docs' quickstart, clicked through in a real browser against real servers: the
workflow appears, an execution is started from the UI, its grid turns green, a log
line appears live, an event sent with the CLI shows up in the events view, and a
stopped server shows a banner."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiflow_servers import Servers
from playwright.sync_api import expect

from ai_flow import ops

REPO = Path(__file__).resolve().parents[3]
NOTIFICATION = Path(sys.executable).parent / "notification"


def _quickstart(servers: Servers) -> Path:
    """examples/quickstart_workflow.py, naming this test's notification server (as
    scripts/quickstart.sh does for a port other than 50052). task3 sleeps 8 s, not 5:
    time for a slow machine to open its log while it runs."""
    source = (REPO / "examples" / "quickstart_workflow.py").read_text()
    source = source.replace("localhost:50052", servers.ns_uri).replace("sleep(5)", "sleep(8)")
    assert "sleep(8)" in source
    return servers.write(source, "quickstart.py")


def test_the_quickstart_in_the_browser(
    servers: Servers, ui: str, page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    page.goto(ui + "/")
    expect(page).to_have_url(re.compile(r"/namespaces/default$"))
    expect(page.locator("#workflows")).to_contain_text("No workflows")

    # Uploaded with the CLI's API: the open page shows it without a reload.
    ops.upload_workflows(str(_quickstart(servers)))
    row = page.locator('tr[data-workflow="quickstart_workflow"]')
    expect(row).to_contain_text("never run")
    expect(row.locator("button.toggle")).to_have_text("enabled")

    row.get_by_role("link", name="quickstart_workflow").click()
    expect(page.locator("h1")).to_have_text("quickstart_workflow")
    graph = page.locator("svg.graph")
    for task in ("task1", "task2", "task3", "task4"):
        expect(graph.locator(f'g.task[data-node="{task}"]')).to_be_visible()
    expect(graph.locator('g.event[data-node="key"]')).to_be_visible()
    expect(graph.locator("path.edge-after")).to_have_count(2)  # task3.start_after
    expect(graph.locator("text.edge-label-event")).to_have_text("START")
    page.locator("details.source summary").click()
    expect(page.locator("details.source pre")).to_contain_text("EVENT_KEY")

    page.locator("#start-execution").click()
    expect(page.locator("#flash")).to_contain_text("Started execution 1")
    expect(page.locator('tr[data-execution="1"]')).to_be_visible()  # live, no reload

    # The execution: follow task3's log while it runs (it sleeps 5 s, then prints).
    page.locator("#flash").get_by_role("link", name="Open it").click()
    expect(page.locator("#execution-status")).to_have_text("RUNNING")
    task3 = page.locator('#tasks tr[data-task="task3"]')
    expect(task3.locator("a.log-link")).to_be_visible(timeout=30_000)
    task3.locator("a.log-link").click()
    expect(page.locator("#log-state")).to_have_text("Following…")
    expect(page.locator("#log")).to_contain_text("Sending event with key: key", timeout=30_000)
    expect(page.locator("#execution-status")).to_have_text("SUCCESS", timeout=60_000)
    expect(page.locator("#log-state")).to_have_text("The run has ended.")
    expect(page.locator(".gantt .bar.st-success")).to_have_count(4)
    # Why did task3 run? The decision log's answer, in the page's "Why?" panel.
    expect(page.locator("#why-panel")).to_contain_text("Started by: USER")
    task3.locator("a.why-link").click()
    why = page.locator("#why-panel pre.explain")
    expect(why).to_contain_text("Task task3 of workflow execution 1")
    expect(why).to_contain_text("started by: EVENT")
    screenshot(page, "execution")

    page.locator(".crumbs a", has_text="quickstart_workflow").click()
    cells = page.locator('tr[data-execution="1"] td.cell')
    expect(cells).to_have_count(4)
    for i in range(4):
        expect(cells.nth(i)).to_have_attribute("data-status", "SUCCESS")
        expect(cells.nth(i)).to_have_class(re.compile("st-success"))
    screenshot(page, "workflow")

    page.goto(ui + "/")
    expect(page.locator('tr[data-workflow="quickstart_workflow"] a.square')).to_have_class(
        re.compile("st-success")
    )
    screenshot(page, "workflows")

    # Events: the workflow's own event is listed; one sent with the CLI arrives live.
    page.get_by_role("link", name="Events", exact=True).click()
    rows = page.locator("#event-rows tr")
    expect(rows.filter(has_text="This is a custom message.")).to_have_count(1)
    command = [str(NOTIFICATION), "event", "send", "ui_key", "sent from the CLI"]
    command += ["-n", "default", "--sender", "cli", "-s", servers.ns_uri, "-o", "json"]
    sent = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    offset = re.search(r'"offset":\s*(\d+)', sent.stdout)
    assert offset, sent.stdout
    new = page.locator(f'#event-rows tr[data-offset="{offset.group(1)}"]')
    expect(new).to_contain_text("sent from the CLI")
    expect(new).to_contain_text("cli")
    screenshot(page, "events")

    # Filtered by sender, only that event is listed.
    page.fill('input[name="sender"]', "cli")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ui_key")


def test_a_stopped_server_shows_a_banner(
    servers: Servers, ui: str, page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    servers.upload(_quickstart(servers).read_text())
    page.goto(ui + "/namespaces/default")
    banner = page.locator("#banner")
    expect(banner).to_be_hidden()
    assert servers.aiflow is not None
    port = servers.aiflow.rest_port
    servers.stop_aiflow()
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_contain_text("not reachable")
    expect(page.locator("h1")).to_contain_text("Workflows in")  # the page stays
    expect(page.locator('tr[data-workflow="quickstart_workflow"]')).to_be_visible()
    screenshot(page, "server-down")

    # Back on the same port, the page reconnects by itself and catches up.
    servers.start_aiflow(rest_port=port)
    ops.start_workflow_execution("quickstart_workflow", "default")
    expect(banner).to_be_hidden(timeout=30_000)
    expect(page.locator('tr[data-workflow="quickstart_workflow"] a.square')).to_have_count(1)
