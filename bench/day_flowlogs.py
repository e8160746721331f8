"""One UTC day of production-like v2 flow logs, as AWS delivers them to S3, generated in parallel and cached.

    .venv/bin/python bench/day_flowlogs.py [--records 100000000] [--processes 2]   # generate, or show the cache

The estate and its traffic are tests/vpcgen.py's (tiers, requests and replies logged at both ends, NAT,
internet clients, scanners, NODATA and SKIPDATA lines), scaled to `records` a day (`records_per_hour` =
records / 24, swinging through the day around it) with ten times its large preset's outside populations.
This module adds AWS's delivery at that rate:
- one file per flow log, ENI group and 5 minutes, in the default S3 layout (`AWSLogs/<account>/vpcflowlogs/
  <region>/yyyy/mm/dd/<name>.log.gz`, named by `digests.sources.delivery.key_build`): a busy interval is
  split into ENI groups of about FILE_RECORDS records, as a busy flow log is written in several files;
- a share of the records that start in an interval's first minute start up to a minute earlier, in the
  slot before (AWS files a record by its end). At hh:00 these records span the hour boundary: the digest of
  hour hh-1 must read the first files of hour hh.
Intervals are drawn, rendered and gzipped (ISA-L, level 1) in `processes` processes. Each interval draws
from vpcgen's own random stream (seed, interval start), so the files do not depend on the process count.
The day is cached in bench/out/day-v2-r<records>/ (git-ignored; `done.json` marks it complete, so an
interrupted run is generated again); delete the folder to regenerate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from digests.sources.delivery import DeliveryLayout, FlowLogName, key_build  # noqa: E402
from tests import vpcgen  # noqa: E402

OUT = ROOT / "bench" / "out"
DAY = datetime(2026, 11, 29, tzinfo=UTC)  # a past day: its windows are complete (no delivery delay left)
SEED = 7
SLOT = 300  # AWS publishes every 5 minutes
FILE_RECORDS = 100_000  # about this many records a file: a busy interval is written in several
EARLY_SHARE = 0.2  # of the records starting in a slot's first minute, those that start in the slot before
OUTSIDE_FACTOR = 10  # internet clients, scanners and public servers, against vpcgen's large preset


@dataclass(frozen=True)
class DayFlowLogs:
    """A generated day: the folder to point VPC_FLOW_LOGS_PATH at, and what it holds."""

    folder: Path
    records: int  # data lines, NODATA and SKIPDATA included
    files: int
    gzip_bytes: int
    spanning_hour: int  # records that start before an hour and sit in that hour's first file
    seconds: float  # generation time (of the run that made the cache)
    processes: int

    @property
    def start(self) -> datetime:
        return DAY

    def describe(self) -> str:
        return (
            f"{self.records:,} records in {self.files:,} gzip files ({self.gzip_bytes / 1e9:.2f} GB), "
            f"{self.spanning_hour:,} spanning an hour boundary; generated in {self.seconds:.0f} s "
            f"by {self.processes} processes"
        )


def day_flow_logs(records: int, processes: int = 0) -> DayFlowLogs:
    """The cached day of about `records` records, generated first when missing."""
    folder = OUT / f"day-v2-r{records}"
    manifest = folder / "done.json"
    if not manifest.exists():
        _generate(folder, records, processes or os.cpu_count() or 1)
    figures = json.loads(manifest.read_text())
    return DayFlowLogs(folder=folder / "flowlogs", **figures)


def _scale(records: int) -> vpcgen.Scale:
    large = vpcgen.Scale.large()
    return replace(
        large,
        records_per_hour=max(1, records // 24),
        internet_clients=large.internet_clients * OUTSIDE_FACTOR,
        scanners=large.scanners * OUTSIDE_FACTOR,
        public_servers=large.public_servers * OUTSIDE_FACTOR,
    )


def _generate(folder: Path, records: int, processes: int) -> None:
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    began = time.perf_counter()
    slots = [int(DAY.timestamp()) + SLOT * number for number in range(86400 // SLOT)]
    print(f"generating {records:,} records of {DAY:%Y-%m-%d} in {processes} processes into {folder} …")
    with ProcessPoolExecutor(processes, initializer=_worker_start, initargs=(records, building)) as pool:
        results = list(pool.map(_slot_write, slots, chunksize=4))
    totals = {key: sum(result[key] for result in results) for key in results[0]}
    figures = {**totals, "seconds": round(time.perf_counter() - began, 1), "processes": processes}
    (building / "done.json").write_text(json.dumps(figures, indent=1) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)


# --- one process's work: whole slots ------------------------------------------------------------------

_state: dict[str, Any] = {}


def _worker_start(records: int, building: Path) -> None:
    topology = vpcgen._Topology(_scale(records), SEED)
    _state.update(
        topology=topology,
        renderer=vpcgen._Renderer(topology, vpcgen.FIELDS["v2"]),
        root=building / "flowlogs",
    )


def _slot_write(t0: int) -> dict[str, int]:
    """Draws, renders and writes the slot starting at `t0`; returns its counts."""
    from isal import igzip

    topology = _state["topology"]
    columns, _keys = vpcgen._Interval(topology, SEED, t0, SLOT).draw()
    rng = np.random.default_rng([SEED, 3, t0])  # apart from vpcgen's streams: its draws stay as they are
    early = _start_earlier(columns, t0, rng)
    owner = topology.eni_account[columns["eni"]]
    counts = {"records": 0, "files": 0, "gzip_bytes": 0, "spanning_hour": 0}
    if t0 % 3600 == 0:
        counts["spanning_hour"] = int(np.count_nonzero(early))
    for account_index, account in enumerate(vpcgen.ACCOUNTS):
        rows = np.flatnonzero(owner == account_index)
        groups = math.ceil(rows.size / FILE_RECORDS)
        for group in range(groups):
            chosen = rows[columns["eni"][rows] % groups == group]
            if not chosen.size:
                continue  # AWS publishes no empty files
            body = _state["renderer"].render({name: column[chosen] for name, column in columns.items()})
            data = igzip.compress(body, compresslevel=1)
            path = _state["root"] / _file_key(topology.flow_logs[account], account, t0, group)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            counts["records"] += int(chosen.size)
            counts["files"] += 1
            counts["gzip_bytes"] += len(data)
    return counts


def _start_earlier(columns: dict[str, Any], t0: int, rng: np.random.Generator) -> Any:
    """Moves the start of EARLY_SHARE of the records starting in the slot's first minute into the slot
    before, keeping their end (so their file) and at most a minute between start and end, as AWS's
    1-minute aggregation writes them. Returns the mask of the moved records."""
    start, end = columns["start"], columns["end"]
    moved = (start < t0 + 60) & (rng.random(start.size) < EARLY_SHARE)
    # end - t0 < 60 in the first minute: starting 61 - (end - t0) .. 60 s before the end lands before t0.
    earliest = end[moved] - t0 + 1
    start[moved] = end[moved] - rng.integers(earliest, 61)
    return moved


def _file_key(flow_log: str, account: str, t0: int, group: int) -> str:
    digest = hashlib.sha256(f"{flow_log}|{t0}|{group}".encode()).hexdigest()[:8]
    name = FlowLogName(account, vpcgen.REGION, flow_log, datetime.fromtimestamp(t0, UTC), digest, ".log.gz")
    return key_build(DeliveryLayout.DEFAULT, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000_000)
    parser.add_argument("--processes", type=int, default=0, help="generating processes (0: one per CPU)")
    options = parser.parse_args()
    day = day_flow_logs(options.records, options.processes)
    print(f"{day.folder}: {day.describe()}")


if __name__ == "__main__":
    main()
