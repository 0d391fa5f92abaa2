"""The event log's SQLite file made read-only, and its disk filled up.

What must hold: the append raises one StorageError naming the database file and the
reason; nothing of the failed batch is stored and no offset is used up; every event
acknowledged before is intact; once the file is writable (the space freed) again,
the same storage object appends the next dense offsets, and the file passes SQLite's
integrity check.

How the faults are made:

* read-only, `remount`: the database lives on a private tmpfs, remounted read-only
  (needs root, i.e. CAP_SYS_ADMIN, to mount; skipped with the reason otherwise);
* read-only, `chmod`: file 0444 and its directory 0555 (skipped where the process
  ignores file modes: root with CAP_DAC_OVERRIDE);
* disk full, `tmpfs`: a 2 MiB tmpfs (needs root) filled with a ballast file until
  ENOSPC; freeing space = deleting the ballast;
* disk full, `max_page_count`: simulated on any machine with SQLite's
  `PRAGMA max_page_count` set on the storage's connections (SQLITE_FULL, the same
  error a full disk gives); freeing space = raising the limit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from notification_service.model import Event, EventFilter
from notification_service.storage import (
    NewEvent,
    SqlEventStorage,
    StorageError,
    make_engine,
    upgrade,
)

pytestmark = pytest.mark.timeout(120)


def _mount_tmpfs(size: str) -> Path:
    """A fresh tmpfs of `size` on a new directory; skip when this process cannot mount."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    where = Path(tempfile.mkdtemp(prefix="aiflow-fault-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    return where


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)
    with contextlib.suppress(OSError):
        where.rmdir()


def _remount(where: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True)


class ReadOnly:
    """Turns the directory of the database read-only and back."""

    def __init__(self, how: str, directory: Path) -> None:
        self.how = how
        self.directory = directory

    def on(self) -> None:
        if self.how == "remount":
            _remount(self.directory, "ro")
        else:
            for path in self.directory.iterdir():
                path.chmod(0o444)
            self.directory.chmod(0o555)

    def off(self) -> None:
        if self.how == "remount":
            _remount(self.directory, "rw")
        else:
            self.directory.chmod(0o755)
            for path in self.directory.iterdir():
                path.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)


@pytest.fixture(params=["remount", "chmod"])
def read_only(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadOnly]:
    if request.param == "remount":
        where = _mount_tmpfs("16m")
        switch = ReadOnly("remount", where)
        try:
            yield switch
        finally:
            _umount(where)
        return
    if _ignores_file_modes(tmp_path):
        pytest.skip("this process ignores file modes (root with CAP_DAC_OVERRIDE)")
    where = tmp_path / "db"
    where.mkdir()
    switch = ReadOnly("chmod", where)
    try:
        yield switch
    finally:
        switch.off()


def _ignores_file_modes(directory: Path) -> bool:
    probe = directory / "mode-probe"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        with open(probe, "a"):
            return True
    except PermissionError:
        return False
    finally:
        probe.chmod(0o644)
        probe.unlink()


def _storage(directory: Path) -> tuple[SqlEventStorage, Path]:
    path = directory / "ns.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return SqlEventStorage(f"sqlite:///{path}"), path


def _log(store: SqlEventStorage) -> list[Event]:
    return store.list_events(EventFilter(), 100_000)


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_read_only_database_file(read_only: ReadOnly) -> None:
    """The storage's connections closed (as after a restart), the file made read-only:
    the append raises one StorageError naming the file; nothing of its batch is stored.
    Writable again: the same storage appends offsets 4 and 5."""
    store, path = _storage(read_only.directory)
    acked = store.add_events([NewEvent("k", str(i)) for i in range(3)])
    store.close()  # SQLite opens the file read-write only when it (re)connects
    read_only.on()
    try:
        with pytest.raises(StorageError) as info:
            store.add_events([NewEvent("k", "x"), NewEvent("k", "y", idempotency_id="y")])
    finally:
        read_only.off()
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert any(w in message for w in ("readonly", "read-only", "unable to open")), message
    assert _log(store) == acked and store.latest_offset() == 3
    again = store.add_events([NewEvent("k", "x"), NewEvent("k", "y", idempotency_id="y")])
    assert [e.offset for e in again] == [4, 5]
    assert _log(store) == acked + again
    store.close()
    assert _integrity(path) == "ok"


class Space:
    """Fills the database's disk (or its page budget) and frees it again."""

    def __init__(self, how: str, directory: Path) -> None:
        self.how = how
        self.directory = directory
        self.limit: list[int | None] = [None]  # max_page_count for new connections

    def attach(self, store: SqlEventStorage) -> None:
        @event.listens_for(store.engine, "connect")
        def _limit(dbapi_conn, _record) -> None:  # noqa: ANN001
            if self.limit[0] is not None:
                dbapi_conn.execute(f"PRAGMA max_page_count = {self.limit[0]}")

    def fill(self, store: SqlEventStorage) -> None:
        if self.how == "tmpfs":
            fd = os.open(self.directory / "ballast", os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
            finally:
                os.close(fd)
        else:
            pages = os.path.getsize(self.directory / "ns.db") // 4096
            self.limit[0] = pages + 2
            store.close()  # the pinned connection is reopened with the limit

    def free(self, store: SqlEventStorage) -> None:
        if self.how == "tmpfs":
            (self.directory / "ballast").unlink()
        else:
            # The limit is per connection: drop the pooled ones opened under it.
            self.limit[0] = None
            store.engine.dispose()


@pytest.fixture(params=["tmpfs", "max_page_count"])
def space(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Space]:
    if request.param == "tmpfs":
        where = _mount_tmpfs("2m")
        try:
            yield Space("tmpfs", where)
        finally:
            _umount(where)
        return
    where = tmp_path / "db"
    where.mkdir()
    yield Space("max_page_count", where)


def test_disk_full(space: Space) -> None:
    """Appends of ~50 KB batches on a full disk until one fails (progress: it fails within
    a bounded number of appends): the failure is one StorageError naming the file ("full");
    nothing of that batch is stored, everything acknowledged is; with space freed the
    same batch appends at the next dense offsets and the file is intact."""
    store, path = _storage(space.directory)
    space.attach(store)
    acked = store.add_events([NewEvent("k", "before")])
    space.fill(store)
    value = "v" * 16_384
    batch_no, error = 0, None
    for batch_no in range(1, 201):
        batch = [NewEvent("k", value, idempotency_id=f"b{batch_no}.{i}") for i in range(3)]
        try:
            acked += store.add_events(batch)
        except StorageError as exc:
            error = exc
            break
    assert error is not None, "200 batches of 48 KB fitted on a full disk"
    message = str(error)
    assert str(path) in message and "full" in message and "\n" not in message, message
    assert _log(store) == acked
    assert store.latest_offset() == len(acked)
    space.free(store)
    again = store.add_events(batch)
    assert [e.offset for e in again] == [len(acked) + 1, len(acked) + 2, len(acked) + 3]
    assert _log(store) == acked + again
    store.close()
    assert _integrity(path) == "ok"
    reopened = SqlEventStorage(f"sqlite:///{path}")
    assert _log(reopened) == acked + again
    reopened.close()
