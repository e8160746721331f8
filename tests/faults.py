"""Fault injection for the crash, race and outage tests: plain sockets and threads, no new dependency.

- `TcpProxy`: a TCP proxy (in front of PostgreSQL) that can be cut (every connection reset, new ones
  refused) and restored.
- `HttpFaultProxy`: an HTTP proxy (in front of a moto S3 server) that answers chosen requests with a 5xx or
  resets their connection.
- `moto_s3_server`: moto's ThreadedMotoServer on a free port, for worker processes and this one alike.
- `WorkerCluster`: a real `manage.py qcluster` in its own process group, which a test can SIGKILL.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

BASE_DIR = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.2) -> None:
    """Poll until `condition()` is true; fail naming `what` after `timeout` seconds (a bound, not a
    speed assertion: it only keeps a broken build from hanging the suite)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class TcpProxy:
    """127.0.0.1:<port> → target. `cut()` resets every open connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._cut = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True).start()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            for sock in list(self._open):
                _reset(sock)
            self._open.clear()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self.cut()
        self._closed.set()
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self._cut.is_set():
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        for sock in (source, target):
            with self._lock:
                self._open.discard(sock)
            _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a dropped network path or a killed server looks. shutdown()
    first: close() alone leaves the connection open while a pump thread still waits in recv()."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class HttpFaultProxy:
    """An HTTP/1.1 proxy to `target` that can fail chosen requests: `fail(part, times, status)` answers the
    next `times` requests whose path contains `part` with `status`; `reset(part, times)` closes their
    connection without an answer. `seen` counts the requests by path."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.seen: dict[str, int] = {}
        self._faults: list[list[object]] = []  # [path part, remaining, status or 0 for a reset]
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._handle(self)

            do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="http-fault-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, part: str, times: int, status: int = 503) -> None:
        with self._lock:
            self._faults.append([part, times, status])

    def reset(self, part: str, times: int) -> None:
        self.fail(part, times, 0)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _fault_for(self, path: str) -> int | None:
        with self._lock:
            self.seen[path] = self.seen.get(path, 0) + 1
            for fault in self._faults:
                part, remaining, status = fault
                if str(part) in path and int(str(remaining)) > 0:
                    fault[1] = int(str(remaining)) - 1
                    return int(str(status))
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        status = self._fault_for(handler.path)
        if status == 0:
            handler.close_connection = True
            _reset(handler.connection)
            return
        if status is not None:
            message = b"<Error><Code>SlowDown</Code><Message>injected fault</Message></Error>"
            handler.send_response(status)
            handler.send_header("Content-Type", "application/xml")
            handler.send_header("Content-Length", str(len(message)))
            handler.end_headers()
            handler.wfile.write(message)
            return
        upstream = http.client.HTTPConnection(*self.target, timeout=30)
        headers = {name: value for name, value in handler.headers.items() if name.lower() != "connection"}
        upstream.request(handler.command, handler.path, body=body, headers=headers)
        response = upstream.getresponse()
        content = response.read()
        handler.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(content)
        upstream.close()


@contextlib.contextmanager
def moto_s3_server() -> Iterator[str]:
    """A moto server on a free port, empty; yields its endpoint URL.

    Every moto server of this process shares moto's in-process backends, so without a reset a test would
    find the buckets and objects (a corrupt one, say) an earlier test left."""
    import requests

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    try:
        yield endpoint
    finally:
        with contextlib.suppress(requests.RequestException):
            requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.stop()


def moto_s3_client(endpoint: str) -> Any:
    """A boto3 S3 client of the moto server at `endpoint` (its test credentials), for setting up buckets."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class WorkerCluster:
    """`manage.py qcluster` with its own environment, in a new process group so that `kill()` takes the
    whole cluster (sentinel, workers, monitor, pusher) at once, as a lost machine would."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerCluster:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(BASE_DIR / "manage.py"), "qcluster"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL to the cluster's process group: no handler runs, nothing is cleaned up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def worker_env(data_dir: Path, **variables: str) -> dict[str, str]:
    """The environment of a worker cluster sharing this test's database and data folder: the test
    database (pytest-django's) on the same server, its secret key, a short job lease, its own temp
    folder."""
    from django.conf import settings
    from django.db import connection

    from ops.env import PREFIXES

    db = connection.settings_dict
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(PREFIXES) and name not in ("DATABASE_URL", "DEBUG")
    }
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    (data_dir / "tmp").mkdir(exist_ok=True)
    return {
        **kept,
        "DATABASE_URL": url,
        # django-q2 signs tasks with it: every process sharing the queue needs this test's key
        "SECRET_KEY": settings.SECRET_KEY,
        "GRAPHERD_DATA_DIR": str(data_dir),
        "VPC_FLOW_LOGS_PATH": str(data_dir / "flowlogs"),
        "RUNTIME_STATS_OUTPUT": "NULL",
        # short enough that a dead cluster's jobs come back quickly, long enough that a worker starved of
        # CPU by a busy test machine still renews in time (it renews every sixth of it)
        "GRAPHERD_JOB_LEASE": "10",
        "TMPDIR": str(data_dir / "tmp"),
        **variables,
    }


def task_results(func: str) -> dict[str, list[str]]:
    """What each django-q2 run of `func` returned, by job id (the task's one argument)."""
    from django_q.models import Task

    results: dict[str, list[str]] = {}
    for task in Task.objects.filter(func=func):
        results.setdefault(str(task.args[0]), []).append(str(task.result))
    return results
