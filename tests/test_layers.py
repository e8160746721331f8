"""The apps stay layered and the web tier stays light (import-linter's contracts are in pyproject.toml)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE_STACK = ("numba", "llvmlite", "polars", "pyarrow")
LOADED_ON_FIRST_USE = ("duckdb", "numpy")  # the connection views' database: the first view loads it


def test_the_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _modules_after(code: str, tmp_path: Path) -> list[str]:
    env = {
        **os.environ,
        "GRAPHERD_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "grapherd_site.settings",
    }
    script = code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_web_application_never_imports_the_engines_compiled_stack(tmp_path: Path) -> None:
    # The WSGI app, every URL's view and the API schema (which imports every API view) are loaded.
    modules = _modules_after(
        "from grapherd_site.wsgi import application\n"
        "from django.test import Client\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "from drf_spectacular.generators import SchemaGenerator\n"
        "SchemaGenerator().get_schema(request=None, public=True)\n"
        "Client().get('/healthz')\n",
        tmp_path,
    )
    assert "django.contrib.admin.sites" in modules and "graphs.api.views" in modules  # the app was loaded
    assert [name for name in modules if name.split(".")[0] in ENGINE_STACK + LOADED_ON_FIRST_USE] == []


def test_the_worker_loads_the_engine_only_when_a_digest_runs(tmp_path: Path) -> None:
    modules = _modules_after("import django\ndjango.setup()\nimport graphs.tasks, digests.tasks\n", tmp_path)
    assert [name for name in modules if name.split(".")[0] in ENGINE_STACK + LOADED_ON_FIRST_USE] == []


def test_the_supervisor_imports_nothing_of_django(tmp_path: Path) -> None:
    modules = _modules_after("import ops.supervisor\n", tmp_path)
    assert [name for name in modules if name.split(".")[0] == "django"] == []
