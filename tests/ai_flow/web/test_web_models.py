"""The graph, grid and Gantt built from real descriptions and rows (no server)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ai_flow.evaluator import describe_workflow_file
from ai_flow.metadata import TaskExecutionRow, WorkflowExecutionRow
from ai_flow.web._gantt import build_gantt
from ai_flow.web._graph import NODE_H, NODE_W, build_graph
from ai_flow.web._grid import build_grid

REPO = Path(__file__).resolve().parents[3]

RULES = """
from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.status import TaskStatus
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator


class Threshold(Condition):
    def is_met(self, event, context):
        return True


with Workflow(name='rules') as w:
    a = BashOperator(name='a', bash_command='true')
    b = BashOperator(name='b', bash_command='true')
    c = BashOperator(name='c', bash_command='true', periodic_expression='interval@0 0 1 0')
    b.start_after(a)
    a.action_on_task_status(TaskAction.RESTART, {b: TaskStatus.FAILED})
    c.action_on_condition(TaskAction.STOP, Threshold(expect_event_keys=['model']))
"""


def _describe(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "wf.py"
    path.write_text(textwrap.dedent(source))
    return describe_workflow_file(path)[0]


def test_the_quickstart_graph() -> None:
    (desc,) = describe_workflow_file(REPO / "examples" / "quickstart_workflow.py")
    graph = build_graph(desc)
    edges = {(e.source, e.target, e.kind, e.label) for e in graph.edges}
    assert edges == {
        ("task1", "task3", "after", ""),
        ("task2", "task3", "after", ""),
        ("event:key", "task4", "event", "START"),
    }
    layer = {n.id: n.layer for n in graph.nodes}
    assert layer["task1"] == layer["task2"] == 0 and layer["task3"] == 1
    assert layer["event:key"] == layer["task4"] - 1


def test_status_cycles_and_custom_conditions_are_labelled(tmp_path: Path) -> None:
    graph = build_graph(_describe(tmp_path, RULES))
    edges = {(e.source, e.target): (e.kind, e.label) for e in graph.edges}
    assert edges[("a", "b")] == ("after", "")
    assert edges[("b", "a")] == ("status", "FAILED → RESTART")  # closes a cycle
    assert edges[("event:model", "c")] == ("condition", "Threshold → STOP")
    assert next(n for n in graph.nodes if n.id == "c").detail == "⏱ interval@0 0 1 0"
    assert all(e.path.startswith("M") for e in graph.edges)
    boxes = [(n.x, n.y) for n in graph.nodes]
    assert len(set(boxes)) == len(boxes)  # no two nodes on one spot
    assert all(x + NODE_W <= graph.width and y + NODE_H <= graph.height for x, y in boxes)


def _run(
    run_id: int,
    task: str,
    seq: int,
    status: str,
    begin: int | None,
    end: int | None,
    try_number: int = 1,
    try_start_time: int | None = None,
) -> TaskExecutionRow:
    return TaskExecutionRow(
        id=run_id,
        workflow_execution_id=1,
        task_name=task,
        sequence_number=seq,
        execution_type="MANUAL",
        status=status,
        begin_date=begin,
        end_date=end,
        try_number=try_number,
        try_start_time=try_start_time,
    )


def _execution(begin: int, end: int | None, status: str) -> WorkflowExecutionRow:
    return WorkflowExecutionRow(
        id=1,
        workflow_id=1,
        snapshot_id=1,
        execution_type="MANUAL",
        status=status,
        begin_date=begin,
        end_date=end,
    )


def test_the_grid_shows_each_tasks_latest_run() -> None:
    runs = [
        _run(1, "a", 1, "FAILED", 0, 1),
        _run(2, "a", 2, "SUCCESS", 2, 3),
        _run(3, "old", 1, "SUCCESS", 0, 1),
    ]
    grid = build_grid(["a", "b"], [(_execution(0, 3, "SUCCESS"), runs)])
    assert grid.tasks == ["a", "b", "old"]
    a, b, old = grid.rows[0].cells
    assert a is not None and (a.status, a.sequence_number, a.runs) == ("SUCCESS", 2, 2)
    assert b is None and old is not None


def test_the_gantt_spans_the_execution_and_shades_earlier_tries() -> None:
    runs = [
        _run(1, "a", 1, "SUCCESS", 1000, 3000),
        _run(2, "b", 1, "RUNNING", 3000, None, try_number=2, try_start_time=4000),
        _run(3, "c", 1, "QUEUED", None, None),
    ]
    gantt = build_gantt(_execution(1000, None, "RUNNING"), runs, now=5000)
    a, b = gantt.bars
    assert (a.left, a.width) == (0, 50)
    assert (b.left, b.width, b.retry_width) == (50, 50, 25)
    assert [r.task_name for r in gantt.pending] == ["c"]
    assert [t.label for t in gantt.ticks] == ["+0s", "+1.0s", "+2.0s", "+3.0s", "+4.0s"]


def test_a_trigger_rule_reads_as_its_condition() -> None:
    from ai_flow.model.internal.conditions import SingleEventCondition
    from ai_flow.model.internal.rule_codec import encode_rule
    from ai_flow.model.rule import WorkflowRule
    from ai_flow.web._format import rule_summary

    rule = encode_rule(WorkflowRule(SingleEventCondition("go")))
    assert rule_summary(rule) == "SingleEventCondition on go"
    assert rule_summary("not json") == "not json"
