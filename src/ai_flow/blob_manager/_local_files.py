"""Atomic placement of downloaded blobs: a target is complete or absent, never partial.

Files are written to a temporary file in the target directory and renamed into place;
directories are assembled in a temporary directory beside the target and renamed
(an existing target is moved aside first and removed once the new one is in place).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_PREFIX = ".download-"


def write_file_atomically(target: Path, fill: Callable[[BinaryIO], None]) -> Path:
    """Create `target` with what `fill` writes to the file it is given."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """A directory to fill; on a clean exit it replaces `target`, otherwise it is
    removed and `target` is left as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=_PREFIX))
    try:
        yield staging
        publish_directory(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish_directory(staging: Path, target: Path) -> None:
    """Rename the complete directory `staging` to `target`."""
    if not target.exists() and not target.is_symlink():
        try:
            os.rename(staging, target)
            return
        except OSError:
            if not target.exists():
                raise
    # Something is there (a previous download, or a concurrent one that won): move it
    # aside so the rename publishes a whole directory, then drop the old one.
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=".replaced-"))
    old = aside / "old"
    try:
        try:
            os.rename(target, old)
        except FileNotFoundError:
            pass  # gone meanwhile: nothing to move aside
        try:
            os.rename(staging, target)
        except OSError:
            if old.exists() or old.is_symlink():
                os.rename(old, target)  # put back what was there
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
