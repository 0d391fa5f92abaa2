"""Access control over HTTP: every route of the REST API and the UI is in ROUTES with
its rule, and each rule is tried against a real server with `auth_tokens` and real
rows: no token and a bad token are 401, a token for another namespace 403, a read-only
token 403 on writes, the right token passes. A route missing from ROUTES fails
`test_every_route_has_a_rule`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiflow_servers import Servers, start_servers, stop_servers, wait_until
from fastapi.routing import iter_route_contexts
from rest_helpers import ECHO, error

from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.internal.rule_codec import encode_rule
from ai_flow.model.rule import WorkflowRule
from ai_flow.rest import create_app

ADMIN = "admin-token-0001"  # every namespace
WRITER = "writer-token-0002"  # writes default and spare
READER = "reader-token-0003"  # reads default
OTHER = "other-token-0004"  # writes only a namespace with nothing in it
BAD = "not-a-token-of-this-server"
GRANTS = [
    {"name": "admin", "token": ADMIN},
    {"name": "writer", "token": WRITER, "write": ["default", "spare"]},
    {"name": "reader", "token": READER, "read": ["default"]},
    {"name": "other", "token": OTHER, "write": ["other"]},
]

# The rules, as the server should apply them.
OPEN = "open"  # no token needed
NAMESPACE = "namespace"  # read (write) on the namespace the request names
OWNER = "owner"  # read (write) on the namespace of the row the path's id names
EVERYWHERE = "everywhere"  # read on every namespace
LISTED = "listed"  # any token: shows only what it may read
UPLOAD = "upload"  # write on the namespaces of the file's workflows
# The UI's kinds of route: a page goes to the login form, the rest answer 401.
PAGE = "page"
UI = "ui"
ACTION = "action"


@dataclass(frozen=True)
class Rule:
    rule: str
    write: bool = False
    #: The request: the route's path with its parameters filled from World.
    path: str = ""
    body: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    #: Server-Sent Events: only the status is read.
    stream: bool = False
    ui: str = ""  # PAGE, UI or ACTION for the web UI's routes


def api(rule: str, path: str, write: bool = False, **kw: Any) -> Rule:
    return Rule(rule, write, "/api/v1" + path, **kw)


RULE = encode_rule(WorkflowRule(SingleEventCondition("go")))
WF = "/namespaces/default/workflows/wf"

#: (method, route path) -> how it is guarded, with a request that exercises it.
ROUTES: dict[tuple[str, str], Rule] = {
    # Open: documentation, probes, the login itself, static files.
    ("GET", "/openapi.json"): Rule(OPEN, path="/openapi.json"),
    ("GET", "/docs"): Rule(OPEN, path="/docs"),
    ("GET", "/docs/oauth2-redirect"): Rule(OPEN, path="/docs/oauth2-redirect"),
    ("GET", "/redoc"): Rule(OPEN, path="/redoc"),
    ("GET", "/api/v1/health"): Rule(OPEN, path="/api/v1/health"),
    ("GET", "/login"): Rule(OPEN, path="/login"),
    ("POST", "/login"): Rule(OPEN, path="/login", form={"token": READER}),
    ("GET", "/logout"): Rule(OPEN, path="/logout"),
    ("POST", "/logout"): Rule(OPEN, path="/logout"),
    ("*", "/ui/static"): Rule(OPEN, path="/ui/static/aiflow.css"),
    # Namespaces
    ("GET", "/api/v1/namespaces"): api(LISTED, "/namespaces"),
    ("POST", "/api/v1/namespaces"): api(NAMESPACE, "/namespaces", True, body={"name": "spare"}),
    ("GET", "/api/v1/namespaces/{namespace}"): api(NAMESPACE, "/namespaces/default"),
    ("PATCH", "/api/v1/namespaces/{namespace}"): api(
        NAMESPACE, "/namespaces/default", True, body={"properties": {"team": "a"}}
    ),
    ("DELETE", "/api/v1/namespaces/{namespace}"): api(NAMESPACE, "/namespaces/spare", True),
    # Workflows and snapshots
    ("GET", "/api/v1/namespaces/{namespace}/workflows"): api(
        NAMESPACE, "/namespaces/default/workflows"
    ),
    ("POST", "/api/v1/workflows"): api(
        UPLOAD,
        "/workflows",
        True,
        body={"file_name": "up.py", "source": ECHO.format(name="up", command="echo up")},
    ),
    ("GET", "/api/v1/namespaces/{namespace}/workflows/{name}"): api(NAMESPACE, WF),
    ("POST", "/api/v1/namespaces/{namespace}/workflows/{name}/enable"): api(
        NAMESPACE, f"{WF}/enable", True
    ),
    ("POST", "/api/v1/namespaces/{namespace}/workflows/{name}/disable"): api(
        NAMESPACE, "/namespaces/default/workflows/gone/disable", True
    ),
    ("DELETE", "/api/v1/namespaces/{namespace}/workflows/{name}"): api(
        NAMESPACE, "/namespaces/default/workflows/gone", True
    ),
    ("GET", "/api/v1/namespaces/{namespace}/workflows/{name}/snapshots"): api(
        NAMESPACE, f"{WF}/snapshots"
    ),
    ("GET", "/api/v1/snapshots/{snapshot_id}"): api(OWNER, "/snapshots/{snapshot}"),
    ("GET", "/api/v1/snapshots/{snapshot_id}/source"): api(OWNER, "/snapshots/{snapshot}/source"),
    ("DELETE", "/api/v1/snapshots/{snapshot_id}"): api(OWNER, "/snapshots/{old_snapshot}", True),
    # Workflow executions
    ("GET", "/api/v1/namespaces/{namespace}/workflows/{name}/executions"): api(
        NAMESPACE, f"{WF}/executions"
    ),
    ("POST", "/api/v1/namespaces/{namespace}/workflows/{name}/executions"): api(
        NAMESPACE, f"{WF}/executions", True
    ),
    ("POST", "/api/v1/namespaces/{namespace}/workflows/{name}/executions/stop"): api(
        NAMESPACE, f"{WF}/executions/stop", True
    ),
    ("GET", "/api/v1/workflow-executions/{execution_id}"): api(
        OWNER, "/workflow-executions/{execution}"
    ),
    ("POST", "/api/v1/workflow-executions/{execution_id}/stop"): api(
        OWNER, "/workflow-executions/{execution}/stop", True
    ),
    ("DELETE", "/api/v1/workflow-executions/{execution_id}"): api(
        OWNER, "/workflow-executions/{spare_execution}", True
    ),
    # Task executions and logs
    ("GET", "/api/v1/workflow-executions/{execution_id}/task-executions"): api(
        OWNER, "/workflow-executions/{execution}/task-executions"
    ),
    ("GET", "/api/v1/task-executions/{task_execution_id}"): api(OWNER, "/task-executions/{task}"),
    ("GET", "/api/v1/task-executions/{task_execution_id}/tries"): api(
        OWNER, "/task-executions/{task}/tries"
    ),
    ("POST", "/api/v1/workflow-executions/{execution_id}/tasks/{task_name}/start"): api(
        OWNER, "/workflow-executions/{execution}/tasks/t1/start", True
    ),
    ("POST", "/api/v1/workflow-executions/{execution_id}/tasks/{task_name}/stop"): api(
        OWNER, "/workflow-executions/{execution}/tasks/t1/stop", True
    ),
    ("GET", "/api/v1/task-executions/{task_execution_id}/log"): api(
        OWNER, "/task-executions/{task}/log"
    ),
    ("GET", "/api/v1/task-executions/{task_execution_id}/log/follow"): api(
        OWNER, "/task-executions/{task}/log/follow", stream=True
    ),
    # Schedules and triggers
    ("GET", "/api/v1/namespaces/{namespace}/workflows/{name}/schedules"): api(
        NAMESPACE, f"{WF}/schedules"
    ),
    ("POST", "/api/v1/namespaces/{namespace}/workflows/{name}/schedules"): api(
        NAMESPACE, f"{WF}/schedules", True, body={"expression": "cron@0 0 1 1 *"}
    ),
    ("GET", "/api/v1/schedules/{schedule_id}"): api(OWNER, "/schedules/{schedule}"),
    ("POST", "/api/v1/schedules/{schedule_id}/pause"): api(
        OWNER, "/schedules/{schedule}/pause", True
    ),
    ("POST", "/api/v1/schedules/{schedule_id}/resume"): api(
        OWNER, "/schedules/{schedule}/resume", True
    ),
    ("DELETE", "/api/v1/schedules/{schedule_id}"): api(OWNER, "/schedules/{spare_schedule}", True),
    ("GET", "/api/v1/namespaces/{namespace}/workflows/{name}/triggers"): api(
        NAMESPACE, f"{WF}/triggers"
    ),
    ("POST", "/api/v1/namespaces/{namespace}/workflows/{name}/triggers"): api(
        NAMESPACE, f"{WF}/triggers", True, body={"rule": RULE}
    ),
    ("GET", "/api/v1/triggers/{trigger_id}"): api(OWNER, "/triggers/{trigger}"),
    ("POST", "/api/v1/triggers/{trigger_id}/pause"): api(OWNER, "/triggers/{trigger}/pause", True),
    ("POST", "/api/v1/triggers/{trigger_id}/resume"): api(
        OWNER, "/triggers/{trigger}/resume", True
    ),
    ("DELETE", "/api/v1/triggers/{trigger_id}"): api(OWNER, "/triggers/{spare_trigger}", True),
    # Events: no namespace filter reads every namespace (test_events_of_one_namespace).
    # Why did it run? (the decision log), and replay (a dry run that runs the file)
    ("GET", "/api/v1/workflow-executions/{execution_id}/tasks/{task_name}/explain"): api(
        OWNER, "/workflow-executions/{execution}/tasks/t/explain"
    ),
    ("GET", "/api/v1/workflow-executions/{execution_id}/explain"): api(
        OWNER, "/workflow-executions/{execution}/explain"
    ),
    ("GET", "/api/v1/events/{offset}/explain"): api(EVERYWHERE, "/events/1/explain"),
    ("POST", "/api/v1/namespaces/{namespace}/replay"): api(
        NAMESPACE,
        "/namespaces/default/replay",
        True,
        body={"file_name": "wf.py", "source": "", "from_offset": 0},
    ),
    ("GET", "/api/v1/events"): api(EVERYWHERE, "/events"),
    ("GET", "/api/v1/events/count"): api(EVERYWHERE, "/events/count"),
    ("GET", "/api/v1/events/stream"): api(EVERYWHERE, "/events/stream", stream=True),
    ("GET", "/metrics"): Rule(EVERYWHERE, path="/metrics"),
    # The UI's pages
    ("GET", "/"): Rule(LISTED, path="/", ui=PAGE),
    ("GET", "/namespaces/{namespace}"): Rule(NAMESPACE, path="/namespaces/default", ui=PAGE),
    ("GET", "/namespaces/{namespace}/timers"): Rule(
        NAMESPACE, path="/namespaces/default/timers", ui=PAGE
    ),
    ("GET", "/namespaces/{namespace}/workflows/{name}"): Rule(NAMESPACE, path=WF, ui=PAGE),
    ("GET", "/executions/{execution_id}"): Rule(OWNER, path="/executions/{execution}", ui=PAGE),
    ("GET", "/events"): Rule(NAMESPACE, path="/events", ui=PAGE),
    # ... their fragments and live streams
    ("GET", "/ui/logs/{task_execution_id}"): Rule(OWNER, path="/ui/logs/{task}", ui=UI),
    ("GET", "/ui/logs/{task_execution_id}/raw"): Rule(OWNER, path="/ui/logs/{task}/raw", ui=UI),
    ("GET", "/ui/explain/{execution_id}"): Rule(OWNER, path="/ui/explain/{execution}", ui=UI),
    ("GET", "/ui/explain/{execution_id}/tasks/{task_name}"): Rule(
        OWNER, path="/ui/explain/{execution}/tasks/t", ui=UI
    ),
    ("GET", "/ui/live/namespaces/{namespace}"): Rule(
        NAMESPACE, path="/ui/live/namespaces/default", ui=UI, stream=True
    ),
    ("GET", "/ui/live/namespaces/{namespace}/timers"): Rule(
        NAMESPACE, path="/ui/live/namespaces/default/timers", ui=UI, stream=True
    ),
    ("GET", "/ui/live/namespaces/{namespace}/workflows/{name}"): Rule(
        NAMESPACE, path=f"/ui/live{WF}", ui=UI, stream=True
    ),
    ("GET", "/ui/live/executions/{execution_id}"): Rule(
        OWNER, path="/ui/live/executions/{execution}", ui=UI, stream=True
    ),
    # ... and their buttons
    ("POST", "/ui/workflows/{namespace}/{name}/start"): Rule(
        NAMESPACE, True, "/ui/workflows/default/wf/start", ui=ACTION
    ),
    ("POST", "/ui/workflows/{namespace}/{name}/stop-all"): Rule(
        NAMESPACE, True, "/ui/workflows/default/wf/stop-all", ui=ACTION
    ),
    ("POST", "/ui/workflows/{namespace}/{name}/{change}"): Rule(
        NAMESPACE, True, "/ui/workflows/default/wf/enable", ui=ACTION
    ),
    ("POST", "/ui/executions/{execution_id}/stop"): Rule(
        OWNER, True, "/ui/executions/{execution}/stop", ui=ACTION
    ),
    ("POST", "/ui/executions/{execution_id}/tasks/{task_name}/{change}"): Rule(
        OWNER, True, "/ui/executions/{execution}/tasks/t1/start", ui=ACTION
    ),
    ("POST", "/ui/schedules/{schedule_id}/{change}"): Rule(
        OWNER, True, "/ui/schedules/{schedule}/pause", ui=ACTION
    ),
    ("POST", "/ui/triggers/{trigger_id}/{change}"): Rule(
        OWNER, True, "/ui/triggers/{trigger}/pause", ui=ACTION
    ),
}
GUARDED = sorted(k for k, r in ROUTES.items() if r.rule != OPEN)


def _served_routes() -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(create_app().routes):
        methods = set(getattr(route, "methods", None) or ()) - {"HEAD"}
        for method in methods or {"*"}:
            found.add((method, route.path))
    return found


def test_every_route_has_a_rule() -> None:
    served = _served_routes()
    missing = sorted(served - set(ROUTES))
    assert not missing, f"routes without an access rule in ROUTES: {missing}"
    assert not sorted(set(ROUTES) - served), "ROUTES names routes the app does not have"


# A real server with auth_tokens and real rows for every id a route names.


@dataclass
class World:
    servers: Servers
    base: str
    ids: dict[str, int] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def client(self, token: str | None = None, cookie: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        cookies = {"aiflow_session": self.cookies[cookie]} if cookie else None
        return httpx.Client(base_url=self.base, headers=headers, cookies=cookies, timeout=30)


def _upload(http: httpx.Client, name: str, command: str) -> dict[str, Any]:
    source = ECHO.format(name=name, command=command)
    r = http.post("/api/v1/workflows", json={"file_name": f"{name}.py", "source": source})
    assert r.status_code == 201, r.text
    return dict(r.json()["workflows"][0])


def _made(r: httpx.Response) -> int:
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _build(world: World) -> None:
    with world.client(ADMIN) as http:
        old = _upload(http, "wf", "echo one")["latest_snapshot_id"]
        snapshot = _upload(http, "wf", "echo two")["latest_snapshot_id"]
        _upload(http, "gone", "echo gone")
        execution = _made(http.post(f"/api/v1{WF}/executions"))
        spare_execution = _made(http.post(f"/api/v1{WF}/executions"))
        schedules = f"/api/v1{WF}/schedules"
        triggers = f"/api/v1{WF}/triggers"
        world.ids.update(
            old_snapshot=old,
            snapshot=snapshot,
            execution=execution,
            spare_execution=spare_execution,
            schedule=_made(http.post(schedules, json={"expression": "cron@0 0 1 1 *"})),
            spare_schedule=_made(http.post(schedules, json={"expression": "cron@0 0 1 1 *"})),
            trigger=_made(http.post(triggers, json={"rule": RULE})),
            spare_trigger=_made(http.post(triggers, json={"rule": RULE})),
        )

        def first_task() -> int | None:
            r = http.get(f"/api/v1/workflow-executions/{execution}/task-executions")
            found = r.json()["task_executions"]
            return int(found[0]["id"]) if found else None

        world.ids["task"] = wait_until(first_task, 30, "a task execution")
    for token in (ADMIN, WRITER, READER, OTHER):
        with httpx.Client(base_url=world.base, timeout=30) as http:
            r = http.post("/login", data={"token": token, "next": "/"})
            assert r.status_code == 303, r.text
            world.cookies[token] = r.cookies["aiflow_session"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        tmp: Path = tmp_path_factory.mktemp("auth")
        servers = start_servers(tmp)
        patch.setenv("AIFLOW_HOME", str(servers.home))
        try:
            server = servers.start_aiflow(auth_tokens=GRANTS)
            wait_until(lambda: server.rest.ready, 20, "the REST server")
            built = World(servers, f"http://127.0.0.1:{server.rest_port}")
            _build(built)
            yield built
        finally:
            stop_servers(servers)


def _send(world: World, key: tuple[str, str], token: str | None, as_cookie: bool) -> httpx.Response:
    """The rule's request, with `token` as the header (API) or the session (UI)."""
    method, _route = key
    rule = ROUTES[key]
    path = rule.path.format(**world.ids)
    headers = {"HX-Request": "true"} if rule.ui == ACTION else {}
    if as_cookie:
        cookie = world.cookies.get(token) if token in world.cookies else None
        jar = {"aiflow_session": cookie or "bm9wZS1ub3QtYS10b2tlbg=="} if token else None
        http = httpx.Client(base_url=world.base, cookies=jar, timeout=30)
    else:
        http = world.client(token)
    with http:
        request = http.build_request(method, path, json=rule.body, headers=headers)
        response = http.send(request, stream=True)
        try:
            if not rule.stream or response.status_code != 200:
                response.read()
        finally:
            response.close()
        return response


def _right(rule: Rule) -> str:
    """A token the rule lets through, scoped as narrowly as the rule allows."""
    if rule.rule == EVERYWHERE:
        return ADMIN
    return WRITER if rule.write else READER


def _refused_api(response: httpx.Response, status: int) -> str:
    message = error(response, status)
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    return message


@pytest.mark.parametrize(
    "key", [k for k in GUARDED if not ROUTES[k].ui], ids="{0[0]} {0[1]}".format
)
def test_api_route(world: World, key: tuple[str, str]) -> None:
    rule = ROUTES[key]
    assert "requires a token" in _refused_api(_send(world, key, None, False), 401)
    message = _refused_api(_send(world, key, BAD, False), 401)
    assert message == "the token is not valid for this server"
    other = _send(world, key, OTHER, False)
    if rule.rule == LISTED:
        assert other.status_code == 200 and other.json()["total_entries"] == 0
    else:
        assert "token 'other' may not" in _refused_api(other, 403)
    if rule.write or rule.rule == EVERYWHERE:
        assert "token 'reader' may not" in _refused_api(_send(world, key, READER, False), 403)
    allowed = _send(world, key, _right(rule), False)
    assert allowed.status_code not in (401, 403), allowed.text


@pytest.mark.parametrize("key", [k for k in GUARDED if ROUTES[k].ui], ids="{0[0]} {0[1]}".format)
def test_ui_route(world: World, key: tuple[str, str]) -> None:
    rule = ROUTES[key]
    for token in (None, BAD):
        refused = _send(world, key, token, True)
        if rule.ui == PAGE:
            assert refused.status_code == 303
            assert refused.headers["location"].startswith("/login?next=")
        else:
            assert refused.status_code == 401, refused.text
    other = _send(world, key, OTHER, True)
    if rule.rule == LISTED:
        assert other.status_code == 200 and "may read none" in other.text
    else:
        assert other.status_code == 403, other.text
        assert "may not" in other.text and "other" in other.text
    if rule.write:
        refused = _send(world, key, READER, True)
        assert refused.status_code == 403 and "may not write" in refused.text
    allowed = _send(world, key, _right(rule), True)
    assert allowed.status_code not in (401, 403), allowed.text


@pytest.mark.parametrize("key", sorted(k for k, r in ROUTES.items() if r.rule == OPEN))
def test_open_route(world: World, key: tuple[str, str]) -> None:
    method, _route = key
    with httpx.Client(base_url=world.base, timeout=30) as http:
        r = http.request(method, ROUTES[key].path, data=ROUTES[key].form)
    assert r.status_code not in (401, 403), r.text


def test_health_is_open_and_names_no_namespace(world: World) -> None:
    with httpx.Client(base_url=world.base, timeout=30) as http:
        r = http.get("/api/v1/health")
    assert r.status_code == 200 and set(r.json()) == {
        "status",
        "database",
        "notification_server",
        "scheduler",
    }
    assert "default" not in r.text and "wf" not in r.text


def test_lists_show_what_the_token_may_read(world: World) -> None:
    with world.client(READER) as http:
        listed = http.get("/api/v1/namespaces").json()
    assert [n["name"] for n in listed["namespaces"]] == ["default"]
    with world.client(ADMIN) as http:
        http.post("/api/v1/namespaces", json={"name": "hidden"})
        assert "hidden" in [n["name"] for n in http.get("/api/v1/namespaces").json()["namespaces"]]
    with world.client(READER) as http:
        assert listed == http.get("/api/v1/namespaces").json()


def test_events_of_one_namespace(world: World) -> None:
    with world.client(READER) as http:
        assert http.get("/api/v1/events", params={"namespace": "default"}).status_code == 200
        assert http.get("/api/v1/events/count", params={"namespace": "default"}).status_code == 200
        r = http.get("/api/v1/events", params={"namespace": "other"})
        assert error(r, 403) == "token 'reader' may not read namespace 'other'"
        with http.stream("GET", "/api/v1/events/stream", params={"namespace": "default"}) as s:
            assert s.status_code == 200


def test_the_cookie_counts_on_reads_and_htmx_requests_only(world: World) -> None:
    jar = {"aiflow_session": world.cookies[ADMIN]}
    with httpx.Client(base_url=world.base, cookies=jar, timeout=30) as http:
        assert http.get(f"/api/v1{WF}").status_code == 200
        # A write needs the header: another site's form could send the cookie.
        r = http.post(f"/api/v1{WF}/enable")
        assert "requires a token" in error(r, 401)
        r = http.post(f"/api/v1{WF}/enable", headers={"HX-Request": "true"})
        assert r.status_code == 200
    with world.client(ADMIN) as http:
        assert http.post(f"/api/v1{WF}/enable").status_code == 200


def test_user_calls_record_the_token_name(world: World) -> None:
    with world.client(WRITER) as http:
        execution = _made(http.post(f"/api/v1{WF}/executions"))
        explained = http.get(f"/api/v1/workflow-executions/{execution}/explain").json()
        assert explained["started_by"]["detail"] == "started by a user (token 'writer')"
        r = http.post(f"/api/v1/workflow-executions/{execution}/stop")
        assert r.status_code == 202, r.text
        explained = http.get(f"/api/v1/workflow-executions/{execution}/explain").json()
    details = [d["detail"] for d in explained["decisions"]]
    assert "stopped by a user (token 'writer')" in details
