"""The web tier through a database outage: the service as it runs (gunicorn, one worker, two threads)
with its database behind a TCP proxy the test cuts and restores. An idle service recovers by itself; a
request during the outage is a quick 503 naming the database, with nothing written; `/healthz` says 503
within 2 s; after the outage the same request works, once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.authtoken.models import Token

from ops.supervisor import children_commands
from tests.faults import TcpProxy, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WINDOW = {"start": "2019-01-01T00:00:00Z", "stop": "2019-01-01T01:00:00Z"}
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Web:
    def __init__(self, port: int, token: str) -> None:
        self.base, self.token = f"http://127.0.0.1:{port}", token

    def call(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310  (loopback)
        request.add_header("Authorization", f"Token {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


@pytest.fixture
def web(database_proxy: TcpProxy, tmp_path: Path) -> Iterator[Web]:
    user = User.objects.create_user("outage", password="correct horse battery")
    token = Token.objects.create(user=user).key
    port = _free_port()
    name = connection.settings_dict["NAME"]  # the test database, reached through the proxy
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{database_proxy.port}/{name}",
        "GRAPHERD_DATA_DIR": str(tmp_path),
        "RUNTIME_STATS_OUTPUT": "NULL",
        "SECRET_KEY": "outage-test-" + "k" * 40,
    }
    gunicorn = children_commands(f"127.0.0.1:{port}", 1, 2)[0]
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        served = Web(port, token)
        wait_for(lambda: _answers(served), 60, "gunicorn to answer")
        yield served
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(web: Web) -> bool:
    try:
        return web.call("GET", "/api/v1/graphs/")[0] == 200
    except OSError:
        return False


def test_an_idle_service_answers_again_once_the_database_is_back(web: Web, database_proxy: TcpProxy) -> None:
    database_proxy.cut()
    time.sleep(0.5)
    database_proxy.restore()
    assert web.call("GET", "/api/v1/graphs/")[0] == 200


def test_a_request_during_an_outage_is_a_quick_503_and_the_same_request_works_after_it(
    web: Web, database_proxy: TcpProxy
) -> None:
    database_proxy.cut()
    began = time.monotonic()
    status, body, headers = web.call("POST", "/api/v1/graphs/", WINDOW)
    assert (status, headers.get("Retry-After")) == (503, "5")
    assert "database" in json.loads(body)["detail"]
    status, body, _ = web.call("GET", "/healthz")
    assert status == 503 and b"database" in body
    assert time.monotonic() - began < 8  # refused connections fail at once; a silent host by the timeouts
    database_proxy.restore()
    assert web.call("POST", "/api/v1/graphs/", WINDOW)[0] == 202
    from graphs.models import Graph

    connection.close()  # this test process's own connection went through the cut proxy too
    assert Graph.objects.count() == 1  # the refused request wrote nothing
