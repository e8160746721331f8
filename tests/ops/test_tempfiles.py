"""Temporary folders of killed workers are swept when a worker starts; live ones are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ops.tempfiles import temp_folder, temp_folders_sweep


def test_a_temp_folder_is_named_after_its_process_and_removed_on_exit() -> None:
    with temp_folder() as folder:
        assert folder.name.startswith(f"grapherd-{os.getpid()}-")
        assert folder.is_dir()
    assert not folder.exists()


def test_the_sweep_removes_the_folders_of_dead_processes_only(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    left_by_a_killed_worker = tmp_path / f"grapherd-{dead_pid}-abc"
    (left_by_a_killed_worker / "digest.log").parent.mkdir()
    (left_by_a_killed_worker / "digest.log").write_bytes(b"2 ...")
    in_use = tmp_path / f"grapherd-{os.getpid()}-def"
    in_use.mkdir()
    numba_cache = tmp_path / "grapherd-numba-cache"
    numba_cache.mkdir()

    assert temp_folders_sweep(tmp_path) == [left_by_a_killed_worker]
    assert not left_by_a_killed_worker.exists()
    assert in_use.is_dir() and numba_cache.is_dir()
