"""`/healthz`: 200 when the database answers and a worker was seen recently, else 503 naming the part."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.signing import SignedPackage
from django_q.status import Stat, Status
from django_q.tasks import async_task

from ops.heartbeat import HEARTBEAT_KEY, heartbeat_cache, heartbeat_schedule_ensure
from ops.supervisor import BASE_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_cache(settings: Any) -> None:
    """The database cache, shared by the web and worker processes as in production. The table is
    created inside the test's transaction, so it is gone with it."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "grapherd_cache"}
    }
    call_command("createcachetable", verbosity=0)


def cluster_running(state: str = str(Conf.IDLE)) -> None:
    """What a django-q2 sentinel saves every guard cycle (see django_q.status.Stat.save)."""
    status = Status(pid=1234, cluster_id=uuid.uuid4())
    status.status = state
    get_broker().set_stat(Stat.get_key(status.cluster_id), SignedPackage.dumps(status, True), 3)


def test_a_reachable_database_and_a_fresh_heartbeat_are_healthy(client: Client, shared_cache: None) -> None:
    async_task("ops.heartbeat.heartbeat", sync=True)  # as the worker runs it from the schedule
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["worker"] == "ok"
    assert body["heartbeat"] is not None


def test_a_running_cluster_is_healthy_before_its_first_heartbeat(client: Client, shared_cache: None) -> None:
    cluster_running()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["clusters"] == 1


def test_a_stale_heartbeat_and_no_cluster_is_503_naming_the_worker(
    client: Client, shared_cache: None
) -> None:
    heartbeat_cache().set(HEARTBEAT_KEY, (timezone.now() - timedelta(minutes=10)).isoformat(), None)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["database"] == "ok"
    assert body["worker"].startswith("not seen: no running django-q2 cluster, last heartbeat 6")


def test_a_stopping_cluster_does_not_count(client: Client, shared_cache: None) -> None:
    cluster_running(str(Conf.STOPPING))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "not seen: no running django-q2 cluster and no heartbeat"


def test_a_process_local_cache_cannot_show_the_worker(client: Client, settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "unknown: cache 'default' is LocMemCache, private to each process"


def test_an_unreachable_database_is_503_naming_the_database(
    client: Client, shared_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster_running()

    def unreachable(*args: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", unreachable)  # the probe runs in its own thread
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable (OperationalError)"


def test_healthz_needs_no_login_and_is_never_cached(client: Client, shared_cache: None) -> None:
    cluster_running()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_the_heartbeat_schedule_is_created_once_and_runs_every_minute() -> None:
    heartbeat_schedule_ensure()
    schedule = heartbeat_schedule_ensure()
    assert Schedule.objects.filter(func="ops.heartbeat.heartbeat").count() == 1  # other apps add theirs
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "ops.heartbeat.heartbeat",
        Schedule.MINUTES,
        1,
    )


def test_migrate_schedules_the_heartbeat(tmp_path: Path) -> None:
    """The deploy's migrate creates the schedule (ops has no models, so it listens to django_q's)."""
    Schedule.objects.filter(func="ops.heartbeat.heartbeat").delete()
    call_command("migrate", verbosity=0)
    assert Schedule.objects.filter(func="ops.heartbeat.heartbeat").count() == 1


def test_a_database_that_accepts_and_never_answers_is_503_within_the_deadline(tmp_path: Path) -> None:
    """Issue 12, defect 5: a hung database froze /healthz for 40 s. A TCP server that accepts and stays
    silent stands for it; the connect timeout is set far above the deadline, so only the deadline can
    answer before the subprocess times out."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://grapherd@127.0.0.1:{silent.getsockname()[1]}/grapherd",
            "DATABASE_CONNECT_TIMEOUT": "60",
            "GRAPHERD_DATA_DIR": str(tmp_path),
            "RUNTIME_STATS_OUTPUT": "NULL",
        }
        script = (
            "import django; django.setup()\n"
            "from django.test import Client\n"
            "r = Client().get('/healthz', HTTP_HOST='localhost')\n"
            "print(r.status_code, r.json()['database'])\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=30, cwd=BASE_DIR
        )
    assert done.stdout.strip() == "503 unreachable (no answer within 1.5 s)", done.stderr[-2000:]
