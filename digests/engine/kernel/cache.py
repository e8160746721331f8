"""Where numba caches the kernel's compiled code: a folder named after the kernel's source, so never stale.

numba's on-disk cache (`cache=True`) checks only the file a function is defined in. A kernel function that
inlines a helper from another kernel module (`inlined`) or calls one of its intrinsics would keep running
the compiled code of the helper as it was when it was cached, after the helper's module was edited. So
every kernel module's code is cached in a folder whose name is a hash of the source of all of them (and of
numba's version): any edit to any of them starts from an empty folder.

numba reads `numba.config.CACHE_DIR` when a function is decorated (its cache locator keeps the path), so
the folder is set when this module is imported, before any kernel module decorates a function; every one
of them imports `digests.engine.kernel.compiling`, which imports this module first. The setting is
process-wide: numba functions decorated later (digests/engine/merge_sorted.py's, which inline the
kernel's word loads) are cached in the same folder, so an edit to the kernel renews their cache too.

Where the folder goes, first that works:
- in an operator's own NUMBA_CACHE_DIR (the place is theirs to choose; the folder inside it keeps the
  cache from going stale), when it is writable;
- beside the kernel, in its `__pycache__` (each install its own cache);
- in the temp dir, when the install is read-only (an image with no writable home).
With none writable, the kernel is compiled in each process and not cached, rather than failing at import.
Folders of older sources in the same place are removed, best effort.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numba

FOLDER_PREFIX = "grapherd-kernel-"
KEY_LENGTH = 16  # hex digits of the sha256: enough to tell versions of one kernel apart
TEMP_BASE = Path(tempfile.gettempdir()) / "grapherd-numba-cache"
KERNEL_FOLDER = Path(__file__).resolve().parent

_NUMBA_CONFIG: Any = numba.config  # its settings are set at run time, so the stubs do not list them


def kernel_sources_key(folder: Path) -> str:
    """A hash of every module in `folder` (their names and bytes, in name order) and of numba's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for module in sorted(folder.glob("*.py")):
        digest.update(b"\0" + module.name.encode() + b"\0")
        digest.update(module.read_bytes())
    return digest.hexdigest()[:KEY_LENGTH]


def cache_bases(operator_folder: str, kernel_folder: Path) -> list[Path]:
    """The places the cache folder may go, in order of preference (see the module's docstring)."""
    chosen = [Path(operator_folder)] if operator_folder else []
    beside = [kernel_folder / "__pycache__"] if os.access(kernel_folder, os.W_OK) else []
    return [*chosen, *beside, TEMP_BASE]


def cache_folder_prepare(base: Path, key: str) -> Path | None:
    """The folder for `key` in `base`, made and checked writable as numba checks it; None if it cannot be."""
    folder = base / f"{FOLDER_PREFIX}{key}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return None
    stale_folders_remove(folder)
    return folder


def stale_folders_remove(folder: Path) -> None:
    """Removes the cache folders beside `folder` older than it: caches of sources that have since changed.

    Newer ones are left: a newer install may share the place (the temp dir) and still be running."""
    try:
        current = folder.stat().st_mtime
        for sibling in folder.parent.glob(f"{FOLDER_PREFIX}*"):
            if sibling != folder and sibling.is_dir() and sibling.stat().st_mtime < current:
                shutil.rmtree(sibling, ignore_errors=True)
    except OSError:
        pass  # another process removed it first, or the place is not ours to list: the cache still works


def cache_folder_set() -> Path | None:
    """Points numba's cache at the folder of the kernel's current source; returns it (None: no caching)."""
    try:
        key = kernel_sources_key(KERNEL_FOLDER)
    except OSError:
        return None  # no readable source (an install of bytecode only): numba could not cache it anyway
    for base in cache_bases(_NUMBA_CONFIG.CACHE_DIR, KERNEL_FOLDER):
        folder = cache_folder_prepare(base, key)
        if folder is not None:
            _NUMBA_CONFIG.CACHE_DIR = str(folder)
            return folder
    return None


CACHE_FOLDER = cache_folder_set()
CACHING = CACHE_FOLDER is not None  # the `cache` flag of every compiled kernel function
