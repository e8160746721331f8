"""Digests of adjacent windows merged into the digest of their union, byte for byte what one pass writes.

A window digested hour by hour (digests.partials) is put back together here. Records fall in exactly one
piece (the engine keeps a record by its own start, or its end when it has no start), so the union's groups
are the pieces' groups with equal keys added up:

* the key is every field but packets, bytes, start and end: version, account, interface, addresses, the
  ports as written (the lower kept), protocol, action and log-status, all as the pieces wrote them;
* packets and bytes are summed over the pieces that had a value, `-` when none had;
* start and end are the bounds of all the records, so the smallest start and largest end written by any
  piece (each piece writes its own bounds on every line), `-` when no piece had one;
* the lines are sorted bytewise, as the engine sorts them.

This module imports nothing of Django; the digest job calls it in the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import polars as pl
from isal import igzip

from digests.engine.objects import DigestMergeError

FIELDS = (
    "version", "account", "eni", "src", "dst", "sp", "dp", "proto",
    "packets", "bytes", "first", "last", "action", "status",
)  # fmt: skip
KEY = ("version", "account", "eni", "src", "dst", "sp", "dp", "proto", "action", "status")
NO_VALUE = "-"
GZIP_MAGIC = b"\x1f\x8b"
WRITE_LINES = 1 << 18  # lines written at a time: bounded memory for the text of a batch


def digests_merge(pieces: Sequence[Path], out: BinaryIO) -> int:
    """Merges the digest texts at `pieces` (plain or gzip) and writes the sorted lines to `out`; returns
    how many lines it wrote. Raises DigestMergeError for a piece that is not a digest."""
    frames = [frame for frame in (_read(path) for path in pieces) if frame.height]
    if not frames:
        return 0
    lines = pl.concat(frames, how="vertical")
    first, last = _bound(lines, "first", "min"), _bound(lines, "last", "max")
    merged = (
        lines.lazy()
        .group_by(list(KEY))
        .agg(_summed("packets"), _summed("bytes"))
        .select(
            pl.concat_str(
                [
                    *(pl.col(name) for name in KEY[:8]),
                    pl.col("packets"),
                    pl.col("bytes"),
                    pl.lit(first),
                    pl.lit(last),
                    pl.col("action"),
                    pl.col("status"),
                ],
                separator=" ",
            )
            .cast(pl.Binary)
            .alias("line")
        )
        .sort("line")  # binary: bytewise, as the engine's sort
        .collect()
    )
    del lines, frames
    return _write(merged["line"], out)


def _read(path: Path) -> pl.DataFrame:
    """A digest's lines as text columns; numbers stay text until they are summed (`-` is no value)."""
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        data = igzip.decompress(data)
    if not data:
        return pl.DataFrame(schema=dict.fromkeys(FIELDS, pl.String))
    try:
        frame = pl.read_csv(
            data,
            has_header=False,
            separator=" ",
            quote_char=None,
            new_columns=list(FIELDS),
            schema_overrides=dict.fromkeys(FIELDS, pl.String),
            infer_schema=False,
        )
    except pl.exceptions.PolarsError as error:
        raise DigestMergeError(f"{path.name}: not a digest ({error})") from error
    if frame.width != len(FIELDS) or frame.select(pl.any_horizontal(pl.all().is_null()).any()).item():
        raise DigestMergeError(f"{path.name}: not a digest (a line without the 14 fields)")
    return frame


def _summed(name: str) -> pl.Expr:
    """The sum of the pieces' values, `-` when none had a value (packets and bytes are optional)."""
    number = pl.col(name).replace(NO_VALUE, None).cast(pl.Int64, strict=True)
    return (
        pl.when(number.is_not_null().any())
        .then(number.sum().cast(pl.String))
        .otherwise(pl.lit(NO_VALUE))
        .alias(name)
    )


def _bound(lines: pl.DataFrame, name: str, which: str) -> str:
    values = lines.get_column(name).unique().replace(NO_VALUE, None).cast(pl.Int64, strict=True)
    bound = values.min() if which == "min" else values.max()
    return NO_VALUE if bound is None else str(bound)


def _write(lines: pl.Series, out: BinaryIO) -> int:
    for at in range(0, lines.len(), WRITE_LINES):
        batch = lines.slice(at, WRITE_LINES).to_list()
        out.write(b"\n".join(batch) + b"\n")
    return lines.len()
