"""Digest engine benchmark: our `digest_objects` against raw engines, on the same synthetic gzip files.

    .venv/bin/python bench/digest_bench.py [--records 2000000] [--groups 100000] [--files 8] [--s3]
    .venv/bin/python bench/digest_bench.py --shape high-cardinality   # 3 M records, ~1.5 M groups

Generates AWS-shaped v2 flow logs (header line, ~1% NODATA, ~3% outside the window; deterministic seed)
into bench/out/ (reused when present). The usual shape is a few services talking to many hosts (the
ephemeral port is zeroed, so ~20 records a group); `--shape high-cardinality` is a window full of
distinct clients and scanners (about two records a group: issue 13). It then runs each engine in its own
subprocess so its peak RSS (VmHWM) is its own: ours end to end (`--workers`: its worker threads, default
one per CPU), a polars streaming group-by (the issue's baseline: it makes the groups, not the digest),
the same digest made with polars (`polars-digest`: the group-by, each group's line, sorted, gzipped as the
service stores it; its text is byte-identical to ours), DuckDB if importable, ISA-L decompression alone,
a plain Python loop on a subset (extrapolated) and our built-in engine as the digest job runs it
(`ours-service-path`: a local folder source, the digest gzipped). Every engine's imports, and our compiled
kernel, are loaded before its clock starts. `--engines ours,polars-streaming` runs a few of them.
`--s3` adds the full path through a local moto S3 server: S3Source listing, the bounded prefetcher and
the engine.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
SEED = 20190101
T0 = 1546300800  # 2019-01-01T00:00:00Z; the window is [T0, T0 + 1 h)
WINDOW = (T0, T0 + 3600)
ACCOUNT = "123456789012"
REGION = "us-east-1"
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
NEVER = 1 << 62  # groups: a sharding threshold no tally reaches
PYTHON_SUBSET = 400_000  # records the plain-Python loop reads; its rate is extrapolated
KEY_COLUMNS = [
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "sp",
    "dp",
    "protocol",
    "action",
    "log-status",
]


# --- data ----------------------------------------------------------------------------------------------


SHAPES = {  # --shape: (records, groups) defaults
    "usual": (2_000_000, 100_000),
    "high-cardinality": (3_000_000, 2_000_000),  # ~1.5 M groups seen: a flow is drawn ~1.4 times
}


def dataset(records: int, groups: int, files: int, shape: str = "usual") -> Path:
    """The folder of gzip files for these parameters, generated on first use."""
    suffix = "" if shape == "usual" else f"-{shape}"
    folder = OUT / f"v2-r{records}-g{groups}-f{files}{suffix}"
    done = folder / "done.json"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    from isal import igzip

    rng = random.Random(SEED)
    flows = _flows(rng, groups) if shape == "usual" else _exposed_flows(rng, groups)
    started = time.perf_counter()
    per_file = -(-records // files)
    for number in range(files):
        count = min(per_file, records - number * per_file)
        text = "\n".join([HEADER, *_lines(rng, flows, count)]) + "\n"
        (folder / _file_name(number, files)).write_bytes(igzip.compress(text.encode(), compresslevel=1))
    done.write_text(json.dumps({"records": records, "groups": groups, "files": files, "shape": shape}))
    print(
        f"generated {records:,} records in {files} files in {time.perf_counter() - started:.1f} s: {folder}"
    )
    return folder


def _flows(rng: random.Random, groups: int) -> list[tuple[str, str, str, int, int, str, bool]]:
    enis = [f"eni-{rng.getrandbits(68):017x}" for _ in range(max(1, groups // 200))]
    flows = []
    for _ in range(groups):
        inside = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        outside = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        service = rng.choice((22, 53, 80, 443, 443, 443, 3306, 5432, 6379, 8080))
        protocol = 17 if service == 53 else 6
        action = "REJECT" if rng.random() < 0.1 else "ACCEPT"
        flows.append((rng.choice(enis), inside, outside, service, protocol, action, rng.random() < 0.5))
    return flows


def _exposed_flows(rng: random.Random, groups: int) -> list[tuple[str, str, str, int, int, str, bool]]:
    """Flows of an exposed VPC, where most groups are seen once or twice: clients of public web servers
    from all over the internet (a group per client address), scanners sweeping the ports of every host
    (a group per address and port, most rejected), and peers whose ports are both high (the lower one,
    the "service", stays in the key)."""
    enis = [f"eni-{rng.getrandbits(68):017x}" for _ in range(max(1, groups // 2000))]
    servers = [(rng.choice(enis), f"10.0.{rng.randrange(4)}.{rng.randrange(1, 255)}") for _ in range(40)]
    scanners = [f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                for _ in range(max(1, groups // 500))]  # fmt: skip
    flows = []
    for _ in range(groups):
        kind = rng.random()
        outside = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        inside = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        # `_lines` writes an outbound flow as (its second field, port ephemeral) -> (its third, the service):
        # here the client or scanner is the second
        if kind < 0.5:  # a client of a public server
            eni, server = rng.choice(servers)
            flows.append((eni, outside, server, rng.choice((80, 443, 443, 443)), 6, "ACCEPT", True))
        elif kind < 0.85:  # a scanner's probe from a high port; the probed port is kept
            action = "REJECT" if rng.random() < 0.8 else "ACCEPT"
            flows.append(
                (rng.choice(enis), rng.choice(scanners), inside, rng.randrange(1, 32768), 6, action, True)
            )
        else:  # peers on high ports
            port = rng.randrange(1024, 32768)
            flows.append(
                (rng.choice(enis), inside, outside, port, rng.choice((6, 17)), "ACCEPT", rng.random() < 0.5)
            )
    return flows


def _lines(
    rng: random.Random, flows: list[tuple[str, str, str, int, int, str, bool]], count: int
) -> Iterator[str]:
    randrange = rng.randrange
    for _ in range(count):
        eni, inside, outside, service, protocol, action, outbound = flows[randrange(len(flows))]
        start = T0 + randrange(-120, 3720)  # ~3% outside [T0, T0 + 3600)
        if randrange(100) == 0:
            yield f"2 {ACCOUNT} {eni} - - - - - - - {start} {start + 60} - NODATA"
            continue
        ephemeral = randrange(32768, 61000)
        packets = randrange(1, 200)
        size = packets * randrange(40, 1500)
        if outbound:
            yield (
                f"2 {ACCOUNT} {eni} {inside} {outside} {ephemeral} {service} {protocol} {packets} {size} "
                f"{start} {start + randrange(60)} {action} OK"
            )
        else:
            yield (
                f"2 {ACCOUNT} {eni} {outside} {inside} {service} {ephemeral} {protocol} {packets} {size} "
                f"{start} {start + randrange(60)} {action} OK"
            )


def _file_name(number: int, files: int) -> str:
    stamp = datetime.fromtimestamp(T0, UTC) + timedelta(seconds=3600 * number // max(files, 1))
    return f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0bench000000000000_{stamp:%Y%m%dT%H%MZ}_{number:08x}.log.gz"


def _paths(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.log.gz"))


# --- engines (each runs in a subprocess: `--engine NAME`) -------------------------------------------------


class _Sink(io.RawIOBase):
    """Counts the digest bytes instead of keeping them."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)


def engine_ours(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    from digests.engine.digest import BLOCK_BYTES, digest_objects
    from digests.engine.objects import FlowLogObject

    def objects() -> Iterator[FlowLogObject]:
        for path in _paths(folder):
            yield FlowLogObject(path.name, path.read_bytes())

    sink = _Sink()
    block = options.block_mb << 20 if options.block_mb else BLOCK_BYTES
    workers = options.workers or None
    shard_from = {"shard_from": NEVER} if options.engine_name == "ours-unsharded" else {}
    figures = digest_objects(objects(), *WINDOW, sink, block_bytes=block, workers=workers, **shard_from)  # type: ignore[arg-type]
    held = {"copies": figures.held / figures.groups} if figures.groups else {}
    return {"records": figures.records, "groups": figures.groups, "in_window": figures.in_window, **held}


def _polars_groups(folder: Path) -> Any:
    """The digest's group-by as a polars lazy query: the issue's baseline (issue 13)."""
    import polars as pl

    numeric = {"srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}
    schema = {name: pl.Int64 if name in numeric else pl.String for name in HEADER.split()}
    src, dst = pl.col("srcport"), pl.col("dstport")
    return (
        pl.scan_csv(_paths(folder), separator=" ", quote_char=None, schema=schema, null_values="-")
        .filter(pl.col("log-status") == "OK", pl.col("start").is_between(*WINDOW, closed="left"))
        .with_columns(
            sp=pl.when(src >= dst).then(0).otherwise(src),
            dp=pl.when(src < dst).then(0).otherwise(dst),
        )
        .group_by(KEY_COLUMNS)
        .agg(
            pl.col("packets").sum(),
            pl.col("bytes").sum(),
            pl.col("start").min(),
            pl.col("end").max(),
            has_packets=pl.col("packets").count(),
            has_bytes=pl.col("bytes").count(),
        )
    )


def engine_polars(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    return {"groups": _polars_groups(folder).collect(engine="streaming").height}


def engine_polars_digest(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """What the service stores, made with polars: the group-by, then each group's digest line (the
    window's first start and last end on every line, a sum with no value "-"), sorted bytewise and
    gzipped by ISA-L at the level the service stores with (digests/flow.py)."""
    import polars as pl
    from isal import igzip

    groups = _polars_groups(folder).collect(engine="streaming")
    first, last = groups["start"].min(), groups["end"].max()

    def text(column: str) -> pl.Expr:
        return pl.col(column).cast(pl.String).fill_null("-")

    def total(column: str) -> pl.Expr:
        return pl.when(pl.col(f"has_{column}") > 0).then(text(column)).otherwise(pl.lit("-"))

    line = pl.concat_str(
        [pl.lit("2"), *map(text, ("account-id", "interface-id", "srcaddr", "dstaddr", "sp", "dp", "protocol")),
         total("packets"), total("bytes"), pl.lit(f"{first} {last}"), text("action"), text("log-status")],
        separator=" ",
    )  # fmt: skip
    lines = groups.select(line=line).sort("line")
    stored = _Sink()
    with igzip.GzipFile(fileobj=stored, mode="wb", compresslevel=2, mtime=0) as out:
        lines.write_csv(out, include_header=False, quote_style="never")
    return {"groups": lines.height, "stored_bytes": stored.size}


def engine_duckdb(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    files = [str(path) for path in _paths(folder)]
    columns = {
        name: (
            "BIGINT"
            if name in {"srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}
            else "VARCHAR"
        )
        for name in HEADER.split()
    }
    sql = """
        SELECT count(*) FROM (
            SELECT "account-id", "interface-id", srcaddr, dstaddr,
                   CASE WHEN srcport >= dstport THEN 0 ELSE srcport END AS sp,
                   CASE WHEN srcport < dstport THEN 0 ELSE dstport END AS dp,
                   protocol, action, "log-status", sum(packets), sum(bytes), min(start), max("end")
            FROM read_csv($files, delim=' ', header=true, columns=$columns, nullstr='-', quote='')
            WHERE "log-status" = 'OK' AND start >= $start AND start < $stop
            GROUP BY ALL
        )
    """
    parameters = {"files": files, "columns": columns, "start": WINDOW[0], "stop": WINDOW[1]}
    rows = duckdb.execute(sql, parameters).fetchone()
    return {"groups": rows[0] if rows else 0}


def engine_isal(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    from isal import igzip

    text = 0
    for path in _paths(folder):
        reader = igzip.GzipFile(fileobj=io.BytesIO(path.read_bytes()))
        while block := reader.read(8 << 20):
            text += len(block)
    return {"text_bytes": text}


def engine_python(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """The Go digester's algorithm as a plain loop (dict of keys), on the first PYTHON_SUBSET records only."""
    from isal import igzip

    sums: dict[tuple[str, ...], list[int]] = {}
    seen = 0
    begin, end = WINDOW
    for path in _paths(folder):
        for line in igzip.decompress(path.read_bytes()).decode().splitlines()[1:]:
            seen += 1
            fields = line.split(" ")
            if len(fields) != 14 or fields[13] != "OK" or not begin <= int(fields[10]) < end:
                continue
            src, dst = int(fields[5]), int(fields[6])
            fields[5 if src >= dst else 6] = "0"
            key = (*fields[1:8], fields[12], fields[13])
            total = sums.setdefault(key, [0, 0])
            total[0] += int(fields[8])
            total[1] += int(fields[9])
            if seen >= options.python_subset:
                return {"records": seen, "groups": len(sums), "subset": True}
    return {"records": seen, "groups": len(sums), "subset": False}


def engine_s3(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    import boto3

    from digests.engine.digest import digest_objects
    from digests.sources.prefetch import fetch_objects
    from digests.sources.s3 import S3Source

    client = boto3.client(
        "s3",
        endpoint_url=options.endpoint,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106  # moto accepts anything
    )
    source = S3Source(options.bucket, client=client, accounts=[ACCOUNT], regions=[REGION])
    start, stop = (datetime.fromtimestamp(moment, UTC) for moment in WINDOW)
    refs = list(source.list(start, stop))
    objects = fetch_objects(source, refs, max_concurrent=8, max_bytes=256 << 20)
    figures = digest_objects(objects, *WINDOW, _Sink())  # type: ignore[arg-type]
    return {"records": figures.records, "groups": figures.groups, "files": figures.files}


def engine_service(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """The digest job's engine step as the worker runs it (digests/piece_digest.py): the built-in engine
    reading a local folder source through the prefetcher, its text gzipped as it is stored."""
    import tempfile

    from digests.engine.gzip_blocks import GzipBlocks
    from digests.engines.base import EngineInput
    from digests.engines.builtin import BuiltinEngine
    from digests.piece_digest import STORED_LEVEL
    from digests.rich import RichCopies
    from digests.sources.local import LocalFolderSource

    source = LocalFolderSource(folder)
    start, stop = (datetime.fromtimestamp(moment, UTC) for moment in WINDOW)
    given = EngineInput(source, list(source.list(start, stop)), *WINDOW)
    stored = _Sink()
    with (
        tempfile.TemporaryDirectory() as rich_folder,
        GzipBlocks(stored, STORED_LEVEL) as text,  # type: ignore[arg-type]  # a sink, not a file
    ):
        run = BuiltinEngine().digest(given, text, RichCopies(Path(rich_folder)))  # type: ignore[arg-type]
    figures = run.figures
    return {
        "records": figures.records,
        "groups": figures.groups,
        "in_window": figures.in_window,
        "stored_bytes": stored.size,
    }


ENGINES: dict[str, Callable[[Path, argparse.Namespace], dict[str, Any]]] = {
    "ours": engine_ours,
    "ours-unsharded": engine_ours,  # every worker holds the groups it saw (digests/engine/shards.py)
    "polars-streaming": engine_polars,
    "polars-digest": engine_polars_digest,
    "duckdb": engine_duckdb,
    "isal-decompress": engine_isal,
    "python-loop": engine_python,
    "ours-via-s3": engine_s3,
    "ours-service-path": engine_service,
}


_IMPORTS = {  # imported before the clock starts: every engine pays its imports alike
    "ours": ["digests.engine.digest"],
    "ours-unsharded": ["digests.engine.digest"],
    "ours-via-s3": ["digests.engine.digest", "digests.sources.s3", "boto3"],
    "ours-service-path": ["digests.engines.builtin", "digests.sources.local"],
    "polars-streaming": ["polars"],
    "polars-digest": ["polars", "isal.igzip"],
    "duckdb": ["duckdb"],
    "isal-decompress": ["isal.igzip"],
    "python-loop": ["isal.igzip"],
}


def run_engine(name: str, folder: Path, options: argparse.Namespace) -> None:
    """Subprocess side: runs one engine and prints one JSON line with its time and peak RSS."""
    import importlib

    if name == "ours-service-path":  # the engines' configuration is the service's (ops.config)
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grapherd_site.settings")
        django.setup()
    for module in _IMPORTS[name]:
        importlib.import_module(module)
    if name.startswith("ours"):
        _warm_up()
    started = time.perf_counter()
    cpu = time.process_time()
    options.engine_name = name
    result = ENGINES[name](folder, options)
    result.update(seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def _warm_up() -> None:
    """Loads (or, after a change, compiles) the engine's numba kernel before the clock starts, as imports are."""
    from digests.engine.digest import digest_objects
    from digests.engine.objects import FlowLogObject

    line = f"2 {ACCOUNT} eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 10 {T0} {T0 + 60} ACCEPT OK\n"
    digest_objects([FlowLogObject("warm-up", line.encode())], *WINDOW, io.BytesIO())


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- parent: runs the engines side by side and prints the table ----------------------------------------


def measure(name: str, folder: Path, options: argparse.Namespace, extra: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    command = [
        sys.executable,
        __file__,
        "--engine",
        name,
        "--data",
        str(folder),
        "--block-mb",
        str(options.block_mb),
        "--workers",
        str(options.workers),
        "--python-subset",
        str(options.python_subset),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    options = _arguments()
    if options.engine:
        run_engine(options.engine, Path(options.data), options)
        return
    folder = dataset(options.records, options.groups, options.files, options.shape)
    stored = sum(path.stat().st_size for path in _paths(folder))
    print(
        f"data: {options.records:,} records, ~{options.groups:,} flows, {options.files} gzip files, "
        f"{stored / 1e6:.0f} MB stored; cpus: {os.cpu_count()}; window [{WINDOW[0]}, {WINDOW[1]})"
    )
    print(f"load average before the run: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    names = [name for name in ENGINES if name != "ours-via-s3" and name in options.engines]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(options.repeat):  # rounds interleave the engines, so a busy spell hits them alike
        for name in names:
            if name == "duckdb" and not _importable("duckdb"):
                runs[name] = [{"skipped": "duckdb is not installed"}]
                continue
            runs[name].append(measure(name, folder, options))
    if options.s3:
        runs["ours-via-s3"] = [_measure_s3(folder, options) for _ in range(options.repeat)]
    _report({name: _best(results) for name, results in runs.items()}, options.records)


def _best(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run, with the median wall time of all of them."""
    timed = sorted(
        (result for result in results if "seconds" in result), key=lambda result: result["seconds"]
    )
    if not timed:
        return results[0]
    return {**timed[0], "median_seconds": timed[len(timed) // 2]["seconds"], "runs": len(timed)}


def _measure_s3(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log would bury the report
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106  # moto accepts anything
        )
        bucket = "bench-flow-logs"
        client.create_bucket(Bucket=bucket)
        day = datetime.fromtimestamp(T0, UTC)
        prefix = f"AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/{day:%Y/%m/%d}/"
        for path in _paths(folder):
            client.put_object(Bucket=bucket, Key=prefix + path.name, Body=path.read_bytes())
        return measure("ours-via-s3", folder, options, ["--endpoint", endpoint, "--bucket", bucket])
    finally:
        server.stop()


def _report(results: dict[str, dict[str, Any]], records: int) -> None:
    baselines = [
        records / result["seconds"]
        for name, result in results.items()
        if name in {"polars-streaming", "duckdb"} and "seconds" in result
    ]
    print(
        f"\n{'engine':18} {'wall s':>8} {'median':>8} {'cpu s':>8} {'M rec/s':>8} {'peak RSS MB':>12}  notes"
    )
    for name, result in results.items():
        if "seconds" not in result:
            note = result.get("skipped") or result.get("error")
            print(f"{name:18} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {'-':>12}  {note}")
            continue
        counted = result.get("records") or records
        rate = counted / result["seconds"]
        notes = _notes(name, result, counted)
        print(
            f"{name:18} {result['seconds']:8.2f} {result['median_seconds']:8.2f} {result['cpu_seconds']:8.2f} "
            f"{rate / 1e6:8.2f} {result['peak_rss_mb']:12.0f}  {notes}"
        )
    ours = results.get("ours", {})
    if baselines and "seconds" in ours:
        print(f"\nours / fastest raw group-by baseline: {records / ours['seconds'] / max(baselines):.2f}x")
    for name in ("ours", "ours-service-path"):
        print(_ratios(name, results, records))
    print(_stored_ratio(results))
    unsharded = results.get("ours-unsharded", {})
    if "seconds" in ours and "seconds" in unsharded:
        from digests.engine.shards import SHARD_FROM_GROUPS

        print(
            f"ours (sharded once the workers hold {SHARD_FROM_GROUPS:,} groups) / ours-unsharded: "
            f"{unsharded['seconds'] / ours['seconds']:.2f}x the speed, "
            f"{ours['peak_rss_mb'] / unsharded['peak_rss_mb']:.2f}x the peak RSS"
        )


def _ratios(name: str, results: dict[str, dict[str, Any]], records: int) -> str:
    """How many times faster `name` ran than polars and the plain Python loop (its time for all the
    records, extrapolated when it read a subset), and its peak RSS against polars'."""
    ours, polars, python = (results.get(key, {}) for key in (name, "polars-streaming", "python-loop"))
    if not all("seconds" in result for result in (ours, polars, python)):
        return ""
    python_seconds = python["seconds"] * records / python["records"]
    return (
        f"{name}: {polars['seconds'] / ours['seconds']:.2f}x polars' speed "
        f"({polars['median_seconds'] / ours['median_seconds']:.2f}x by medians), "
        f"{python_seconds / ours['seconds']:.2f}x the plain Python loop's, "
        f"{ours['peak_rss_mb'] / polars['peak_rss_mb']:.2f}x polars' peak RSS"
    )


def _stored_ratio(results: dict[str, dict[str, Any]]) -> str:
    """The built-in engine's stored digest against the same gzipped digest made with polars."""
    ours, polars = results.get("ours-service-path", {}), results.get("polars-digest", {})
    if not ("seconds" in ours and "seconds" in polars):
        return ""
    return (
        f"ours-service-path / polars-digest (both store the gzipped digest): "
        f"{polars['seconds'] / ours['seconds']:.2f}x the speed "
        f"({polars['median_seconds'] / ours['median_seconds']:.2f}x by medians), "
        f"{ours['peak_rss_mb'] / polars['peak_rss_mb']:.2f}x the peak RSS"
    )


def _notes(name: str, result: dict[str, Any], counted: int) -> str:
    if name == "python-loop":
        scope = "on a subset, rate extrapolated" if result.get("subset") else "full run"
        return f"{counted:,} records {scope}, {result['groups']:,} groups"
    if name == "isal-decompress":
        return f"{result['text_bytes'] / result['seconds'] / 1e9:.2f} GB/s of text"
    if "groups" in result:
        return (
            f"{result['groups']:,} groups"
            + (f", {result['in_window']:,} in window" if "in_window" in result else "")
            + (f", {result['copies']:.2f} copies held a group" if "copies" in result else "")
            + (f", {result['stored_bytes'] / 1e6:.1f} MB gzipped" if "stored_bytes" in result else "")
        )
    return ""


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shape", choices=sorted(SHAPES), default="usual", help="the flows' shape (see above)"
    )
    parser.add_argument("--records", type=int, help="records in all (default: the shape's)")
    parser.add_argument("--groups", type=int, help="flows the records are drawn from (default: the shape's)")
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--s3", action="store_true", help="also time the full path through a moto S3 server")
    parser.add_argument("--block-mb", type=int, default=0, help="our engine's decode block (0: its default)")
    parser.add_argument("--workers", type=int, default=0, help="our engine's worker threads (0: one per CPU)")
    parser.add_argument("--python-subset", type=int, default=PYTHON_SUBSET)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each engine's fastest run is shown")
    parser.add_argument(
        "--engines",
        type=lambda text: [name.strip() for name in text.split(",")],
        default=[name for name in ENGINES if name != "ours-via-s3"],
        help="engines to run, by name, comma-separated (default: all)",
    )
    parser.add_argument("--engine", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--bucket", help=argparse.SUPPRESS)
    options = parser.parse_args()
    records, groups = SHAPES[options.shape]
    options.records = options.records or records
    options.groups = options.groups or groups
    return options


if __name__ == "__main__":
    main()
