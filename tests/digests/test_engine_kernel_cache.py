"""numba's cache of the kernel (digests/engine/kernel/cache.py): a folder named after the kernel's source."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import numba
import pytest

from digests.engine import kernel, merge_sorted
from digests.engine.kernel import cache


def _copied_kernel(tmp_path: Path) -> Path:
    copy = tmp_path / "kernel"
    copy.mkdir()
    for module in cache.KERNEL_FOLDER.glob("*.py"):
        shutil.copy(module, copy / module.name)
    return copy


def test_the_cache_key_is_the_same_for_the_same_sources(tmp_path: Path) -> None:
    assert cache.kernel_sources_key(_copied_kernel(tmp_path)) == cache.kernel_sources_key(cache.KERNEL_FOLDER)


def test_the_cache_key_changes_when_any_kernel_module_changes(tmp_path: Path) -> None:
    copy = _copied_kernel(tmp_path)
    original = cache.kernel_sources_key(copy)
    modules = sorted(copy.glob("*.py"))
    assert len(modules) >= 2
    for module in modules:
        source = module.read_bytes()
        module.write_bytes(
            source.replace(b"\n", b"\n\n", 1)
        )  # a blank line: numba would not notice it inlined
        assert cache.kernel_sources_key(copy) != original, module.name
        module.write_bytes(source)
    assert cache.kernel_sources_key(copy) == original


def test_the_cache_key_changes_with_numbas_version(monkeypatch: pytest.MonkeyPatch) -> None:
    original = cache.kernel_sources_key(cache.KERNEL_FOLDER)
    monkeypatch.setattr(numba, "__version__", "0.0.1")
    assert cache.kernel_sources_key(cache.KERNEL_FOLDER) != original


def test_numba_caches_the_kernel_and_the_merge_in_the_folder_of_the_kernels_source() -> None:
    key = cache.kernel_sources_key(cache.KERNEL_FOLDER)
    assert cache.CACHE_FOLDER is not None
    assert cache.CACHE_FOLDER.name == f"{cache.FOLDER_PREFIX}{key}"
    dispatchers: list[Any] = [kernel.scan, kernel.sort_lines, merge_sorted.merge_into]
    for dispatcher in dispatchers:
        assert Path(dispatcher._cache._cache_path).parent == cache.CACHE_FOLDER


def test_an_operators_numba_cache_dir_comes_first_then_beside_the_kernel_then_the_temp_dir(
    tmp_path: Path,
) -> None:
    assert cache.cache_bases(str(tmp_path), cache.KERNEL_FOLDER) == [
        tmp_path,
        cache.KERNEL_FOLDER / "__pycache__",
        cache.TEMP_BASE,
    ]
    assert cache.cache_bases("", cache.KERNEL_FOLDER)[0] == cache.KERNEL_FOLDER / "__pycache__"


def test_the_cache_folder_is_made_and_older_ones_beside_it_removed(tmp_path: Path) -> None:
    older, newer, unrelated = (
        tmp_path / name for name in ("grapherd-kernel-old", "grapherd-kernel-new", "other")
    )
    for folder in (older, newer, unrelated):
        (folder / "kernel_1").mkdir(parents=True)
    now = time.time()
    os.utime(older, (now - 3600, now - 3600))
    os.utime(unrelated, (now - 3600, now - 3600))
    os.utime(newer, (now + 3600, now + 3600))

    made = cache.cache_folder_prepare(tmp_path, "current")

    assert made == tmp_path / "grapherd-kernel-current" and made.is_dir()
    assert not older.exists()
    assert newer.is_dir() and unrelated.is_dir()


def test_a_place_where_the_cache_folder_cannot_be_made_is_skipped_without_an_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    assert cache.cache_folder_prepare(not_a_folder, "key") is None
