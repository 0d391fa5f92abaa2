"""Signalling task processes and whatever they spawned."""

from __future__ import annotations

import os
import signal

import psutil


def alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie, dead but not reaped, does not count)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def descendants(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def signal_group(pgid: int, sig: int) -> None:
    """Signal the process group ``pgid`` (task processes lead their own session)."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_all(pids: list[int]) -> None:
    """SIGKILL ``pids`` and the groups they lead (e.g. a BashOperator's own session)."""
    own_group = os.getpgid(0)
    for pid in pids:
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            continue
        if pgid == pid and pgid != own_group:
            signal_group(pgid, signal.SIGKILL)
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
