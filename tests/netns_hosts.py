"""Test hosts: Linux network namespaces joined by a bridge, so what runs "on another
machine" reaches the servers only over a real network, never by loopback or by file.

    with TestNetwork("af") as net:            # bridge 10.213.0.1/24 in this namespace
        host = net.add_host("worker1")        # namespace + veth, 10.213.0.11
        host.popen(["aiflow", "worker", "start"], env=...)

`net.gateway` is the address of this (the servers') side. Needs root and iproute2;
`require_netns()` skips with the reason where namespaces cannot be made, and fails
when CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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

    def command(self, argv: Sequence[str | os.PathLike[str]]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *[str(a) for a in argv]]

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

    def __init__(self, tag: str = "af") -> None:
        suffix = uuid.uuid4().hex[:4]
        self.bridge = f"br{tag}{suffix}"[:15]
        self.gateway = f"{SUBNET}.1"
        self.hosts: list[TestHost] = []
        self._suffix = suffix
        self._tag = tag

    def __enter__(self) -> TestNetwork:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, label: str) -> TestHost:
        index = len(self.hosts) + 11
        name = f"{self._tag}{self._suffix}{label}"[:15]
        outer, inner = f"v{self._suffix}{index}o", f"v{self._suffix}{index}i"
        _ip("netns", "add", name)
        _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", name)
        _ip("link", "set", outer, "master", self.bridge)
        _ip("link", "set", outer, "up")
        address = f"{SUBNET}.{index}"
        for args in (
            ("addr", "add", f"{address}/24", "dev", inner),
            ("link", "set", inner, "up"),
            ("link", "set", "lo", "up"),
        ):
            _ip("netns", "exec", name, "ip", *args)
        host = TestHost(name, address)
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
