"""`python -m ops.supervisor` (what `make run` starts): the web server and the worker together, the
engine prepared before the worker takes work, and Ctrl-C stopping the whole tree."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  (a loopback URL we built)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_the_supervisor_serves_and_ctrl_c_stops_every_child(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "GRAPHERD_DATA_DIR": str(tmp_path),
        "RUNTIME_HTTPSERVER_ADDRESS": f"127.0.0.1:{port}",
    }
    env.pop("DATABASE_URL", None)  # its own SQLite database, not the test run's
    env["RUNTIME_STATS_OUTPUT"] = "NULL"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = (tmp_path / "serve.log").open("wb")
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "ops.supervisor"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while _status(f"http://127.0.0.1:{port}/healthz") is None and time.monotonic() < deadline:
            assert supervisor.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
        assert _status(f"http://127.0.0.1:{port}/healthz") in (200, 503)
        children = _children(supervisor.pid)
        assert len(children) == 2  # gunicorn and qcluster
        while (
            "Digest engine ready" not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        assert "Digest engine ready" in (tmp_path / "serve.log").read_text()
    finally:
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=60) == 0
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []


def test_manage_py_serve_becomes_the_supervisor(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import call_command

    started: list[list[str]] = []

    def execv(path: str, argv: list[str]) -> None:
        started.append(argv)

    monkeypatch.setattr(os, "execv", execv)
    monkeypatch.chdir(ROOT)
    call_command("serve", "--web-threads", "8")
    assert started == [[sys.executable, "-m", "ops.supervisor", "--web-workers", "1", "--web-threads", "8"]]
