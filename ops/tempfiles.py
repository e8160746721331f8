"""Temporary folders that a killed worker cannot leak for ever.

Each folder is named after the process that made it (`grapherd-<pid>-…` in the temp dir); when a worker
starts, `temp_folders_sweep` removes the folders of processes that no longer run. A process killed with
SIGKILL (django-q2's timeout, the OOM killer, kill -9) gets no chance to clean up after itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "grapherd-"


@contextlib.contextmanager
def temp_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-") as folder:
        yield Path(folder)


def temp_folders_sweep(root: Path | None = None) -> list[Path]:
    """Remove the temp folders of dead processes; returns what was removed."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
