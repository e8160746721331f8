"""Shared fixtures: every test gets its own data folder, local storages and a fresh configuration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.db import connection
from django_q.conf import Conf

from ops.config import config_reset
from tests.faults import TcpProxy
from tests.httpstub import http_stub  # noqa: F401  (fixture)

STORAGE_ALIASES = ("graphs", "graph-progress", "digests", "digest-progress")


def _local_storages(root: Path, base: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for alias in STORAGE_ALIASES:
        result[alias] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root / alias, "allow_overwrite": True},
        }
    return result


@pytest.fixture(autouse=True)
def grapherd_env(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Embedded defaults in a temporary data folder. Mutate the returned dict through `set_env`."""
    data_dir = tmp_path / "var"
    (data_dir / "flowlogs").mkdir(parents=True)
    settings.DATA_DIR = data_dir
    settings.STORAGES = _local_storages(data_dir, settings.STORAGES)
    # No DogStatsD datagrams from tests unless a test asks for them (tests/test_metrics.py).
    env: dict[str, str] = {"VPC_FLOW_LOGS_PATH": str(data_dir / "flowlogs"), "RUNTIME_STATS_OUTPUT": "NULL"}
    settings.GRAPHERD_ENV = env
    monkeypatch.setattr(Conf, "SYNC", True)  # async_task runs the task inline (django-q2 reads Conf once)
    storages._storages = {}  # type: ignore[attr-defined]  # forget storages built for other settings
    config_reset()
    yield env
    storages._storages = {}  # type: ignore[attr-defined]
    config_reset()


@pytest.fixture(autouse=True)
def go_routes_open(request: pytest.FixtureRequest, grapherd_env: dict[str, str]) -> None:
    """Flow data requires authentication by default; tests call the Go-compatible routes anonymously, as
    the Go services' clients did, unless marked `@pytest.mark.auth` (those test the real default)."""
    if request.node.get_closest_marker("auth") is None:
        grapherd_env["GRAPHERD_REQUIRE_AUTH"] = "false"
        config_reset()


@pytest.fixture
def set_env(grapherd_env: dict[str, str]) -> Callable[..., None]:
    """Set grapherd environment variables for this test: `set_env(GRAPH_PROGRESS_TIMEOUT="1000")`."""

    def apply(**values: str) -> None:
        grapherd_env.update(values)
        config_reset()

    return apply


@pytest.fixture
def flowlogs_dir(grapherd_env: dict[str, str]) -> Path:
    return Path(grapherd_env["VPC_FLOW_LOGS_PATH"])


@pytest.fixture
def database_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    """Every new database connection of this process goes through a TCP proxy the test can cut."""
    if connection.vendor != "postgresql":
        pytest.skip("the TCP proxy stands in front of PostgreSQL (set DATABASE_URL)")
    settings = connection.settings_dict
    proxy = TcpProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    connection.close()
    monkeypatch.setitem(settings, "HOST", "127.0.0.1")
    monkeypatch.setitem(settings, "PORT", str(proxy.port))
    yield proxy
    proxy.close()
    connection.close()
