"""PodWatch: what the Kubernetes executor knows of its pods, kept by one list + watch.

A thread lists the deployment's pods (label selector) and watches them from the list's
``resourceVersion``, keeping pod name -> state in memory, so `poll` reads memory rather
than calling the API per handle. The watch is renewed every ``watch_timeout`` seconds
(server side) from the last resourceVersion seen (bookmarks included); ``410 Gone``
(the version was compacted away) means list again, and pods missing from the new list
were deleted meanwhile. A watch silent for longer than its timeout plus the request
timeout is taken as frozen (a lost connection no one closed): the read times out and
the watch is restarted. The API's objects are plain JSON dicts here.

A pod that is gone stays as a tombstone (with how it ended) for TOMBSTONE_SECONDS, so
its handle keeps polling dead with the same detail after it was deleted.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from ai_flow.executor._interface import HandleState
from ai_flow.executor._k8s_pods import Phase, PodView, view

log = logging.getLogger(__name__)

TOMBSTONE_SECONDS = 3600.0
#: Seconds between attempts while the API cannot be reached (doubling up to MAX_BACKOFF).
BACKOFF = 0.5
MAX_BACKOFF = 10.0


#: How a pod that was deleted before it finished ended.
DELETED = "pod deleted before it finished"


class _Expired(Exception):
    """The watch's resourceVersion is too old (410 Gone): list again."""


@dataclass(frozen=True)
class PodEntry:
    uid: str
    resource_version: str
    view: PodView
    deleting: bool = False  # deletionTimestamp set: terminating
    gone: bool = False  # no longer in the API
    unschedulable_since: float | None = None
    gone_at: float | None = None


def _newer(a: str, b: str) -> bool:
    """a is a later resourceVersion than b (they are etcd revisions on real clusters;
    anything else compares as not newer)."""
    return a.isdigit() and b.isdigit() and int(a) > int(b)


def _lines(response: Any) -> Iterator[str]:
    buffer = b""
    for chunk in response.stream(amt=None, decode_content=False):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield line.decode("utf-8", errors="replace")


class PodWatch:
    def __init__(
        self,
        api: Any,
        namespace: str,
        selector: str,
        *,
        watch_timeout: int,
        request_timeout: float,
        pending_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self.namespace = namespace
        self.selector = selector
        self._watch_timeout = watch_timeout
        self._request_timeout = request_timeout
        self._pending_timeout = pending_timeout
        self._clock = clock
        #: Guards `_pods`; notified on every change.
        self.changed = threading.Condition()
        self._pods: dict[str, PodEntry] = {}
        self.synced = threading.Event()
        self.relists = 0
        self._stopped = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(target=self._run, name="aiflow-k8s-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stopped.set()
        response = self._response
        if response is not None:
            try:
                response.shutdown()  # unblocks the read of the watch thread
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        self._thread.join(timeout=5.0)

    # The thread: list, then watch from the list's version; list again on 410.

    def _run(self) -> None:
        version: str | None = None
        delay = BACKOFF
        while not self._stopped.is_set():
            try:
                if version is None:
                    version = self._relist()
                version = self._watch(version)
                delay = BACKOFF
            except _Expired as exc:
                log.info("pod watch expired (%s); listing the pods again", exc)
                version = None
            except Exception as exc:  # noqa: BLE001 - the API may be away for a while
                if self._stopped.is_set():
                    break
                if getattr(exc, "status", None) == 410:
                    version = None
                log.warning("watching pods in %s: %s; again in %gs", self.namespace, exc, delay)
                self._stopped.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    def _relist(self) -> str:
        response = self._api.list_namespaced_pod(
            self.namespace,
            label_selector=self.selector,
            _preload_content=False,
            _request_timeout=self._request_timeout,
        )
        data = json.loads(response.data)
        version = str(data["metadata"]["resourceVersion"])
        with self.changed:
            listed = set()
            for pod in data.get("items") or []:
                listed.add(pod["metadata"]["name"])
                self._apply(pod, fresh=True)
            for name, entry in list(self._pods.items()):
                if name not in listed and not entry.gone:
                    if not _newer(entry.resource_version, version):  # deleted meanwhile
                        self._pods[name] = self._tombstone(entry, DELETED)
            self.relists += 1
            self._evict()
            self.synced.set()
            self.changed.notify_all()
        return version

    def _watch(self, version: str) -> str:
        response = self._api.list_namespaced_pod(
            self.namespace,
            label_selector=self.selector,
            watch=True,
            resource_version=version,
            allow_watch_bookmarks=True,
            timeout_seconds=self._watch_timeout,
            _preload_content=False,
            # Connect, and read: the longest silence of a live watch is its timeout.
            _request_timeout=(self._request_timeout, self._watch_timeout + self._request_timeout),
        )
        self._response = response
        try:
            for line in _lines(response):
                if self._stopped.is_set():
                    break
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise _Expired(obj.get("message"))
                    raise RuntimeError(f"watch error {obj.get('code')}: {obj.get('message')}")
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind == "BOOKMARK":
                    continue
                with self.changed:
                    if kind == "DELETED":
                        self._deleted(obj)
                    else:
                        self._apply(obj, fresh=kind == "ADDED")
                    self.changed.notify_all()
        finally:
            self._response = None
            response.release_conn()
        return version

    # The map (callers hold `changed`).

    def _apply(self, pod: dict[str, Any], fresh: bool = False) -> None:
        """Record the pod's state; `fresh`: it is current (a list, an ADDED, a create)."""
        meta = pod["metadata"]
        name, uid = meta["name"], meta.get("uid", "")
        version = str(meta.get("resourceVersion", ""))
        old = self._pods.get(name)
        same = old is not None and old.uid == uid
        if old is not None and _newer(old.resource_version, version):
            return  # an older state than the one known (e.g. a create's answer)
        if old is not None and old.gone and (same or (not old.uid and not fresh)):
            return  # a late event of a pod known to be gone: it does not come back
        seen = view(pod)
        if same and old is not None and old.view.finished and not seen.finished:
            seen = old.view  # an outcome is final (a pod that could not start is deleted)
        since = None
        if seen.phase is Phase.UNSCHEDULABLE:
            kept = old.unschedulable_since if same and old is not None else None
            since = kept if kept is not None else self._clock()
        self._pods[name] = PodEntry(
            uid,
            version,
            seen,
            deleting=bool(meta.get("deletionTimestamp")),
            unschedulable_since=since,
        )

    def _deleted(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        old = self._pods.get(meta["name"])
        if old is not None and old.uid != meta.get("uid", ""):
            return  # a former pod of that name; the current one is not affected
        if old is None or not old.gone:
            self._apply(pod)  # its last status: how it ended, if it did
        entry = self._pods[meta["name"]]
        if not entry.gone:
            self._pods[meta["name"]] = self._tombstone(entry, DELETED)

    def _tombstone(self, entry: PodEntry, detail: str) -> PodEntry:
        ended = entry.view if entry.view.finished else PodView(Phase.DEAD, detail)
        return replace(entry, view=ended, gone=True, gone_at=self._clock())

    def _evict(self) -> None:
        limit = self._clock() - TOMBSTONE_SECONDS
        for name in [n for n, e in self._pods.items() if e.gone_at and e.gone_at < limit]:
            del self._pods[name]

    # Queries and records from the executor.

    def record(self, pod: dict[str, Any]) -> None:
        """A pod as an API call returned it (create, read)."""
        with self.changed:
            self._apply(pod, fresh=True)
            self.changed.notify_all()

    def record_missing(self, name: str, detail: str = "pod not found") -> None:
        with self.changed:
            old = self._pods.get(name)
            entry = old or PodEntry("", "", PodView(Phase.DEAD, detail))
            self._pods[name] = self._tombstone(entry, detail) if not entry.gone else entry
            self.changed.notify_all()

    def entry(self, name: str) -> PodEntry | None:
        with self.changed:
            return self._pods.get(name)

    def state(self, name: str) -> HandleState | None:
        """What the pod's handle polls, None if the pod is not known: dead once finished,
        gone, or unschedulable for longer than the pending timeout (which is final)."""
        with self.changed:
            entry = self._pods.get(name)
            if entry is None:
                return None
            since = entry.unschedulable_since
            if since is not None and self._clock() - since > self._pending_timeout:
                detail = f"{entry.view.detail} (for more than {self._pending_timeout:g}s)"
                entry = replace(entry, view=PodView(Phase.CANNOT_START, detail))
                entry = replace(entry, unschedulable_since=None)
                self._pods[name] = entry
            if entry.view.finished or entry.gone:
                return HandleState(False, entry.view.detail)
            return HandleState(True)

    def states(self) -> dict[str, tuple[PodEntry, HandleState]]:
        """Every known pod, and what its handle polls."""
        found = {}
        with self.changed:
            self._evict()
            for name in list(self._pods):
                state = self.state(name)
                if state is not None:
                    found[name] = (self._pods[name], state)
        return found

    def wait_gone(self, name: str, timeout: float) -> bool:
        def gone() -> bool:
            entry = self._pods.get(name)
            return entry.gone if entry is not None else self.synced.is_set()

        with self.changed:
            return self.changed.wait_for(gone, timeout)
