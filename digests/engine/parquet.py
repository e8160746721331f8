"""Parquet objects as canonical text lines, for the same compiled scan as text files.

Missing values are nulls; the strings `-`, `None` (pandas writes it) and `` are taken as "no value" too;
whitespace inside a Parquet string is replaced by `_` so the line keeps its fields. A value of a numeric
field that is not an int64 becomes PARQUET_BAD_NUMBER, which the scan counts as bad_number.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from digests.engine.kernel_layouts import KERNEL_FIELDS
from digests.engine.layouts import (
    DIGEST_FIELDS,
    KNOWN_FIELDS,
    STATUS,
    STRING_FIELDS,
    RecordLayout,
    field_name,
)
from digests.engine.objects import FlowLogReadError
from digests.engine.pieces import Lines, Unknown

PARQUET_MAGIC = b"PAR1"
PARQUET_BATCH_ROWS = 256 * 1024
PARQUET_MISSING = ("-", "None", "")
PARQUET_BAD_NUMBER = "?"  # stands for a Parquet value that is not an int64, so the scan counts bad_number
CANONICAL = RecordLayout.of(KERNEL_FIELDS)  # the layout of the text lines Parquet batches become
# ... of a file without a log-status column: its records are data when they carry numbers, as in text files
CANONICAL_WITHOUT_STATUS = RecordLayout.of(name for name in KERNEL_FIELDS if name != STATUS)
_WHITESPACE = (" ", "\t", "\n", "\r", "\x0b", "\x0c")
_PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError, TypeError, EOFError, KeyError, IndexError)


def parquet_pieces(number: int, key: str, data: bytes) -> Iterator[Lines | Unknown]:
    """The rows of the Parquet object numbered `number`, a batch at a time; FlowLogReadError if unreadable."""
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        names = parquet.schema_arrow.names
        known = any(field_name(name) in KNOWN_FIELDS for name in names)
        # with no digest column, read the first one anyway: the batches still count the rows
        wanted = _parquet_columns(names) or names[:1]
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
            if batch.num_rows == 0:
                continue
            if not known:
                yield Unknown(number, batch.num_rows)
                continue
            frame = _arrow_frame(batch)
            layout = CANONICAL if STATUS in frame.columns else CANONICAL_WITHOUT_STATUS
            text = _parquet_lines(frame, layout)
            yield Lines(number, text, 0, len(text), layout)
    except _PARQUET_ERRORS as error:
        raise FlowLogReadError(key, f"unreadable Parquet: {error}") from error


def _parquet_columns(names: list[str]) -> list[str]:
    chosen: dict[str, str] = {}
    for name in names:
        chosen.setdefault(field_name(name), name)
    return [name for normal, name in chosen.items() if normal in DIGEST_FIELDS]


def _arrow_frame(batch: pa.RecordBatch) -> pl.DataFrame:
    """Integers and strings stay as they are; other types go through their text form."""
    columns = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        kind = column.type
        plain = pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
        columns[field_name(name)] = column if plain or pa.types.is_null(kind) else column.cast(pa.string())
    return pl.DataFrame(columns)


def _parquet_lines(frame: pl.DataFrame, layout: RecordLayout) -> bytes:
    """The rows as text lines in `layout` (CANONICAL or CANONICAL_WITHOUT_STATUS), for the same scan as text files."""
    fields: list[pl.Expr] = []
    for name in layout.names:
        if name in STRING_FIELDS:
            fields.append(_parquet_text(frame, name))
        else:
            value, wrong = _parquet_number(frame, name)
            text = value.cast(pl.String).fill_null("-")
            fields.append(pl.when(wrong).then(pl.lit(PARQUET_BAD_NUMBER)).otherwise(text))
    # with_columns broadcasts literals to the frame's height, select alone would not
    lines = frame.with_columns(pl.concat_str(fields, separator=" ").alias("_line")).select("_line")
    return lines.write_csv(None, include_header=False, quote_style="never").encode()


def _parquet_text(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns or frame[name].dtype == pl.Null:
        return pl.lit("-")
    value = pl.col(name).cast(pl.String)
    value = pl.when(value.is_null() | (value == "")).then(pl.lit("-")).otherwise(value)
    if frame[name].cast(pl.String).str.contains_any(list(_WHITESPACE)).any():
        value = value.str.replace_many(list(_WHITESPACE), ["_"] * len(_WHITESPACE))
    return value


def _parquet_number(frame: pl.DataFrame, name: str) -> tuple[pl.Expr, pl.Expr]:
    if name not in frame.columns or frame[name].dtype == pl.Null:
        return pl.lit(None, pl.Int64), pl.lit(False)
    value = pl.col(name)
    number = value.cast(pl.Int64, strict=False)
    if frame[name].dtype == pl.String:
        missing = value.is_null() | value.is_in(PARQUET_MISSING)
        return pl.when(missing).then(None).otherwise(number), number.is_null() & ~missing
    return number, number.is_null() & value.is_not_null()
