"""A FAKE Kubernetes API server for the tests of the Kubernetes executor: not a cluster.

A real HTTP server on 127.0.0.1 (stdlib ThreadingHTTPServer) that speaks the part of
the core/v1 pods API the executor uses, to the official `kubernetes` client: create
(409 on an existing name), get (404), list with an equality ``labelSelector`` (and the
list's ``metadata.resourceVersion``), watch (``?watch=true&resourceVersion=N``: newline
delimited ADDED / MODIFIED / DELETED events after N, in chunked HTTP; an ERROR event
with a 410 Status when N was compacted away; ``timeoutSeconds`` honoured), and delete
(with a grace period: the pod gets a deletionTimestamp, then disappears). Every change
takes the next resourceVersion.

The test drives pods with `set_phase`, `set_waiting`, `set_unschedulable`, compacts the
event history (`compact`), holds watches back while it changes things
(`watches_held`) or freezes the open ones (`freeze_watches`: silent, never closed).
With ``kubelet=True`` the fake emulates a kubelet: a created pod goes Running and its
first container's command runs as a local subprocess (``python`` is this interpreter;
the image is ignored, unless it is one of `unpullable_images`: ErrImagePull); its exit
code ends the pod Succeeded or Failed, and deleting the pod sends SIGTERM to the
"container" (the process and all it spawned), SIGKILL after the grace.
What it does not do: other resources, field selectors, patch, authentication, images.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from ai_flow.executor._process import descendants, kill_all

Pod = dict[str, Any]
_PREFIX = "/api/v1/namespaces/"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif labels.get(term) is None:
            return False
    return True


def _container_status(pod: Pod, state: dict[str, Any]) -> dict[str, Any]:
    container = pod["spec"]["containers"][0]
    return {
        "name": container["name"],
        "image": container.get("image", ""),
        "imageID": "",
        "ready": "running" in state,
        "restartCount": 0,
        "state": state,
    }


class _Stream:
    def __init__(self) -> None:
        self.frozen = False
        self.closed = False


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away
            super().handle_error(request, client_address)


class FakeKubernetesApiServer:
    """The FAKE API server (see the module docstring); ``url`` is its address."""

    def __init__(self, kubelet: bool = False, root: Path | None = None) -> None:
        self.kubelet = kubelet
        #: Images the kubelet emulation "cannot pull": their pods wait in ErrImagePull.
        self.unpullable_images: set[str] = set()
        self.root = root  # where the kubelet keeps each pod's output (<root>/<pod>.log)
        self.changed = threading.Condition()
        self.revision = 0
        self.compacted = 0  # events up to this revision are forgotten
        self.pods: dict[tuple[str, str], Pod] = {}
        self.events: list[tuple[int, str, str, Pod]] = []  # revision, namespace, type, pod
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self.gone_answers = 0
        self._held = False
        self._streams: set[_Stream] = set()
        self._processes: dict[tuple[str, str], subprocess.Popen[bytes]] = {}
        self._closing = threading.Event()
        self._http = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def close(self) -> None:
        self._closing.set()
        with self.changed:
            self.changed.notify_all()
        for process in list(self._processes.values()):
            kill_all([*descendants(process.pid), process.pid])
        self._http.shutdown()
        self._http.server_close()

    def write_kube_config(self, path: Path, namespace: str = "default") -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "not-checked"}}],
            "contexts": [
                {
                    "name": "fake",
                    "context": {"cluster": "fake", "user": "fake", "namespace": namespace},
                }
            ],
            "current-context": "fake",
        }
        path.write_text(json.dumps(config))  # JSON is YAML
        return path

    # The store (callers hold `changed`).

    def _record(self, namespace: str, kind: str, pod: Pod) -> None:
        self.revision += 1
        pod["metadata"]["resourceVersion"] = str(self.revision)
        self.events.append((self.revision, namespace, kind, copy.deepcopy(pod)))
        self.changed.notify_all()

    def _change(self, namespace: str, name: str, update: Any) -> Pod:
        with self.changed:
            pod = self.pods[(namespace, name)]
            update(pod)
            self._record(namespace, "MODIFIED", pod)
            return copy.deepcopy(pod)

    def _remove(self, namespace: str, name: str) -> None:
        with self.changed:
            pod = self.pods.pop((namespace, name), None)
            if pod is not None:
                self._record(namespace, "DELETED", pod)

    # What the test drives.

    def pod(self, name: str, namespace: str = "default") -> Pod | None:
        with self.changed:
            found = self.pods.get((namespace, name))
            return copy.deepcopy(found) if found else None

    def names(self, namespace: str = "default") -> list[str]:
        with self.changed:
            return sorted(n for ns, n in self.pods if ns == namespace)

    def set_phase(
        self,
        name: str,
        phase: str,
        reason: str | None = None,
        exit_code: int | None = None,
        namespace: str = "default",
    ) -> Pod:
        def update(pod: Pod) -> None:
            status = pod["status"]
            status["phase"] = phase
            if phase == "Running":
                state: dict[str, Any] = {"running": {"startedAt": _now()}}
            elif phase in ("Succeeded", "Failed"):
                code = exit_code if exit_code is not None else int(phase == "Failed")
                ended = {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}
                state = {"terminated": ended}
            else:
                state = {"waiting": {"reason": reason or "ContainerCreating"}}
            status["containerStatuses"] = [_container_status(pod, state)]
            if reason and phase in ("Succeeded", "Failed"):
                status["reason"] = reason  # of the pod, e.g. Evicted

        return self._change(namespace, name, update)

    def set_waiting(
        self, name: str, reason: str, message: str = "", namespace: str = "default"
    ) -> Pod:
        def update(pod: Pod) -> None:
            waiting = {"reason": reason, "message": message}
            pod["status"]["containerStatuses"] = [_container_status(pod, {"waiting": waiting})]

        return self._change(namespace, name, update)

    def set_unschedulable(self, name: str, message: str, namespace: str = "default") -> Pod:
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
        }
        return self._change(namespace, name, lambda p: p["status"].update(conditions=[condition]))

    def compact(self) -> None:
        """Forget the event history up to now: a watch from an older version gets 410."""
        with self.changed:
            self.compacted = self.revision
            self.events.clear()

    @contextlib.contextmanager
    def watches_held(self) -> Iterator[None]:
        """End the open watches and keep new ones waiting until the block is left."""
        with self.changed:
            self._held = True
            for stream in self._streams:
                stream.closed = True
            self.changed.notify_all()
        try:
            yield
        finally:
            with self.changed:
                self._held = False
                self.changed.notify_all()

    def freeze_watches(self) -> int:
        """The open watches go silent and are never closed (a dead connection no one
        noticed); returns how many. New watches work."""
        with self.changed:
            for stream in self._streams:
                stream.frozen = True
            return len(self._streams)

    def watch_requests(self) -> int:
        return sum(1 for method, path in self.requests if method == "GET" and "watch=" in path)

    # The kubelet emulation.

    def _run_pod(self, namespace: str, name: str, pod: Pod) -> None:
        container = pod["spec"]["containers"][0]
        image = container.get("image", "")
        if image in self.unpullable_images:
            self.set_waiting(name, "ErrImagePull", f"pull access denied for {image}", namespace)
            return
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            "HOME": os.environ.get("HOME", "/tmp"),
        }
        env.update({e["name"]: e.get("value", "") for e in container.get("env") or []})
        out_dir = self.root or Path("/tmp")
        with self.changed, open(out_dir / f"{name}.log", "ab") as out:
            current = self.pods.get((namespace, name))
            if current is None or current["metadata"].get("deletionTimestamp"):
                return  # deleted before it started
            process = subprocess.Popen(
                [*container.get("command", []), *container.get("args", [])],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=out_dir,
                env=env,
                start_new_session=True,
            )
            self._processes[(namespace, name)] = process
            self.set_phase(name, "Running", namespace=namespace)
        code = process.wait()
        with self.changed:
            self._processes.pop((namespace, name), None)
            current = self.pods.get((namespace, name))
            if current is None or current["metadata"].get("deletionTimestamp"):
                return  # deleted: the deleting thread removes it
        self.set_phase(
            name, "Succeeded" if code == 0 else "Failed", exit_code=code, namespace=namespace
        )

    def _terminate(self, namespace: str, name: str, grace: int) -> None:
        with self.changed:
            process = self._processes.get((namespace, name))
        if process is not None:
            spawned = descendants(process.pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
            kill_all([*spawned, *descendants(process.pid), process.pid])
            process.wait()
        self._remove(namespace, name)

    # HTTP.

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self) -> tuple[str, str | None, dict[str, str]] | None:
                url = urlparse(self.path)
                fake.requests.append((self.command, self.path))
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                parts = url.path[len(_PREFIX) :].split("/") if url.path.startswith(_PREFIX) else []
                if len(parts) == 2 and parts[1] == "pods":
                    return parts[0], None, query
                if len(parts) == 3 and parts[1] == "pods":
                    return parts[0], parts[2], query
                self._send(404, _status(404, "NotFound", f"no route {url.path}"))
                return None

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}") if length else {}

            def do_POST(self) -> None:
                route = self._route()
                if route is None:
                    return
                namespace, _, _ = route
                pod = self._body()
                meta = pod.setdefault("metadata", {})
                name = meta.get("name")
                with fake.changed:
                    if (namespace, name) in fake.pods:
                        message = f'pods "{name}" already exists'
                        self._send(409, _status(409, "AlreadyExists", message))
                        return
                    meta.update(
                        namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=_now()
                    )
                    pod["status"] = {"phase": "Pending"}
                    fake.pods[(namespace, name)] = pod
                    fake._record(namespace, "ADDED", pod)
                    created = copy.deepcopy(pod)
                self._send(201, created)
                if fake.kubelet:
                    args = (namespace, name, created)
                    threading.Thread(target=fake._run_pod, args=args, daemon=True).start()

            def do_GET(self) -> None:
                route = self._route()
                if route is None:
                    return
                namespace, name, query = route
                if name is not None:
                    pod = fake.pod(name, namespace)
                    if pod is None:
                        self._send(404, _status(404, "NotFound", f'pods "{name}" not found'))
                    else:
                        self._send(200, pod)
                elif query.get("watch") in ("true", "1"):
                    self._watch(namespace, query)
                else:
                    selector = query.get("labelSelector", "")
                    with fake.changed:
                        items = [
                            copy.deepcopy(p)
                            for (ns, _), p in fake.pods.items()
                            if ns == namespace
                            and _matches(p["metadata"].get("labels") or {}, selector)
                        ]
                        version = str(fake.revision)
                    self._send(
                        200,
                        {
                            "kind": "PodList",
                            "apiVersion": "v1",
                            "metadata": {"resourceVersion": version},
                            "items": items,
                        },
                    )

            def do_DELETE(self) -> None:
                route = self._route()
                if route is None or route[1] is None:
                    return
                namespace, name, query = route
                body = self._body()
                grace = int(body.get("gracePeriodSeconds", query.get("gracePeriodSeconds", 30)))
                with fake.changed:
                    pod = fake.pods.get((namespace, name))
                    if pod is None:
                        self._send(404, _status(404, "NotFound", f'pods "{name}" not found'))
                        return
                    if not pod["metadata"].get("deletionTimestamp"):
                        pod["metadata"]["deletionTimestamp"] = _now()
                        pod["metadata"]["deletionGracePeriodSeconds"] = grace
                        fake._record(namespace, "MODIFIED", pod)
                    answer = copy.deepcopy(pod)
                self._send(200, answer)
                args = (namespace, name, grace)
                threading.Thread(target=fake._terminate, args=args, daemon=True).start()

            def _chunk(self, data: dict[str, Any]) -> None:
                line = json.dumps(data).encode() + b"\n"
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()

            def _watch(self, namespace: str, query: dict[str, str]) -> None:
                selector = query.get("labelSelector", "")
                deadline = time.monotonic() + int(query.get("timeoutSeconds", 1800))
                stream = _Stream()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with fake.changed:
                    fake.changed.wait_for(lambda: not fake._held or fake._closing.is_set())
                    start = int(query.get("resourceVersion") or fake.revision)
                    if start < fake.compacted:
                        fake.gone_answers += 1
                        message = f"too old resource version: {start} ({fake.compacted})"
                        self._chunk({"type": "ERROR", "object": _status(410, "Expired", message)})
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    fake._streams.add(stream)
                sent = start
                try:
                    while True:
                        with fake.changed:
                            fake.changed.wait(max(0.0, min(0.2, deadline - time.monotonic())))
                            if stream.frozen or fake._closing.is_set():
                                break
                            if stream.closed or time.monotonic() >= deadline:
                                self.wfile.write(b"0\r\n\r\n")
                                return
                            pending = [e for e in fake.events if e[0] > sent and e[1] == namespace]
                        for revision, _, kind, pod in pending:
                            sent = revision
                            if _matches(pod["metadata"].get("labels") or {}, selector):
                                self._chunk({"type": kind, "object": pod})
                    fake._closing.wait()  # frozen: silent until the fake closes
                except OSError:
                    pass  # the client went away
                finally:
                    with fake.changed:
                        fake._streams.discard(stream)

        return Handler
