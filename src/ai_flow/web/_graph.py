"""A workflow's tasks and rules as a graph, laid out in layers for an SVG.

Computed from the snapshot's description (what the scheduler runs), so the picture is
the plan itself. Edges: `start_after` (a START on upstream SUCCESS), other task-status
rules labelled with the status and action, event rules from an event node labelled
with the action, and any other condition labelled with its class.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

STATUS_PREFIX = "ai_flow.task_status/"
NODE_W, NODE_H = 160, 44
COL_GAP, ROW_GAP, MARGIN = 90, 26, 20


@dataclass
class Node:
    id: str
    label: str
    kind: str  # "task" or "event"
    detail: str = ""  # the operator's class, or a periodic expression
    layer: int = 0
    x: float = 0
    y: float = 0


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # "after", "status", "event" or "condition"
    label: str
    path: str = ""
    label_x: float = 0
    label_y: float = 0


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0
    height: float = 0


def _short(class_path: str) -> str:
    return class_path.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


def _rule_edges(workflow: str, task: str, rule: dict[str, Any]) -> list[Edge]:
    action = str(rule.get("action", "?"))
    condition = rule.get("condition") or {}
    cls = _short(str(condition.get("class", "Condition")))
    if cls == "TaskStatusCondition":
        out = []
        for upstream, status in (condition.get("upstream_task_status") or {}).items():
            if status == "SUCCESS" and action == "START":
                out.append(Edge(upstream, task, "after", ""))
            else:
                out.append(Edge(upstream, task, "status", f"{status} → {action}"))
        return out
    out = []
    own = f"{STATUS_PREFIX}{workflow}/"
    for key in condition.get("expect_event_keys") or []:
        if key.startswith(own):  # a condition on another task's statuses
            out.append(Edge(key[len(own) :], task, "condition", f"{cls} → {action}"))
        elif cls == "SingleEventCondition":
            out.append(Edge(f"event:{key}", task, "event", action))
        else:
            out.append(Edge(f"event:{key}", task, "condition", f"{cls} → {action}"))
    return out


def build_graph(description: dict[str, Any]) -> Graph:
    workflow = str(description.get("name", ""))
    graph = Graph()
    nodes: dict[str, Node] = {}
    for task in description.get("tasks") or []:
        periodic = task.get("periodic_expression")
        detail = f"⏱ {periodic}" if periodic else _short(str(task.get("operator", "")))
        nodes[task["name"]] = Node(task["name"], task["name"], "task", detail)
    for task, rules in (description.get("rules") or {}).items():
        for rule in rules:
            for edge in _rule_edges(workflow, task, rule):
                if edge.source.startswith("event:") and edge.source not in nodes:
                    key = edge.source[len("event:") :]
                    nodes[edge.source] = Node(edge.source, key, "event", "event")
                if edge.source in nodes and edge.target in nodes:
                    graph.edges.append(edge)
    graph.nodes = list(nodes.values())
    _layout(graph, nodes)
    return graph


def _layers(graph: Graph, nodes: dict[str, Node]) -> None:
    """Longest path from the sources; an edge that closes a cycle is left out."""
    succ: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        succ[e.source].append(e.target)
    order: list[str] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()

    def visit(start: str) -> None:  # iterative DFS: a long chain must not hit recursion
        stack = [(start, iter(succ[start]))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))
                    break
            else:
                state[node] = 2
                order.append(node)
                stack.pop()

    for node_id in nodes:
        if node_id not in state:
            visit(node_id)
    for node_id in reversed(order):  # topological order of the acyclic part
        for child in succ[node_id]:
            if (node_id, child) not in back:
                nodes[child].layer = max(nodes[child].layer, nodes[node_id].layer + 1)
    # An event node sits just before the first task it acts on, not in column 0.
    for node in graph.nodes:
        targets = [nodes[e.target].layer for e in graph.edges if e.source == node.id]
        if node.kind == "event" and targets:
            node.layer = max(0, min(targets) - 1)


def _layout(graph: Graph, nodes: dict[str, Node]) -> None:
    _layers(graph, nodes)
    columns: dict[int, list[Node]] = defaultdict(list)
    for node in graph.nodes:
        columns[node.layer].append(node)
    rank: dict[str, float] = {}
    for layer in sorted(columns):
        column = columns[layer]

        def barycenter(n: Node) -> float:
            preds = [rank[e.source] for e in graph.edges if e.target == n.id and e.source in rank]
            return sum(preds) / len(preds) if preds else float(len(rank))

        column.sort(key=barycenter)
        for i, node in enumerate(column):
            rank[node.id] = i
            node.x = MARGIN + layer * (NODE_W + COL_GAP)
            node.y = MARGIN + i * (NODE_H + ROW_GAP)
    tallest = max((len(c) for c in columns.values()), default=0)
    graph.width = MARGIN * 2 + max(len(columns), 1) * (NODE_W + COL_GAP) - COL_GAP
    graph.height = MARGIN * 2 + max(tallest, 1) * (NODE_H + ROW_GAP) - ROW_GAP + 30
    for edge in graph.edges:
        _route(edge, nodes[edge.source], nodes[edge.target], graph.height)


def _route(edge: Edge, a: Node, b: Node, height: float) -> None:
    if b.layer > a.layer:  # forward: right side to left side
        x1, y1, x2, y2 = a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2
        mid = (x1 + x2) / 2
        edge.path = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
        edge.label_x, edge.label_y = mid, (y1 + y2) / 2 - 4
        return
    # Backward or within a column (a cycle, e.g. a RESTART on its own status): a loop
    # under the nodes, so it never crosses their boxes.
    x1, y1 = a.x + NODE_W / 2, a.y + NODE_H
    x2, y2 = b.x + NODE_W / 2, b.y + NODE_H
    low = max(y1, y2) + 28
    if a is b:
        edge.path = f"M{x1 - 20},{y1} C{x1 - 40},{low} {x1 + 40},{low} {x1 + 20},{y1}"
    else:
        edge.path = f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}"
    edge.label_x, edge.label_y = (x1 + x2) / 2, min(low, height - 4)
