"""What a user gets from `make run` in a fresh clone: install time, first and warm job time, memory.

    .venv/bin/python bench/footprint_bench.py [--records 3000000] [--files 12] [--keys 300000]
        [--repo PATH] [--keep] [--reuse-venv DIR] [--json FILE]

Clones the committed HEAD of `--repo` (default: this repository) into a temp folder and starts `make run`
there in its own process group, with `GRAPHERD_DATA_DIR=<clone>/var`, `VPC_FLOW_LOGS_PATH` on generated
flow logs outside the clone, a free loopback port and `RUNTIME_STATS_OUTPUT=NULL`. The default is the
honest fresh install (new venv, pip install, numba compiling on first use); `--reuse-venv DIR` instead
links `.venv -> DIR` in the clone (make then only re-runs a no-op `pip install`, and touches DIR's stamp).

Flow logs: `--records` v2 records per hour (default AWS header, ~`--keys` connection keys per hour) in
`--files` gzip files per hour, in the AWS default S3 layout, for 2019-01-01 00:00-01:00 and 01:00-02:00;
cached under /tmp/grapherd-footprint/ by parameters. A file named T holds records ending in [T, T+5 min).

A sampler thread walks the process tree under `make` every 0.1 s (plain /proc: VmRSS, smaps_rollup Pss).
Measured: install (start to /healthz 200), idle tree, the first window's job (POST 202, GET 204.. 200),
idle after it, the second ("warm") window's job, idle after it; then SIGINT to the group (SIGKILL after
30 s) and a check that no process of the group is left. Targets: first - warm < 3 s, peak tree RSS during
the first job < 1,000 MB, idle tree RSS after the job < 500 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

T0 = 1546300800  # 2019-01-01T00:00:00Z
ACCOUNT, REGION, FLOW_LOG = "123456789012", "us-east-1", "fl-0f00tpr1nt0000000"
HEADER = b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
WINDOWS = [("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"), ("2019-01-01T01:00:00Z", "2019-01-01T02:00:00Z")]
CACHE = Path(tempfile.gettempdir()) / "grapherd-footprint"
MB = 1024  # /proc figures are in kB


def flow_logs(records: int, files: int, keys: int, seed: int = 20190101) -> Path:
    """The generated folder (holding AWSLogs/...) for these parameters; made on first use."""
    root = CACHE / f"r{records}-f{files}-k{keys}-s{seed}"
    if (root / "done.json").exists():
        return root
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    enis = [f"eni-{value:017x}".encode() for value in rng.integers(0, 1 << 62, max(1, keys // 200))]
    eni = rng.integers(0, len(enis), keys)
    inside = rng.integers(0, 256, (keys, 3)) + np.array([0, 0, 1])
    outside = rng.integers(0, 256, (keys, 4)) % np.array([223, 256, 256, 254]) + np.array([1, 0, 0, 1])
    service = rng.choice([22, 53, 80, 443, 443, 443, 3306, 5432, 6379, 8080], keys)
    outbound = rng.random(keys) < 0.5
    heads = []
    for e, a3, b4, out in zip(eni.tolist(), inside.tolist(), outside.tolist(), outbound, strict=True):
        a, b = b"10.%d.%d.%d" % tuple(a3), b"%d.%d.%d.%d" % tuple(b4)
        heads.append(b"2 %s %s %s %s " % (ACCOUNT.encode(), enis[e], *((a, b) if out else (b, a))))
    head, proto = np.array(heads), np.where(service == 53, b" 17 ", b" 6 ")
    action = np.where(rng.random(keys) < 0.1, b" REJECT OK\n", b" ACCEPT OK\n")
    folder = root / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / "2019" / "01" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    compress: Callable[[bytes, int], bytes] = gzip.compress
    with contextlib.suppress(ImportError):  # ISA-L (a grapherd dependency) compresses ~5x faster
        from isal import igzip

        compress = igzip.compress
    per_file = -(-records // files)
    for hour in range(2):
        for number in range(files):
            stamp = hour * 3600 + number * 3600 // files
            n = min(per_file, records - number * per_file)
            idx = rng.integers(0, keys, n)
            eph = rng.integers(32768, 61000, n)
            sport = np.where(outbound[idx], eph, service[idx])
            dport = np.where(outbound[idx], service[idx], eph)
            packets = rng.integers(1, 200, n)
            size = packets * rng.integers(40, 1500, n)
            span = max(60, 3600 // files - 60)
            start = T0 + stamp + rng.integers(0, span, n)
            end = start + rng.integers(0, 60, n)
            parts = [head[idx], sport, b" ", dport, proto[idx], packets, b" ", size, b" ", start, b" ", end]
            body = b"".join(_concat([*parts, action[idx]]).tolist())
            name = (
                f"{ACCOUNT}_vpcflowlogs_{REGION}_{FLOW_LOG}_20190101T{stamp // 3600:02d}"
                f"{stamp % 3600 // 60:02d}Z_{int(rng.integers(0, 1 << 32)):08x}.log.gz"
            )
            (folder / name).write_bytes(compress(HEADER + body, 1))
    (root / "done.json").write_text(json.dumps({"records": records, "files": files, "keys": keys}))
    print(f"generated 2 x {records:,} records in {time.perf_counter() - started:.1f} s: {root}")
    return root


def _concat(parts: list[Any]) -> Any:
    """Element-wise concatenation of byte-string columns (numbers converted) and constants."""
    line = parts[0]
    for part in parts[1:]:
        line = np.strings.add(line, part.astype("S") if isinstance(part, np.ndarray) else part)
    return line


@dataclass
class Sample:
    at: float
    rss: int  # kB, summed over the tree
    pss: int
    procs: list[tuple[int, str, int, int]]  # pid, name, rss kB, pss kB


def _read(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode(errors="replace")


def _stat(pid: str) -> tuple[int, int]:
    fields = _read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[2])  # ppid, pgrp


def _kb(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def processes() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, pgrp) of every process; those vanishing meanwhile are left out."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                table[int(entry)] = _stat(entry)
            except (OSError, IndexError, ValueError):
                continue
    return table


def snapshot(root: int) -> Sample:
    table = processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    procs = []
    for pid in tree:
        try:
            rss = _kb(_read(f"/proc/{pid}/status"), "VmRSS:")
            try:
                pss = _kb(_read(f"/proc/{pid}/smaps_rollup"), "Pss:")
            except PermissionError:
                pss = 0
            argv = _read(f"/proc/{pid}/cmdline").rstrip("\0").split("\0")
            argv[0] = os.path.basename(argv[0])  # "python -m gunicorn ...", not the clone's path
            name = (" ".join(argv).strip() or _read(f"/proc/{pid}/comm").strip())[:80]
        except (OSError, ValueError):
            continue
        procs.append((pid, name, rss, pss))
    return Sample(time.monotonic(), sum(p[2] for p in procs), sum(p[3] for p in procs), procs)


@dataclass
class Sampler:
    root: int
    samples: list[Sample] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.samples.append(snapshot(self.root))

    def between(self, begin: float, end: float) -> list[Sample]:
        return [s for s in list(self.samples) if begin <= s.at <= end]


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


def http(method: str, url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)  # noqa: S310
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def breakdown(procs: list[tuple[int, str, int, int]], top: int = 12) -> list[dict[str, Any]]:
    ranked = sorted(procs, key=lambda p: -p[2])[:top]
    return [{"pid": p[0], "name": p[1], "rss_mb": p[2] / MB, "pss_mb": p[3] / MB} for p in ranked]


def idle(sampler: Sampler, wait: float, seconds: float = 5.0) -> dict[str, Any]:
    """Median tree RSS and PSS over `seconds`, after `wait`; the processes of the median sample."""
    time.sleep(wait)
    begin = time.monotonic()
    time.sleep(seconds)
    samples = sampler.between(begin, time.monotonic()) or sampler.samples[-1:]
    middle = sorted(samples, key=lambda s: s.rss)[len(samples) // 2]
    return {
        "rss_mb": statistics.median(s.rss for s in samples) / MB,
        "pss_mb": statistics.median(s.pss for s in samples) / MB,
        "processes": breakdown(middle.procs),
    }


def job(base: str, window: tuple[str, str], sampler: Sampler, timeout: float = 900) -> dict[str, Any]:
    url = f"{base}/?start={window[0]}&stop={window[1]}"
    begin = time.monotonic()
    status, body = http("POST", url)
    if status != 202:
        raise RuntimeError(f"POST {url}: {status} {body[:300]!r}")
    while time.monotonic() - begin < timeout:
        status, body = http("GET", url)
        if status == 200:
            break
        if status not in (0, 204):
            raise RuntimeError(f"GET {url}: {status} {body[:300]!r}")
        time.sleep(0.2)
    else:
        raise RuntimeError(f"GET {url}: no 200 after {timeout:.0f} s")
    end = time.monotonic()
    samples = sampler.between(begin, end) or sampler.samples[-1:]
    peak = max(samples, key=lambda s: s.rss)
    per_process: dict[int, tuple[int, str, int, int]] = {}
    for sample in samples:
        for proc in sample.procs:
            if proc[2] > per_process.get(proc[0], (0, "", 0, 0))[2]:
                per_process[proc[0]] = proc
    return {
        "seconds": end - begin,
        "dot_bytes": len(body),
        "dot_edges": body.count(b"->"),
        "peak_rss_mb": peak.rss / MB,
        "peak_pss_mb": max(s.pss for s in samples) / MB,
        "at_peak": breakdown(peak.procs),
        "peak_per_process": breakdown(list(per_process.values())),
    }


def stages(data: Path, window: tuple[str, str]) -> dict[str, float]:
    """Best effort, from the clone's SQLite: started_at..finished_at of the window's row in each job table."""
    found = {}
    for db in data.glob("*.sqlite3"):
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(db, timeout=5)) as con:
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                columns = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
                if {"start_text", "stop_text", "started_at", "finished_at"} <= columns:
                    query = (
                        f"SELECT started_at, finished_at FROM {table} WHERE start_text = ? AND stop_text = ?"  # noqa: S608
                    )
                    row = con.execute(query, window).fetchone()
                    if row and row[0] and row[1]:
                        begin, end = (datetime.fromisoformat(str(moment)) for moment in row)
                        found[table] = (end - begin).total_seconds()
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def group_left(pgid: int) -> list[int]:
    return [pid for pid, (_, pgrp) in processes().items() if pgrp == pgid]


def stop(make: subprocess.Popen[bytes]) -> list[int]:
    """SIGINT to the group, SIGKILL after 30 s; the pids of the group still there afterwards."""
    for sig, wait in ((signal.SIGINT, 30.0), (signal.SIGKILL, 5.0)):
        if not group_left(make.pid):
            break
        try:
            os.killpg(make.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and (make.poll() is None or group_left(make.pid)):
            time.sleep(0.2)
    make.poll()
    return group_left(make.pid)


def measure(options: argparse.Namespace, clone: Path, logs: Path) -> dict[str, Any]:
    if options.reuse_venv:
        (clone / ".venv").symlink_to(Path(options.reuse_venv).resolve())
    port = free_port()
    env = {
        **os.environ,
        "GRAPHERD_DATA_DIR": str(clone / "var"),
        "VPC_FLOW_LOGS_PATH": str(logs),
        "RUNTIME_HTTPSERVER_ADDRESS": f"127.0.0.1:{port}",
        "RUNTIME_STATS_OUTPUT": "NULL",
    }
    log = clone / "make-run.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    started = time.monotonic()
    sampler = Sampler(make.pid)
    threading.Thread(target=sampler.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, Any] = {"reuse_venv": options.reuse_venv, "port": port}
    try:
        while http("GET", f"{base}/healthz")[0] != 200:
            if make.poll() is not None or time.monotonic() - started > options.timeout:
                tail = log.read_text(errors="replace").splitlines()[-40:]
                why = f"exited {make.returncode}" if make.returncode is not None else "timed out"
                raise RuntimeError(f"make run {why} before /healthz answered 200:\n" + "\n".join(tail))
            time.sleep(0.5)
        healthy = time.monotonic()
        django = next((s.at for s in sampler.samples if any("manage.py" in p[1] for p in s.procs)), healthy)
        figures |= {"install_s": healthy - started, "venv_pip_s": django - started}
        figures["idle_before"] = idle(sampler, 0)
        figures["first"] = job(base, WINDOWS[0], sampler)
        figures["first"]["stages_s"] = stages(clone / "var", WINDOWS[0])
        figures["idle_after_first"] = idle(sampler, 5)
        figures["warm"] = job(base, WINDOWS[1], sampler)
        figures["warm"]["stages_s"] = stages(clone / "var", WINDOWS[1])
        figures["idle_after_warm"] = idle(sampler, 5)
    finally:
        left = stop(make)
        sampler.done.set()
        figures["left_after_stop"] = left
        figures["make_exit"] = make.returncode
    return figures


def _line(label: str, figure: dict[str, Any], target: float = 0, key: str = "") -> None:
    rss, pss = figure[key + "rss_mb"], figure[key + "pss_mb"]
    mark = f"   target < {target:,.0f} MB: {'met' if rss < target else 'NOT met'}" if target else ""
    print(f"{label + ':':27} {rss:7.0f} MB RSS {pss:7.0f} MB PSS{mark}")


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"  {title}:")
    for row in rows:
        print(f"    {row['rss_mb']:7.0f} MB RSS {row['pss_mb']:7.0f} MB PSS  [{row['pid']}] {row['name']}")


def report(figures: dict[str, Any]) -> None:
    first, warm = figures["first"], figures["warm"]
    print(
        f"\nmake run ({'venv reused' if figures['reuse_venv'] else 'fresh install'}), {os.cpu_count()} cpus"
    )
    print(
        f"{'install to /healthz 200:':27} {figures['install_s']:7.1f} s (venv + pip {figures['venv_pip_s']:.1f} s)"
    )
    _line("idle tree before", figures["idle_before"])
    for label, job in (("first window job", first), ("warm window job", warm)):
        print(
            f"{label + ':':27} {job['seconds']:7.2f} s  (DOT {job['dot_bytes']:,} B, {job['dot_edges']:,} edges)"
        )
        if job["stages_s"]:
            rows = ", ".join(f"{table} {seconds:.2f} s" for table, seconds in job["stages_s"].items())
            print(f"{'':27} job rows, started..finished: {rows}")
    gap = first["seconds"] - warm["seconds"]
    print(f"{'first - warm:':27} {gap:7.2f} s   target < 3 s: {'met' if gap < 3 else 'NOT met'}")
    _line("peak tree, first job", first, 1000, "peak_")
    _line("peak tree, warm job", warm, key="peak_")
    _line("idle tree after first job", figures["idle_after_first"], 500)
    _line("idle tree after warm job", figures["idle_after_warm"])
    _table("at the first job's peak", first["at_peak"])
    _table("peak per process during the first job", first["peak_per_process"])
    _table("idle after the first job (median sample)", figures["idle_after_first"]["processes"])
    left = figures["left_after_stop"]
    print(f"stop: make exited {figures['make_exit']}; processes of the group left: {left or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--records", type=int, default=3_000_000, help="v2 records per hour")
    parser.add_argument("--files", type=int, default=12, help="gzip files per hour")
    parser.add_argument("--keys", type=int, default=300_000, help="connection keys per hour")
    parser.add_argument("--keep", action="store_true", help="keep the clone (always kept on failure)")
    parser.add_argument("--reuse-venv", metavar="DIR", help="link .venv -> DIR instead of a fresh install")
    parser.add_argument("--timeout", type=float, default=900, help="seconds until /healthz must answer")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    options = parser.parse_args()
    logs = flow_logs(options.records, options.files, options.keys)
    clone = Path(tempfile.mkdtemp(prefix="grapherd-footprint-")) / "grapherd"
    subprocess.run(["git", "clone", "--quiet", str(options.repo), str(clone)], check=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True)
    print(f"clone of {options.repo} at {head.stdout.strip()}: {clone}; flow logs: {logs}")
    try:
        figures = measure(options, clone, logs)
    except RuntimeError as error:
        print(f"FAILED: {error}\nclone kept: {clone}", file=sys.stderr)
        return 1
    figures |= {"commit": head.stdout.strip(), "records_per_hour": options.records, "files": options.files}
    report(figures)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))
    if not options.keep:
        shutil.rmtree(clone.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
