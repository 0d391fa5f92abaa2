"""Test hosts: Linux network namespaces joined by a bridge, so what runs "on another
machine" reaches the servers only over a real network, never by loopback or by file.

    with TestNetwork("af") as net:            # bridge 10.213.0.1/24 in this namespace
        host = net.add_host("worker1")        # namespace + veth, 10.213.0.11
        host.popen(["aiflow", "worker", "start"], env=...)

`net.gateway` is the address of this (the servers') side. Needs root and iproute2;
`require_netns()` skips with the reason where namespaces cannot be made, and fails
when CI=true.

A host may also get its own host name (`add_host("s1", hostname="s1")`: a UTS namespace
per process it runs), so what tells hosts apart by `gethostname()` sees two machines.
`TcpForwarder` lets hosts reach a service that listens only on this side's loopback
(PostgreSQL at 127.0.0.1:5432) through an address on the bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from notification_service.util.environment import is_ci

SUBNET = "10.213.0"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def require_netns() -> None:
    """Skip (fail on CI) unless this process can create network namespaces."""
    reason = None
    if shutil.which("ip") is None:
        reason = "iproute2 (`ip`) is not installed"
    elif os.geteuid() != 0:
        reason = "network namespaces need root"
    else:
        name = f"afprobe{uuid.uuid4().hex[:6]}"
        probe = _ip("netns", "add", name, check=False)
        if probe.returncode != 0:
            reason = f"cannot create a network namespace: {probe.stderr.strip()}"
        else:
            _ip("netns", "del", name, check=False)
    if reason is None:
        return
    if is_ci():
        pytest.fail(reason + " (required when CI=true)")
    pytest.skip(reason)


@dataclass
class TestHost:
    __test__ = False  # not a test class

    name: str  # the namespace
    address: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # Its own host name (a UTS namespace per command), or None: this machine's.
    hostname: str | None = None

    def command(self, argv: Sequence[str | os.PathLike[str]]) -> list[str]:
        args = [str(a) for a in argv]
        if self.hostname is not None:
            # unshare and sh exec: the command keeps the pid Popen returns.
            set_name = 'hostname "$0" && exec "$@"'
            args = ["unshare", "--uts", "sh", "-c", set_name, self.hostname, *args]
        return ["ip", "netns", "exec", self.name, *args]

    def pids(self) -> list[int]:
        """Every process running in this host's network namespace."""
        found = _ip("netns", "pids", self.name, check=False).stdout.split()
        return [int(p) for p in found if p.isdigit()]

    def popen(
        self,
        argv: Sequence[str | os.PathLike[str]],
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
        **kwargs: Any,
    ) -> subprocess.Popen[bytes]:
        out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
        process = subprocess.Popen(
            self.command(argv),
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )
        self.processes.append(process)
        return process

    def run(
        self, argv: Sequence[str | os.PathLike[str]], env: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        return subprocess.run(
            self.command(argv),
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


class TestNetwork:
    """A bridge in this namespace and one namespace per added host."""

    __test__ = False  # not a test class

    def __init__(self, tag: str = "af", subnet: str = SUBNET) -> None:
        suffix = uuid.uuid4().hex[:4]
        self.bridge = f"br{tag}{suffix}"[:15]
        # Tests that may run at the same time pick different subnets: one address on
        # two bridges would route the hosts of one to the other.
        self.subnet = subnet
        self.gateway = f"{subnet}.1"
        self.hosts: list[TestHost] = []
        self._suffix = suffix
        self._tag = tag

    def __enter__(self) -> TestNetwork:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, label: str, hostname: str | None = None) -> TestHost:
        index = len(self.hosts) + 11
        name = f"{self._tag}{self._suffix}{label}"[:15]
        outer, inner = f"v{self._suffix}{index}o", f"v{self._suffix}{index}i"
        _ip("netns", "add", name)
        _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", name)
        _ip("link", "set", outer, "master", self.bridge)
        _ip("link", "set", outer, "up")
        address = f"{self.subnet}.{index}"
        for args in (
            ("addr", "add", f"{address}/24", "dev", inner),
            ("link", "set", inner, "up"),
            ("link", "set", "lo", "up"),
        ):
            _ip("netns", "exec", name, "ip", *args)
        host = TestHost(name, address, hostname=hostname)
        self.hosts.append(host)
        return host

    def __exit__(self, *exc: object) -> None:
        for host in self.hosts:
            for process in host.processes:
                if process.poll() is None:
                    try:
                        os.killpg(process.pid, 9)
                    except (ProcessLookupError, PermissionError):
                        pass
                    process.wait(10)
            # Whatever still runs inside (task processes) goes with the namespace's pids.
            pids = _ip("netns", "pids", host.name, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            _ip("netns", "del", host.name, check=False)
        _ip("link", "del", self.bridge, check=False)


class TcpForwarder:
    """Accepts connections on `listen_host` and relays each to `target`, on an event
    loop in a thread of this process. `port` is known once started.

        with TcpForwarder(net.gateway, ("127.0.0.1", 5432)) as pg:
            uri = f"postgresql+psycopg://postgres@{net.gateway}:{pg.port}/db"
    """

    def __init__(self, listen_host: str, target: tuple[str, int], listen_port: int = 0) -> None:
        self.listen_host = listen_host
        self.target = target
        self.port = listen_port
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> TcpForwarder:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = started.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._relay, self.listen_host, self.port)
        return int(self._server.sockets[0].getsockname()[1])

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._writers.difference_update((writer, up_writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Either side closing (a client SIGKILLed, the server ending the session) closes
        # both: the database then ends the session and releases its locks.
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
