"""Process-wide asyncio loops for gRPC, never closed.

gRPC's asyncio layer binds every loop that ever touched it to one poller, for good, and
hands each completion to its loop with `call_soon_threadsafe`; a completion for a closed
loop raises there and strands the completions queued behind it, for every other loop
(grpcio 1.85). So each process keeps one loop per role for its whole life: the servers'
loop runs on a daemon thread; the clients' loop is run by whichever thread waits on it.
"""

from __future__ import annotations

import asyncio
import os
import threading

_lock = threading.Lock()
_server_loop: asyncio.AbstractEventLoop | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def server_loop() -> asyncio.AbstractEventLoop:
    """The running loop every in-process server serves on (started on first use)."""
    global _server_loop
    with _lock:
        if _server_loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            loop.call_soon(ready.set)
            threading.Thread(target=loop.run_forever, name="ns-loop", daemon=True).start()
            ready.wait()
            _server_loop = loop
        return _server_loop


def client_loop() -> asyncio.AbstractEventLoop:
    """The loop every client's stream lives on; nobody runs it in the background."""
    global _client_loop
    with _lock:
        if _client_loop is None:
            _client_loop = asyncio.new_event_loop()
        return _client_loop


def _forget_after_fork() -> None:
    # A forked child must not share the parent's loops (their file descriptors and the
    # server thread are the parent's): it makes its own on first use.
    global _server_loop, _client_loop, _lock
    _server_loop = _client_loop = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
