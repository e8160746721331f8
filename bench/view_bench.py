"""Connection views on a day of a large VPC: how fast the API answers, and the web tier's memory.

    .venv/bin/python bench/view_bench.py [--hours 24] [--repeat 5]

Generates a day of the large realistic VPC (tests/vpcgen.py: ~1,000 interfaces, 30 k internet clients,
3 k scanners, ~3.6 M records, ~1 M digest lines) into bench/out/, builds the window's graph with the
worker's code (digest, DOT, connection table), then starts the web tier as `make run` does (gunicorn,
one worker process with four threads) and times API v1 calls over HTTP with a token: the first view (it
loads the table), then each view and top list again. Peak RSS (VmHWM) is the gunicorn worker's. Baseline in the same run: a
plain Python loop over the digest text answering one question (top talkers by bytes), as one would with
awk before connection views existed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "views"
START = datetime(2019, 1, 1, tzinfo=UTC)
CALLS = [  # (label, path, params): what a person clicks through in the explorer
    ("view auto", "view", {}),
    ("view subnet", "view", {"group": "subnet"}),
    ("view host, port 5432", "view", {"group": "host", "port": "5432", "max_nodes": "100000"}),
    ("view vpc, internet out", "view", {"group": "vpc", "internet": "out"}),
    ("view host, search", "view", {"group": "host", "search": "10.0.4", "max_nodes": "100000"}),
    ("view subnet, account", "view", {"group": "subnet", "account": "222222222222"}),  # lists on disk
    ("top talkers", "top", {"of": "talkers"}),
    ("top servers by clients", "top", {"of": "servers", "by": "connections"}),
    ("top rejected", "top", {"of": "rejected"}),
]


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "GRAPHERD_DATA_DIR": str(data), "VPC_FLOW_LOGS_PATH": str(data / "flowlogs"),
            "DJANGO_SETTINGS_MODULE": "grapherd_site.settings", "RUNTIME_STATS_OUTPUT": "NULL",
            "RUNTIME_LOGGER_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}  # fmt: skip


def prepare(hours: float) -> tuple[Path, str, float]:
    """The data folder with the built graph (made once, reused); returns it, the graph id, build seconds."""
    data = OUT / f"h{hours:g}"
    marker = data / "graph.json"
    if marker.exists():
        built = json.loads(marker.read_text())
        return data, built["id"], built["seconds"]
    sys.path.insert(0, str(ROOT))
    from tests.vpcgen import Scale, vpc_generate

    (data / "flowlogs").mkdir(parents=True, exist_ok=True)
    truth = vpc_generate(data / "flowlogs", START, hours, scale=Scale.large())
    print(f"generated {truth.records:,} records in {len(truth.files)} files", flush=True)
    stop = START.timestamp() + hours * 3600
    script = (
        "import django, time, json; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from graphs.services import graph_request, graph_run\n"
        "from jobs.window import window_parse\n"
        f"window = window_parse('{START:%Y-%m-%dT%H:%M:%SZ}', '{datetime.fromtimestamp(stop, UTC):%Y-%m-%dT%H:%M:%SZ}')\n"
        "begun = time.monotonic(); job = graph_request(window)\n"
        "graph_run(str(job.id), window, requeue_on_failure=False); job.refresh_from_db()\n"
        "assert job.status == 'done', job.error\n"
        "print(json.dumps({'id': str(job.id), 'seconds': time.monotonic() - begun, 'records': job.records,"
        " 'connections': job.connections, 'edges': job.edges}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=_env(data), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    built = json.loads(result.stdout.splitlines()[-1])
    marker.write_text(json.dumps(built))
    print(f"graph built in {built['seconds']:.1f} s: {built['records']:,} digest lines, "
          f"{built['connections']:,} connections", flush=True)  # fmt: skip
    return data, built["id"], built["seconds"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(pid: int, key: str) -> int:
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith(key))
    return int(line.split()[1]) // 1024


def _token(data: Path) -> str:
    script = (
        "import django; django.setup()\n"
        "from django.contrib.auth.models import User\n"
        "from rest_framework.authtoken.models import Token\n"
        "user, _ = User.objects.get_or_create(username='bench')\n"
        "print(Token.objects.get_or_create(user=user)[0].key)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=_env(data), capture_output=True, text=True, check=True
    )
    return result.stdout.split()[-1]


def web_tier(data: Path, graph: str, repeat: int) -> dict[str, Any]:
    """A real web tier (gunicorn, one worker, as `make run` starts it) answering over HTTP."""
    port, token = _free_port(), _token(data)
    command = [sys.executable, "-m", "gunicorn", "grapherd_site.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--threads", "4", "--timeout", "120"]  # fmt: skip
    server = subprocess.Popen(command, env=_env(data), cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/api/v1/graphs/{graph}/"
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        worker = int(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()[0])
        before = _status(worker, "VmRSS")

        def call(path: str, params: dict[str, str]) -> tuple[float, int, int]:
            request = urllib.request.Request(  # noqa: S310  (an http URL to the server started above)
                base + path + "?" + urllib.parse.urlencode(params),
                headers={"Authorization": f"Token {token}"},
            )
            begun = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310  (loopback)
                body = json.loads(response.read())
            took = time.perf_counter() - begun
            return took, len(body.get("nodes", body.get("rows", []))), len(body.get("edges", []))

        first = call("view", {})
        results, peaks = {}, {"first view": _status(worker, "VmHWM")}
        for label, path, params in CALLS:
            results[label] = [call(path, params) for _ in range(repeat)]
            peaks[label] = _status(worker, "VmHWM")
        return {"before": before, "first": first, "results": results, "hwm": _status(worker, "VmHWM"),
                "peaks": peaks}  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


def baseline(data: Path, digest_id: str) -> tuple[float, int]:
    """Top talkers from the digest text with a plain loop (what awk would do)."""
    path = data / "digests" / f"{digest_id}.log.gz"
    begun = time.perf_counter()
    totals: dict[str, int] = {}
    with gzip.open(path, "rt") as lines:
        for line in lines:
            fields = line.split(" ")
            if len(fields) == 14 and fields[9] != "-":
                for address in (fields[3], fields[4]):
                    totals[address] = totals.get(address, 0) + int(fields[9])
    sorted(totals.items(), key=lambda item: -item[1])[:20]
    return time.perf_counter() - begun, len(totals)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data, graph, _ = prepare(args.hours)
    figures = web_tier(data, graph, args.repeat)
    digest_id = next((data / "digests").glob("*.log.gz")).name.removesuffix(".log.gz")
    base_seconds, addresses = baseline(data, digest_id)
    first_seconds, nodes, edges = figures["first"]
    print(
        f"\nweb tier (the gunicorn worker): {figures['before']} MB idle; peak {figures['hwm']} MB "
        f"(target < 300 MB: {'met' if int(str(figures['hwm'])) < 300 else 'NOT met'})"
    )
    print(f"first view (loads the table): {first_seconds:.2f} s, {nodes} nodes, {edges} edges")
    print("peak RSS after each step (MB):", figures["peaks"])
    results: dict[str, list[list[float]]] = figures["results"]
    slowest = 0.0
    for label, runs in results.items():
        median = statistics.median(run[0] for run in runs)
        slowest = max(slowest, median)
        print(
            f"  {label:28s} median {median * 1000:7.0f} ms   ({int(runs[0][1])} nodes/rows, {int(runs[0][2])} edges)"
        )
    print(
        f"slowest call after the first: {slowest:.2f} s (target < 1 s: {'met' if slowest < 1 else 'NOT met'})"
    )
    print(f"baseline, top talkers by a plain Python loop over the digest: {base_seconds:.2f} s "
          f"({addresses:,} addresses); ours, the same answer: "
          f"{statistics.median(run[0] for run in results['top talkers']):.3f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
