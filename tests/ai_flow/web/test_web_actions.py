"""The buttons, in a real browser: pause and resume a schedule and a trigger, disable
and enable a workflow, restart and stop a task, stop an execution; and a followed log
that keeps the reader's place while it grows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiflow_servers import Servers
from playwright.sync_api import expect

from ai_flow import ops
from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.rule import WorkflowRule

LONG = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='long') as w:
    BashOperator(name='sleeper', bash_command='sleep 60')
    BashOperator(name='other', bash_command='sleep 60')
"""

CHATTY = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='chatty') as w:
    BashOperator(name='talker', bash_command='''
        seq 1 50000 | sed 's/^/an early line of a long log, number /'
        for i in $(seq 1 300); do echo "live line $i"; sleep 0.03; done
        sleep 1
        seq 1 100000 | sed 's/^/a late line of a long log, number /'
    ''')
"""


def test_schedules_triggers_and_the_workflow_switch(
    servers: Servers, ui: str, page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    servers.upload(LONG)
    schedule = ops.add_workflow_schedule("interval@0 1 0 0", "long")
    trigger = ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("go")), "long")
    page.goto(ui + "/namespaces/default/workflows/long")

    row = page.locator(f'tr[data-schedule="{schedule.id}"]')
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Pause").click()
    expect(row).to_contain_text("paused")
    row.get_by_role("button", name="Resume").click()
    expect(row).to_contain_text("active")
    assert not ops.get_workflow_schedule(schedule.id).is_paused

    row = page.locator(f'tr[data-trigger="{trigger.id}"]')
    row.get_by_role("button", name="Pause").click()
    expect(row).to_contain_text("paused")
    assert ops.get_workflow_trigger(trigger.id).is_paused

    # The namespace's schedules and triggers, all on one page.
    page.get_by_role("link", name="default").first.click()
    page.get_by_role("link", name="Schedules and triggers").click()
    row = page.locator(f'tr[data-trigger="{trigger.id}"]')
    expect(row).to_contain_text("paused")
    expect(row).to_contain_text("SingleEventCondition")
    row.get_by_role("button", name="Resume").click()
    expect(row).to_contain_text("active")
    expect(page.locator(f'tr[data-schedule="{schedule.id}"]')).to_contain_text("interval@0 1 0 0")
    screenshot(page, "timers")
    page.get_by_role("link", name="long").first.click()

    page.locator("#header button.toggle").click()
    expect(page.locator("#header button.toggle")).to_have_text("disabled")
    page.locator("#start-execution").click()
    expect(page.locator("#flash .flash.error")).to_contain_text("disabled")
    page.locator("#header button.toggle").click()
    expect(page.locator("#header button.toggle")).to_have_text("enabled")


def test_restart_and_stop_a_task_then_the_execution(servers: Servers, ui: str, page: Any) -> None:
    execution_id = servers.run(LONG, "long")
    page.goto(f"{ui}/executions/{execution_id}")
    sleeper = page.locator('#tasks tr[data-task="sleeper"]')
    expect(sleeper).to_have_attribute("data-status", "RUNNING", timeout=30_000)

    sleeper.get_by_role("button", name="Restart").click()
    expect(page.locator("#flash")).to_contain_text("Restarting sleeper as run #2")
    expect(sleeper).to_contain_text("#2")
    expect(sleeper).to_have_attribute("data-status", "RUNNING", timeout=30_000)
    expect(page.locator(".gantt-row")).to_have_count(3)  # sleeper #1 and #2, other

    sleeper.get_by_role("button", name="Stop", exact=True).click()
    expect(sleeper).to_have_attribute("data-status", "STOPPED", timeout=30_000)
    expect(page.locator("#execution-status")).to_have_text("RUNNING")  # `other` runs
    sleeper.get_by_role("button", name="Start", exact=True).click()
    expect(sleeper).to_contain_text("#3")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Stop execution").click()
    expect(page.locator("#execution-status")).to_have_text("STOPPED", timeout=30_000)
    expect(sleeper.get_by_role("button")).to_have_count(0)  # nothing to do any more


def test_a_followed_log_keeps_the_readers_place(servers: Servers, ui: str, page: Any) -> None:
    execution_id = servers.run(CHATTY, "chatty")
    page.goto(f"{ui}/executions/{execution_id}")
    talker = page.locator('#tasks tr[data-task="talker"]')
    expect(talker.locator("a.log-link")).to_be_visible(timeout=30_000)
    expect(talker).to_have_attribute("data-status", "RUNNING", timeout=30_000)
    talker.locator("a.log-link").click()
    log = page.locator("#log")
    expect(log).to_contain_text("live line", timeout=30_000)
    # The huge start of the log is not in the page: its tail is, the rest a click away.
    assert page.evaluate("document.getElementById('log').textContent.length") < 200_000
    expect(page.get_by_text(re.compile(r"The first \d+ bytes are not shown"))).to_be_visible()

    # Scrolled up, the reader stays put while lines arrive...
    page.evaluate("document.getElementById('log').scrollTop = 100")
    grown = page.evaluate("document.getElementById('log').textContent.length")
    page.wait_for_function(f"document.getElementById('log').textContent.length > {grown} + 200")
    assert page.evaluate("document.getElementById('log').scrollTop") == 100
    # ...and at the end, it follows the end.
    page.evaluate("const l = document.getElementById('log'); l.scrollTop = l.scrollHeight")
    expect(log).to_contain_text("live line 300", timeout=30_000)
    at_end = "(l => l.scrollHeight - l.scrollTop - l.clientHeight)(document.getElementById('log'))"
    assert page.evaluate(at_end) < 8
    # Megabytes more: the page keeps only the last of them, and still follows the end.
    expect(log).to_contain_text("number 100000", timeout=30_000)
    expect(page.locator("#log-state")).to_have_text("The run has ended.", timeout=30_000)
    assert page.evaluate("document.getElementById('log').textContent.length") <= 1 << 20
    expect(log).not_to_contain_text("live line 1\n")
    assert page.evaluate(at_end) < 8
