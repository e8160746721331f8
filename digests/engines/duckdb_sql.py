"""The DuckDB engine: the digest SQL (digests/engines/sql.py) run locally by DuckDB.

The source fetches the window's objects (a folder, or S3 with grapherd's own credentials and prefetcher:
DuckDB's httpfs extension is downloaded at run time, which a locked-down worker cannot do), and each is
staged in a scratch folder as UTF-8 text: gzip inflated, a leading byte order mark dropped and bytes that
are not UTF-8 replaced by U+FFFD (as the built-in engine reads them). Parquet objects are staged as
canonical text lines under a header, by the built-in engine's own Parquet reader (digests/engine/parquet.py),
so their values (nulls, `None`, whitespace, non-integer numbers) are read by the same rules. DuckDB then
reads every staged file, numbers its lines, and runs the one SQL text that Athena runs too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from isal import igzip

from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogObject, FlowLogReadError
from digests.engines.base import EngineInput, EngineRun, objects_fetched
from digests.engines.sql import QueryResult, digest_query
from digests.rich import RichCopies
from ops.tempfiles import temp_folder

GZIP_MAGIC, PARQUET_MAGIC, UTF8_BOM = b"\x1f\x8b", b"PAR1", b"\xef\xbb\xbf"
FETCH_ROWS = 50_000
SLOW_OPTIMIZERS = "partial_aggregate_pushdown"
UNKNOWN_ROW = "?\n"  # one token and no header: a row of a Parquet object with no flow-log column


class DuckDBEngine:
    name = "duckdb"

    def digest(self, given: EngineInput, out: BinaryIO, rich: RichCopies) -> EngineRun:
        figures = DigestFigures()
        with temp_folder() as folder, contextlib.closing(objects_fetched(given)) as objects:
            paths = stage_objects(rich.watch(objects), folder, figures)
            result = duckdb_digest(paths, given.start, given.stop, out)
        result.figures.files, result.figures.bytes_read = figures.files, figures.bytes_read
        return EngineRun(result.figures)


def stage_objects(objects: Iterable[FlowLogObject], folder: Path, figures: DigestFigures) -> list[Path]:
    """Writes each object as a UTF-8 text file in `folder`; counts the files and their stored bytes."""
    paths = []
    for number, flow_log in enumerate(objects):
        path = folder / f"{number}.txt"
        with path.open("wb") as staged:
            _stage(number, flow_log, staged)
        paths.append(path)
        figures.files += 1
        figures.bytes_read += len(flow_log.data)
    return paths


def _stage(number: int, flow_log: FlowLogObject, staged: BinaryIO) -> None:
    data = flow_log.data
    if data[:4] == PARQUET_MAGIC:
        _stage_parquet(number, flow_log, staged)
        return
    if data[:2] == GZIP_MAGIC:
        try:
            data = igzip.decompress(data)
        except (OSError, EOFError, ValueError) as error:
            raise FlowLogReadError(flow_log.key, f"corrupt or truncated gzip: {error}") from error
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if not data.isascii():
        data = data.decode("utf-8", "replace").encode()
    staged.write(data)


def _stage_parquet(number: int, flow_log: FlowLogObject, staged: BinaryIO) -> None:
    from digests.engine.parquet import CANONICAL, parquet_pieces
    from digests.engine.pieces import Lines

    staged.write(" ".join(CANONICAL.names).encode() + b"\n")
    for piece in parquet_pieces(number, flow_log.key, flow_log.data):
        if isinstance(piece, Lines):
            staged.write(piece.data[piece.begin : piece.end])
        else:
            staged.write(UNKNOWN_ROW.encode() * piece.records)


def duckdb_digest(paths: list[Path], start: int, stop: int, out: BinaryIO) -> QueryResult:
    """Runs the digest SQL over the staged text files; writes the lines into `out`."""
    result = QueryResult()
    for kind, text, records in duckdb_rows(paths, start, stop):
        if (line := result.add_row(kind, text, records)) is not None:
            out.write(line)
    return result


def duckdb_rows(paths: list[Path], start: int, stop: int) -> Iterator[tuple[int, str, int]]:
    """The digest query's rows (kind, text, records) over the staged text files."""
    import duckdb  # the worker's stack: never imported by the web processes

    with duckdb.connect() as connection:
        # This optimizer spends seconds planning the query's chain of CASE expressions (DuckDB 2.0.1)
        connection.execute(f"SET disabled_optimizers = '{SLOW_OPTIMIZERS}'")
        if paths:  # what does not fit in memory spills beside the staged files, in the job's own folder
            connection.execute("SET temp_directory = ?", [str(paths[0].parent / "duckdb-spill")])
        connection.execute("CREATE TABLE flow_lines (path VARCHAR, line_no BIGINT, line VARCHAR)")
        if paths:
            connection.execute(
                "INSERT INTO flow_lines SELECT filename, generate_subscripts(lines, 1), unnest(lines) "
                "FROM (SELECT filename, string_split(content, chr(10)) AS lines FROM read_text(?))",
                [[str(path) for path in paths]],
            )
        cursor = connection.execute(digest_query(start, stop, "duckdb"))
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield from rows
