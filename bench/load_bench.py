"""Load the service as `make run` serves it: 50 concurrent clients on the Go-compatible routes and API v1.

    .venv/bin/python bench/load_bench.py [--clients 50] [--seconds 30] [--database-url postgres://…]

Starts `python -m ops.supervisor` (gunicorn and the django-q2 cluster) on a temporary data folder with
its own SQLite database (or the given DATABASE_URL, which must be an empty database), the sample flow logs
and a user with an API token. Each client loops over a random mix of requests for 24 hour-windows of the
sample day: Go `POST /` and `GET /`, the worker route `POST /{topic}/{event}` (with GRAPHERD_WORKER_TOKEN),
API v1 list, create and detail, and `/healthz`. It prints, per route and overall, the request count, the
5xx count and p50/p99 latency, then the duplicate jobs: graph tasks that built a window already built.
The clients share the machine's cores with the service, so latencies include their own load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from jobs.window import window_parse  # noqa: E402  (after the path: run as a script)

WORKER_TOKEN = "load-bench-worker-token"  # noqa: S105  (a bench value)
WINDOWS = [(f"2019-01-01T{hour:02d}:00:00Z", f"2019-01-01T{hour + 1:02d}:00:00Z") for hour in range(23)]
WINDOWS.append(("2019-01-01T23:00:00Z", "2019-01-02T00:00:00Z"))
DUPLICATES_SCRIPT = """
from collections import Counter
from django_q.models import Task
from graphs.models import Graph
built = Counter(task.args[0] for task in Task.objects.filter(func="graphs.tasks.graph_run_task", result="done"))
print(sum(count - 1 for count in built.values()), Graph.objects.count(), Graph.objects.filter(status="done").count())
"""
USER_SCRIPT = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("load-bench", password=None)
print(Token.objects.create(user=user).key)
"""


def manage(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, str(BASE_DIR / "manage.py"), *args]
    return subprocess.run(command, env=env, cwd=BASE_DIR, check=True, capture_output=True, text=True).stdout


def shell(env: dict[str, str], script: str) -> str:
    """The last line `manage.py shell -c` prints (it announces its automatic imports first)."""
    return manage(env, "shell", "--no-imports", "-c", script).strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def job_message(start: str, stop: str) -> str:
    return f'{{"id":"{job_id_of(start, stop)}","start":"{start}","stop":"{stop}"}}'


class Client(threading.Thread):
    def __init__(self, base: str, token: str, until: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.until, self.random = base, until, random.Random(seed)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.samples: list[tuple[str, int, float]] = []  # route, status, seconds
        self.failures: Counter[str] = Counter()  # the 5xx bodies, to say why

    def run(self) -> None:
        while time.monotonic() < self.until:
            start, stop = self.random.choice(WINDOWS)
            route, method, path, body, headers = self.random.choice(self.requests_for(start, stop))
            began = time.monotonic()
            try:
                answer = self.session.request(
                    method, self.base + path, data=body, headers=headers, timeout=30
                )
                status = answer.status_code
                if status >= 500:
                    self.failures[f"{route} {status} {answer.text[:160]}"] += 1
            except requests.RequestException as error:
                status = 599  # no answer counts as a server failure
                self.failures[f"{route} no answer: {type(error).__name__}"] += 1
            self.samples.append((route, status, time.monotonic() - began))

    def requests_for(self, start: str, stop: str) -> list[tuple[str, str, str, str, dict[str, str]]]:
        """(route, method, path, body, headers) of each kind of request, for one window."""
        query = f"?start={start}&stop={stop}"
        worker = {"Authorization": f"Bearer {WORKER_TOKEN}"}
        window = json.dumps({"start": start, "stop": stop})
        as_json = {"Content-Type": "application/json"}
        return [
            ("go POST /", "POST", "/" + query, "", {}),
            ("go GET /", "GET", "/" + query, "", {}),
            ("go worker", "POST", "/graph/event", job_message(start, stop), worker),
            ("v1 list", "GET", "/api/v1/graphs/", "", {}),
            ("v1 create", "POST", "/api/v1/graphs/", window, as_json),
            ("v1 detail", "GET", f"/api/v1/graphs/{job_id_of(start, stop)}/", "", {}),
            ("healthz", "GET", "/healthz", "", {}),
        ]


def job_id_of(start: str, stop: str) -> str:
    return window_parse(start, stop).job_id("graph")


def storm(base: str, token: str, count: int, seconds: float) -> list[Client]:
    until = time.monotonic() + seconds
    clients = [Client(base, token, until, seed) for seed in range(count)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    return clients


def wait_until_up(base: str, timeout: float = 180) -> None:
    """Until /healthz is 200: the web server answers and the worker cluster has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("the service did not become healthy")


def report(clients: list[Client], seconds: float) -> None:
    samples = [sample for client in clients for sample in client.samples]
    by_route: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for route, status, elapsed in samples:
        by_route[route].append((status, elapsed))
    by_route["all"] = [(status, elapsed) for _, status, elapsed in samples]
    print("| route | requests | 5xx | statuses | p50 | p99 |\n|---|---|---|---|---|---|")
    for route, rows in by_route.items():
        times = sorted(elapsed for _, elapsed in rows)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(Counter(s for s, _ in rows).items()))
        errors = sum(1 for status, _ in rows if status >= 500)
        print(
            f"| {route} | {len(rows)} | {errors} | {statuses} | "
            f"{statistics.median(times) * 1000:.0f} ms | {p99 * 1000:.0f} ms |"
        )
    print(f"{len(samples) / seconds:.0f} requests/s")
    failures = sum((client.failures for client in clients), Counter[str]())
    for failure, count in failures.most_common(5):
        print(f"  {count} x {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grapherd-load-") as data_dir:
        port = free_port()
        env = {
            **os.environ,
            "GRAPHERD_DATA_DIR": data_dir,
            "RUNTIME_HTTPSERVER_ADDRESS": f"127.0.0.1:{port}",
            "RUNTIME_STATS_OUTPUT": "NULL",
            "RUNTIME_LOGGER_LEVEL": "WARN",
            "GRAPHERD_WORKER_TOKEN": WORKER_TOKEN,
        }
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        for step in (["migrate", "--no-input"], ["createcachetable"], ["sample_data"]):
            manage(env, *step)
        token = shell(env, USER_SCRIPT).strip()
        service = subprocess.Popen(
            [sys.executable, "-m", "ops.supervisor"],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            print("load average before: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
            baseline = storm(base, token, 1, min(5.0, args.seconds))
            print(f"baseline: 1 client, {min(5.0, args.seconds):g} s")
            report(baseline, min(5.0, args.seconds))
            clients = storm(base, token, args.clients, args.seconds)
            print(f"\nload: {args.clients} clients, {args.seconds:g} s")
            report(clients, args.seconds)
            time.sleep(5)  # let the worker finish what it claimed
            duplicates, graphs, done = shell(env, DUPLICATES_SCRIPT).split()
            print(f"duplicate builds: {duplicates}; graph jobs: {graphs} ({done} done)")
            print("load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        finally:
            service.send_signal(signal.SIGINT)
            service.wait(timeout=60)


if __name__ == "__main__":
    main()
