"""The DuckDB engine runs the digest SQL that Athena runs; it must write the built-in engine's bytes, on
every corpus file, a generated VPC and seeded random objects."""

from __future__ import annotations

import gzip
import io
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.engine.digest import digest_objects
from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogObject
from digests.engines.duckdb_sql import duckdb_digest, stage_objects
from tests.vpcgen import vpc_generate

DATA = Path(__file__).parents[2] / "data"
SHARED = Path("/work/shared/corpora")
EVER = (0, 2**40)
BASE = 1_500_000_000  # random records' times: seconds, or milliseconds from BASE * 1000 on
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def builtin_digest(objects: list[FlowLogObject], window: tuple[int, int]) -> tuple[bytes, DigestFigures]:
    out = io.BytesIO()
    figures = digest_objects(objects, window[0], window[1], out)
    return out.getvalue(), figures


def sql_digest(
    objects: list[FlowLogObject], window: tuple[int, int], folder: Path
) -> tuple[bytes, DigestFigures]:
    out = io.BytesIO()
    staged = DigestFigures()
    paths = stage_objects(objects, folder, staged)
    result = duckdb_digest(paths, window[0], window[1], out)
    return out.getvalue(), result.figures


def assert_same(objects: list[FlowLogObject], folder: Path, window: tuple[int, int] = EVER) -> bytes:
    expected, builtin = builtin_digest(objects, window)
    digest, figures = sql_digest(objects, window, folder)
    assert digest == expected
    assert (figures.records, figures.in_window, figures.groups) == (
        builtin.records,
        builtin.in_window,
        builtin.groups,
    )
    assert {k: v for k, v in figures.skipped.items() if v} == {k: v for k, v in builtin.skipped.items() if v}
    return digest


def corpus_files() -> list[Path]:
    root = DATA / "corpora" if (DATA / "corpora").is_dir() else SHARED  # the same files, one copy each
    return [
        path
        for folder in (root, DATA / "go-fixtures")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in (".log", ".gz", ".parquet", ".txt")
    ]


@pytest.mark.parametrize("path", corpus_files(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_corpus_file_digests_to_the_builtin_engines_bytes(path: Path, tmp_path: Path) -> None:
    assert_same([FlowLogObject(path.name, path.read_bytes())], tmp_path)


@pytest.mark.parametrize("fields", ["v2", "v5"])
def test_generated_vpc_hours_digest_to_the_builtin_engines_bytes(tmp_path: Path, fields: str) -> None:
    root = tmp_path / "logs"
    vpc_generate(root, datetime(2019, 1, 1, tzinfo=UTC), 2, fields=fields)
    objects = [FlowLogObject(str(p), p.read_bytes()) for p in sorted(root.rglob("*.gz"))]
    digest = assert_same(objects, tmp_path, window=(1_546_300_800 + 600, 1_546_300_800 + 4_200))
    assert digest.count(b"\n") > 50


def random_line(rng: random.Random) -> str:
    def number(low: int, high: int) -> str:
        roll = rng.random()
        if roll < 0.04:
            return "-"
        if roll < 0.06:
            return rng.choice(["x1", "1.5", "99999999999999999999", "+7", "007", "-3"])
        return str(rng.randint(low, high))

    def moment() -> str:
        value = BASE + rng.randint(1_000, 3_000)
        roll = rng.random()
        if roll < 0.05:  # seconds after 2038, below the millisecond bound
            return str(rng.randint(2**31, 3 * 2**31))
        return str(value * 1000 + rng.randint(0, 999)) if roll < 0.2 else str(value)

    status = rng.choice(["OK", "ok", "NODATA", "SKIPDATA", "Ok", "nodata", "-", "PENDING"])
    fields = [
        rng.choice(["2", "3"]),
        rng.choice(["111122223333", "444455556666", "-"]),
        rng.choice(["eni-1", "eni-2", "eni-3"]),
        rng.choice(["10.0.0.1", "10.0.0.2", "2001:db8::1", "-"]),
        rng.choice(["10.0.0.1", "10.0.0.3", "é.example"]),
        number(0, 70),
        number(0, 70),
        rng.choice(["6", "17", "1", "-", "06"]),
        number(0, 10**6),
        number(0, 10**9),
        moment(),
        moment(),
        rng.choice(["ACCEPT", "REJECT", "-", "accept"]),
        status,
    ]
    if rng.random() < 0.03:
        fields.pop()
    separator = "\t" if rng.random() < 0.05 else ("  " if rng.random() < 0.05 else " ")
    return separator.join(fields)


def random_object(rng: random.Random, number: int) -> FlowLogObject:
    lines = [random_line(rng) for _ in range(rng.randint(0, 300))]
    if rng.random() < 0.7:
        lines.insert(0, HEADER)
    if rng.random() < 0.2:  # a changed layout mid-file: fewer fields, another order
        lines.insert(
            len(lines) // 2,
            "srcaddr dstaddr version account-id interface-id srcport dstport protocol packets bytes start end action log-status",
        )
    if rng.random() < 0.1:
        lines.append("")
        lines.append("Phony unsupported log format.")
    data = ("\r\n" if rng.random() < 0.1 else "\n").join(lines).encode()
    if rng.random() < 0.5:
        data = gzip.compress(data)
    return FlowLogObject(f"random-{number}", data)


@pytest.mark.parametrize("seed", range(12))
def test_random_objects_digest_to_the_builtin_engines_bytes(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    objects = [random_object(rng, number) for number in range(rng.randint(1, 4))]
    window = rng.choice([EVER, (BASE + 1_500, BASE + 2_500), (BASE + 2_000, BASE + 2_001), (0, BASE + 1_000)])
    assert_same(objects, tmp_path, window)
