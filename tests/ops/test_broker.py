"""Redis as django-q2's broker (`GRAPHERD_BROKER_URL`): checked like every variable, and a real worker
cluster on Redis builds a graph requested through the service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ops.env import BAD_BROKER_URL, config_read

ROOT = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)
# A database of its own, so a test run never takes tasks another program left on Redis's default one.
REDIS_URL = "redis://127.0.0.1:6379/9"


def _redis_listens() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def test_the_database_is_the_queue_unless_a_broker_url_is_set(tmp_path: Path) -> None:
    config, problems = config_read({}, tmp_path)
    assert config.broker_url == ""
    assert problems == []
    config, problems = config_read({"GRAPHERD_BROKER_URL": REDIS_URL}, tmp_path)
    assert config.broker_url == REDIS_URL
    assert problems == []


def test_a_broker_url_that_is_not_redis_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    config, problems = config_read({"GRAPHERD_BROKER_URL": "amqp://guest@localhost//"}, tmp_path)
    assert config.broker_url == ""
    assert [(p.check_id, "GRAPHERD_BROKER_URL" in p.message) for p in problems] == [(BAD_BROKER_URL, True)]


def _python(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "GRAPHERD_DATA_DIR": str(tmp_path), "GRAPHERD_BROKER_URL": REDIS_URL}
    env["DJANGO_SETTINGS_MODULE"] = "grapherd_site.settings"
    env["RUNTIME_STATS_OUTPUT"] = "NULL"
    env.pop("DATABASE_URL", None)  # its own SQLite database, shared by this test and its cluster
    return env


def test_settings_hand_the_queue_to_redis(tmp_path: Path) -> None:
    code = "from django.conf import settings; q = settings.Q_CLUSTER; print(q.get('redis'), 'orm' in q)"
    assert _python(_env(tmp_path), code) == f"{REDIS_URL} False"


@pytest.mark.skipif(not _redis_listens(), reason="no Redis on 127.0.0.1:6379")
def test_a_worker_cluster_on_redis_builds_a_requested_graph(tmp_path: Path) -> None:
    env = _env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "sample_data", "--hours", "1"], cwd=ROOT, env=env, check=True)
    request = (
        "from graphs.services import graph_request\nfrom jobs.window import window_parse\n"
        "print(graph_request(window_parse('2019-01-01T00:00:00Z', '2019-01-01T00:10:00Z')).id)"
    )
    job_id = _python(env, request)  # queued on Redis before any worker runs
    waiting = "from django_q.brokers import get_broker\nprint(get_broker().queue_size())"
    assert _python(env, waiting) == "1"  # the task sits on Redis (the ORM broker's table is not used)
    log = (tmp_path / "cluster.log").open("wb")
    cluster = subprocess.Popen([*manage, "qcluster"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    status = f"from graphs.models import Graph\nprint(Graph.objects.get(id='{job_id}').status)"
    try:
        deadline = time.monotonic() + 180
        while (state := _python(env, status)) not in ("done", "failed") and time.monotonic() < deadline:
            assert cluster.poll() is None, (tmp_path / "cluster.log").read_text()
            time.sleep(1)
    finally:
        cluster.terminate()
        cluster.wait(timeout=60)
    assert state == "done", (tmp_path / "cluster.log").read_text()[-3000:]
    assert list((tmp_path / "graphs").rglob("*.dot")), "the DOT is stored"
