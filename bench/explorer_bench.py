"""Time the graph explorer (`/graphs/<id>/`) in headless Chromium on a production-like hour of flow logs.

    .venv/bin/python bench/explorer_bench.py [--start 2026-11-30T15:00:00Z] [--hours 1] [--runs 3]
        [--screenshots] [--keep]

The app is started as a user starts it (`manage.py migrate`, then `python -m ops.supervisor`) with
`GRAPHERD_DATA_DIR` and `VPC_FLOW_LOGS_PATH` in a temp folder, on a free loopback port, SQLite and the
embedded defaults. Flow logs: `tests/vpcgen.py`'s large estate (`Scale.large()`, ~1,000 interfaces, 30 k
internet clients, 3 k scanners; the busiest hour is 15:00 UTC) with its `describe-*` JSON imported as
enrichment (names on the nodes). The graph is requested through API v1 and built by the app's worker.

Chromium (Debian's, headless, software WebGL through SwiftShader: a floor, a GPU draws far faster) logs
in through the login form, then for each view:
- ready: from navigation start to the graph container's `data-state=ready` (the explorer marks it after
  the picture's first frame), the best and the median of `--runs` page loads, each in a new tab as a
  link is opened; the first load of the graph (its connection table read into the web tier's DuckDB) is
  shown apart as "cold";
- where the time goes (median run): script start, view fetched, laid out, ready (performance marks);
- frame rate while panning (mouse drag) and zooming (wheel), counted with requestAnimationFrame.
Targets: auto view ready < 3 s, host view ready < 5 s, pan and zoom of the auto view > 30 fps. The
targets were set for a host view of about 4,000 nodes; the large preset's busiest hour has 16,886
(15,900 of them internet clients and scanners): `--internet-clients 2500 --scanners 1000` gives ~4,000.
`--screenshots` also writes graphs/static/graphs/explorer-subnets.png and explorer-focus.png.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
CHROMIUM = "/usr/bin/chromium"
# Software WebGL (SwiftShader), composited in software too: headless Chromium otherwise composites the
# page's layers through SwiftShader's GL as well, which costs more than drawing the graph (--default-
# compositing measures that).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
SOFTWARE_COMPOSITING = ["--disable-gpu-compositing"]
VIEWPORT: Any = {"width": 1440, "height": 900}
TARGETS = {"auto": 3.0, "host": 5.0}
FPS_TARGET = 30.0
SCREENSHOTS = ROOT / "graphs" / "static" / "graphs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_flow_logs(folder: Path, start: datetime, hours: float, outside: dict[str, int]) -> list[Path]:
    """The flow logs and the describe JSON of the estate; returns the JSON files to import."""
    from dataclasses import replace

    from tests.vpcgen import Scale, vpc_generate

    large = Scale.large()
    scale = replace(
        large,
        internet_clients=outside.get("internet_clients", large.internet_clients),
        scanners=outside.get("scanners", large.scanners),
    )
    truth = vpc_generate(folder / "flowlogs", start, hours, scale=scale)
    print(
        f"flow logs: {truth.records:,} records in {len(truth.files)} files ({truth.bytes / 1e6:.1f} MB gzip)"
    )
    return truth.describe_json(folder / "describe")


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PY, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def api(base: str, token: str, path: str, body: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310  (our own loopback URL)
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310  (our own loopback URL)
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def start_app(data: Path, port: int) -> tuple[subprocess.Popen[bytes], dict[str, str], str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}  # embedded SQLite
    env |= {
        "GRAPHERD_DATA_DIR": str(data / "var"),
        "VPC_FLOW_LOGS_PATH": str(data / "flowlogs"),
        "RUNTIME_HTTPSERVER_ADDRESS": f"127.0.0.1:{port}",
        "RUNTIME_STATS_OUTPUT": "NULL",
        "RUNTIME_LOGGER_LEVEL": "WARNING",
    }
    manage(env, "migrate", "--no-input")
    manage(env, "createcachetable")
    manage(env, "enrich_import", *sorted(str(path) for path in (data / "describe").rglob("*.json")))
    manage(env, "ensure_admin")
    token = manage(env, "drf_create_token", "admin").split()[2]
    log = (data / "app.log").open("wb")
    app = subprocess.Popen(  # its own process group: stopped whole at the end
        [PY, "-m", "ops.supervisor"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310
            break
        except urllib.error.HTTPError:
            break  # answering (503 until the worker's first heartbeat)
        except OSError:
            if app.poll() is not None:
                raise RuntimeError(f"the app exited; see {data / 'app.log'}") from None
            time.sleep(0.3)
    return app, env, token


def build_graph(base: str, token: str, start: datetime, hours: float) -> dict[str, Any]:
    stop = datetime.fromtimestamp(start.timestamp() + hours * 3600, UTC)
    window = {"start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "stop": f"{stop:%Y-%m-%dT%H:%M:%SZ}"}
    status, graph = api(base, token, "/api/v1/graphs/", window)
    if status not in (202, 409):
        raise RuntimeError(f"graph request answered {status}: {graph}")
    graph_id = graph["id"]
    started = time.monotonic()
    while time.monotonic() - started < 600:
        status, graph = api(base, token, f"/api/v1/graphs/{graph_id}/")
        if graph["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    if graph["status"] != "done":
        raise RuntimeError(f"graph {graph_id} is {graph['status']}: {graph.get('error')}")
    print(
        f"graph {graph_id}: built in {graph['timings']['duration']:.1f} s, {graph['figures']['connections']:,} connections"
    )
    return dict(graph)


def login(page: Any, base: str, data: Path) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", (data / "var" / "admin-password").read_text().strip())
    page.click("button:has-text('Log in')")
    page.wait_for_url(base + "/graphs/")


def load(context: Any, url: str) -> tuple[Any, dict[str, float]]:
    """Open a view in a new tab, as a link is opened; the tab and the explorer's performance marks, in ms
    from navigation start."""
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded", timeout=120_000)
    page.wait_for_selector("#graph[data-state=ready]", timeout=120_000)
    marks = page.evaluate(
        "Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name.slice(9), m.startTime]))"
    )
    graph = page.locator("#graph")
    marks["nodes"] = float(graph.get_attribute("data-nodes"))
    marks["edges"] = float(graph.get_attribute("data-edges"))
    marks["layout_ms"] = float(graph.get_attribute("data-layout-ms"))
    return page, dict(marks)


FRAME_COUNTER = """() => {
  window.__frames = [];
  const tick = (t) => { if (window.__frames) { window.__frames.push(t); requestAnimationFrame(tick); } };
  requestAnimationFrame(tick);
}"""
FRAME_STOP = """() => { const f = window.__frames; window.__frames = null; return f; }"""


def frame_rate(page: Any, drive: Any) -> tuple[float, float]:
    """Frames per second, and the 95th percentile frame time in ms, while `drive` moves the camera."""
    page.evaluate(FRAME_COUNTER)
    drive()
    frames = page.evaluate(FRAME_STOP)
    gaps = sorted(b - a for a, b in itertools.pairwise(frames))
    seconds = (frames[-1] - frames[0]) / 1000
    return (len(frames) - 1) / seconds, gaps[int(len(gaps) * 0.95)]


def pan(page: Any, seconds: float = 3.0) -> None:
    box = page.locator("#graph").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < seconds:  # a slow circle, as a hand drags
        step += 1
        angle = step / 20
        page.mouse.move(cx + 180 * math.cos(angle), cy + 120 * math.sin(angle))
        time.sleep(0.008)
    page.mouse.up()


def zoom(page: Any, seconds: float = 3.0) -> None:
    box = page.locator("#graph").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < seconds:  # three notches in, three out, as a hand on a wheel
        page.mouse.wheel(0, -100 if (step // 3) % 2 == 0 else 100)
        step += 1
        time.sleep(0.1)


def measure_view(context: Any, url: str, runs: int) -> dict[str, Any]:
    page, cold = load(context, url)
    page.close()
    warm = []
    for _ in range(runs):
        page, marks = load(context, url)
        warm.append(marks)
        page.close()
    median = sorted(warm, key=lambda marks: marks["ready"])[len(warm) // 2]
    page, _ = load(context, url)
    page.wait_for_timeout(500)
    pan_fps, pan_p95 = frame_rate(page, lambda: pan(page))
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)
    zoom_fps, zoom_p95 = frame_rate(page, lambda: zoom(page))
    page.close()
    return {
        "cold": cold["ready"] / 1000,
        "best": min(marks["ready"] for marks in warm) / 1000,
        "median": statistics.median(marks["ready"] for marks in warm) / 1000,
        "marks": median,
        "pan_fps": pan_fps,
        "pan_p95": pan_p95,
        "zoom_fps": zoom_fps,
        "zoom_p95": zoom_p95,
    }


def screenshots(page: Any, base: str, graph_id: str) -> None:
    page.goto(f"{base}/graphs/{graph_id}/", wait_until="domcontentloaded", timeout=120_000)
    page.wait_for_selector("#graph[data-state=ready]", timeout=120_000)
    page.wait_for_selector("#answers-list .answer")
    page.wait_for_timeout(400)
    page.screenshot(path=str(SCREENSHOTS / "explorer-subnets.png"))
    # A database host, reached as a person would: the servers list, then its row.
    page.select_option("#answers-of", "servers")
    row = page.locator("#answers-list .answer", has_text="postgres").first
    row.wait_for()
    page.eval_on_selector("#graph", "el => { el.dataset.state = 'stale'; }")
    row.click()
    page.wait_for_selector("#graph[data-state=ready]", timeout=120_000)
    page.wait_for_selector("#focus-connections table.connections")
    page.wait_for_timeout(900)  # the camera's move to the opened group
    page.mouse.move(5, 5)
    page.screenshot(path=str(SCREENSHOTS / "explorer-focus.png"))
    print(f"screenshots: {SCREENSHOTS / 'explorer-subnets.png'}, {SCREENSHOTS / 'explorer-focus.png'}")


def report(views: dict[str, dict[str, Any]], graph: dict[str, Any], levels: dict[str, int]) -> None:
    print(f"\nwindow {graph['window']['start']} to {graph['window']['stop']}: {graph['figures']['connections']:,} "
          f"connections; nodes by level {levels}")  # fmt: skip
    print(f"{'view':6} {'drawn':>22} {'cold':>7} {'best':>7} {'median':>7} {'target':>7}  "
          f"{'pan fps (p95 ms)':>17} {'zoom fps (p95 ms)':>18}")  # fmt: skip
    for name, view in views.items():
        marks = view["marks"]
        drawn = f"{marks['nodes']:,.0f} nodes, {marks['edges']:,.0f} edges"
        met = "met" if view["median"] < TARGETS[name] else "MISSED"
        print(f"{name:6} {drawn:>22} {view['cold']:6.2f}s {view['best']:6.2f}s {view['median']:6.2f}s "
              f"{TARGETS[name]:5.1f}s {met:6} {view['pan_fps']:6.1f} ({view['pan_p95']:5.1f})"
              f"      {view['zoom_fps']:6.1f} ({view['zoom_p95']:5.1f})")  # fmt: skip
    print("\nwhere the median run's time goes (ms from navigation start):")
    for name, view in views.items():
        m = view["marks"]
        print(f"  {name:6} script {m['start']:6.0f}  renderer {m['renderer']:6.0f}  view fetched {m['fetched']:6.0f}"
              f"  laid out {m['laid-out']:6.0f} (worker: {m['layout_ms']:.0f})  in sigma {m['shown']:6.0f}"
              f"  ready {m['ready']:6.0f}")  # fmt: skip
    auto = views["auto"]
    print(f"\nauto view pan/zoom {min(auto['pan_fps'], auto['zoom_fps']):.1f} fps: target > {FPS_TARGET:.0f} "
          f"{'met' if min(auto['pan_fps'], auto['zoom_fps']) > FPS_TARGET else 'MISSED'}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--start", default="2026-11-30T15:00:00Z", help="window start, on the hour (peak: 15:00)"
    )
    parser.add_argument("--hours", type=float, default=1.0)
    # Most host-level nodes are internet clients and scanners: these size the host view.
    parser.add_argument("--internet-clients", type=int, help="default: Scale.large()'s 30,000")
    parser.add_argument("--scanners", type=int, help="default: Scale.large()'s 3,000")
    parser.add_argument("--runs", type=int, default=3, help="warm page loads per view")
    parser.add_argument("--screenshots", action="store_true", help="write the README screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (data, app log)")
    parser.add_argument(
        "--default-compositing", action="store_true", help="leave Chromium's GL compositing on (slower here)"
    )
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    start = datetime.fromisoformat(options.start.replace("Z", "+00:00"))
    data = Path(tempfile.mkdtemp(prefix="grapherd-explorer-bench-"))
    app = None
    try:
        outside = {"internet_clients": options.internet_clients, "scanners": options.scanners}
        write_flow_logs(data, start, options.hours, {k: v for k, v in outside.items() if v is not None})
        port = free_port()
        app, _, token = start_app(data, port)
        base = f"http://127.0.0.1:{port}"
        graph = build_graph(base, token, start, options.hours)
        _, view = api(base, token, f"/api/v1/graphs/{graph['id']}/view?group=subnet")
        views: dict[str, dict[str, Any]] = {}
        with sync_playwright() as playwright:
            args = CHROMIUM_ARGS + ([] if options.default_compositing else SOFTWARE_COMPOSITING)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
            context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
            login(context.new_page(), base, data)
            for name, query in (("auto", ""), ("host", "?group=host")):
                views[name] = measure_view(context, f"{base}/graphs/{graph['id']}/{query}", options.runs)
            if options.screenshots:
                screenshots(context.new_page(), base, graph["id"])
            browser.close()
        report(views, graph, view["totals"]["levels"])
    finally:
        if app is not None:
            os.killpg(app.pid, signal.SIGINT)
            try:
                app.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
        if options.keep:
            print(f"kept {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
