"""A FAKE WebHDFS name node (stdlib HTTP on loopback), for tests only.

No HDFS can run on this machine, so HDFSBlobManager is exercised against this stand-in
that speaks the WebHDFS REST calls fsspec's client makes (GETFILESTATUS, LISTSTATUS,
MKDIRS, CREATE and APPEND with their two-step redirects, OPEN, RENAME, DELETE) with
HDFS's semantics where they matter here: a file is visible while it is being written,
RENAME onto an existing path or into a missing directory fails (``{"boolean": false}``),
a missing path is a FileNotFoundException. It is not HDFS: passing against it says
nothing about a real cluster (set AIFLOW_TEST_WEBHDFS_URL for that).
"""

from __future__ import annotations

import json
import posixpath
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

_PREFIX = "/webhdfs/v1"


class _Namespace:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, bytearray] = {}
        self.dirs: set[str] = {"/"}
        self.users: set[str] = set()

    def parent_ok(self, path: str) -> bool:
        return posixpath.dirname(path) in self.dirs

    def make_dirs(self, path: str) -> bool:
        parts = [p for p in path.split("/") if p]
        current = ""
        for part in parts:
            current += "/" + part
            if current in self.files:
                return False
            self.dirs.add(current)
        return True

    def status(self, path: str) -> dict[str, object] | None:
        if path in self.files:
            return {"type": "FILE", "length": len(self.files[path]), "pathSuffix": ""}
        if path in self.dirs:
            return {"type": "DIRECTORY", "length": 0, "pathSuffix": ""}
        return None


class _Handler(BaseHTTPRequestHandler):
    ns: _Namespace

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _reply(self, code: int, body: object | bytes = b"", location: str | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header(
            "Content-Type",
            "application/octet-stream" if isinstance(body, bytes) else "application/json",
        )
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _missing(self, path: str) -> None:
        self._reply(
            404,
            {
                "RemoteException": {
                    "exception": "FileNotFoundException",
                    "message": f"File does not exist: {path}",
                }
            },
        )

    def _request(self) -> tuple[str, str, dict[str, str]]:
        url = urlsplit(self.path)
        if not url.path.startswith(_PREFIX):
            raise ValueError(url.path)
        path = posixpath.normpath("/" + unquote(url.path[len(_PREFIX) :]).lstrip("/"))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if "user.name" in query:
            self.ns.users.add(query["user.name"])
        return path, query.get("op", "").upper(), query

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802
        path, op, query = self._request()
        ns = self.ns
        with ns.lock:
            if op == "GETFILESTATUS":
                status = ns.status(path)
                if status is None:
                    return self._missing(path)
                return self._reply(200, {"FileStatus": status})
            if op == "LISTSTATUS":
                if path not in ns.dirs:
                    return self._missing(path)
                entries = []
                for child in sorted(ns.dirs | set(ns.files)):
                    if child != path and posixpath.dirname(child) == path:
                        status = ns.status(child) or {}
                        entries.append({**status, "pathSuffix": posixpath.basename(child)})
                return self._reply(200, {"FileStatuses": {"FileStatus": entries}})
            if op == "OPEN":
                if path not in ns.files:
                    return self._missing(path)
                data = bytes(ns.files[path])
                offset = int(query.get("offset", 0))
                length = int(query.get("length", len(data)))
                return self._reply(200, data[offset : offset + length])
        self._reply(400, {"RemoteException": {"exception": "X", "message": f"bad op {op}"}})

    def do_PUT(self) -> None:  # noqa: N802
        path, op, query = self._request()
        body = self._body()
        ns = self.ns
        with ns.lock:
            if op == "MKDIRS":
                return self._reply(200, {"boolean": ns.make_dirs(path)})
            if op == "CREATE":
                if query.get("data") != "true":
                    return self._reply(307, b"", location=self._data_url())
                if path in ns.dirs or (path in ns.files and query.get("overwrite") != "true"):
                    return self._reply(
                        403, {"RemoteException": {"exception": "X", "message": "exists"}}
                    )
                ns.make_dirs(posixpath.dirname(path))  # CREATE makes parents, as HDFS does
                ns.files[path] = bytearray(body)  # visible at once, while being written
                return self._reply(201)
            if op == "RENAME":
                dest = posixpath.normpath(query.get("destination", ""))
                ok = (
                    path in ns.files
                    and dest not in ns.files
                    and dest not in ns.dirs
                    and ns.parent_ok(dest)
                )
                if ok:
                    ns.files[dest] = ns.files.pop(path)
                return self._reply(200, {"boolean": ok})
        self._reply(400, {"RemoteException": {"exception": "X", "message": f"bad op {op}"}})

    def do_POST(self) -> None:  # noqa: N802
        path, op, query = self._request()
        body = self._body()
        ns = self.ns
        with ns.lock:
            if op == "APPEND":
                if path not in ns.files:
                    return self._missing(path)
                if query.get("data") != "true":
                    return self._reply(307, b"", location=self._data_url())
                ns.files[path] += body
                return self._reply(200)
        self._reply(400, {"RemoteException": {"exception": "X", "message": f"bad op {op}"}})

    def do_DELETE(self) -> None:  # noqa: N802
        path, op, query = self._request()
        ns = self.ns
        with ns.lock:
            if op == "DELETE":
                if path in ns.files:
                    del ns.files[path]
                    return self._reply(200, {"boolean": True})
                if path in ns.dirs:
                    inside = [p for p in ns.files if p.startswith(path.rstrip("/") + "/")]
                    if inside and query.get("recursive") != "true":
                        return self._reply(
                            403, {"RemoteException": {"exception": "X", "message": "not empty"}}
                        )
                    for p in inside:
                        del ns.files[p]
                    ns.dirs = {d for d in ns.dirs if d != path and not d.startswith(path + "/")}
                    return self._reply(200, {"boolean": True})
                return self._reply(200, {"boolean": False})
        self._reply(400, {"RemoteException": {"exception": "X", "message": f"bad op {op}"}})

    def _data_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{self.path}&data=true"


@contextmanager
def fake_webhdfs() -> Iterator[tuple[str, _Namespace]]:
    """(hdfs_url, namespace) of a fake name node on 127.0.0.1, stopped on exit."""
    ns = _Namespace()
    handler = type("Handler", (_Handler,), {"ns": ns})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", ns
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
