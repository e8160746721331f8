"""The digest engine: raw flow-log objects in, digest text out (seed-behaviour.md §2.7, extended).

`digest_objects` reads gzip text, plain text and Parquet objects (told apart by their magic bytes, not their
names), keeps the records whose start lies in [start, stop), and writes one v2-layout line per group:

    2 <account-id> <interface-id> <srcaddr> <dstaddr> <srcport'> <dstport'> <protocol> <sum packets>
      <sum bytes> <global min start> <global max end> <action> <log-status>

Record rules, on top of the seed's:

* The layout comes from a file's header line (hyphenated names, any order, repeated or changed mid-file)
  or from Parquet column names (underscored), never from the `version` value. Before any header a line of
  14 tokens is AWS v2 default, of 36 the Transit Gateway default, anything else `unknown_layout`.
* Tokens are separated by runs of spaces (tabs and CRs count as spaces); blank lines are not records.
  `-` is "no value". Fields a layout lacks are written `-`.
* Skip reasons, first match wins: unknown_layout, field_count, nodata_skipdata (a log-status other than
  OK in any case; `-` or no log-status field is not a status), bad_number (a port, protocol, packets,
  bytes, start or end that is neither a base-10 int64 nor `-`), outside_window.
* Start and end above 2**31-1 are milliseconds and are divided by 1000. A record is in the window when
  its start is in [start, stop); when it has no start value (or its layout no start field) its end is
  used; with neither it is kept.
* Ports, protocol and the sums are written in canonical decimal (`080` becomes `80`). Packets or bytes
  sum to `-` when no record of the group had a value. Start and end are the global bounds of all the
  records in the digest, as in the seed, so every line carries the same two values.
* Parquet: missing values are nulls; the strings `-`, `None` (pandas writes it) and `` are taken as
  "no value" too; whitespace inside a Parquet string is replaced by `_` so the line keeps 14 fields.

Speed and memory: ISA-L decompresses text in a helper thread, in 8 MB blocks re-cut at newlines. The
main thread reads each chunk of blocks with polars' CSV reader, typed; a chunk whose lines are all well
formed (the usual case) is digested with vectorised expressions only. A chunk with anything odd in it (a
header mid-file, a short line, a double space, a tab, a bad number...) is re-read line by line, so every
record is classified exactly. A second helper thread groups each chunk while the next one is parsed:
groups are keyed by two independently seeded 64-bit hashes of the key, sums are kept as numbers in
slices merged as they pile up, and each group's key text is stored once, so memory follows the number of
groups, not records.
"""

from __future__ import annotations

import io
import os
import queue
import random
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TypeVar, cast

# Polars' allocator (its own jemalloc) keeps freed pages for 10 s by default, which on a digest's churn of
# chunk-sized frames adds ~100 MB of peak RSS that nothing uses. It reads this variable once, when polars
# is first imported; a value set by the operator wins, and it has no effect if polars was imported before.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:0")

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from isal import igzip, isal_zlib

from digests.records import (
    ACCOUNT,
    ACTION,
    BYTES,
    DIGEST_FIELDS,
    DSTADDR,
    DSTPORT,
    END,
    ENI,
    KNOWN_FIELDS,
    NUMERIC_FIELDS,
    PACKETS,
    PROTOCOL,
    SRCADDR,
    SRCPORT,
    START,
    STATUS,
    STRING_FIELDS,
    Layout,
    default_layout,
    field_name,
    header_layout,
    is_header,
    split_tokens,
)
from digests.types import (
    SKIP_BAD_NUMBER,
    SKIP_FIELD_COUNT,
    SKIP_NO_DATA,
    SKIP_OUTSIDE_WINDOW,
    SKIP_UNKNOWN_LAYOUT,
    DigestFigures,
    FlowLogObject,
    FlowLogReadError,
)

DEFAULT_CHUNK_BYTES = 16 << 20  # decompressed text per vectorised step (~140k records)
# Text is decoded in blocks below glibc's largest mmap threshold: fresh 32 MB buffers cost a page fault per
# 4 KB every time, reused heap memory does not. A step reads its blocks as a list, without joining them.
BLOCK_BYTES = 8 << 20
DEFAULT_READ_AHEAD = 3  # decoded blocks waiting for the main thread; 0 runs everything inline
PARQUET_BATCH_ROWS = 256 * 1024
MERGE_MIN_ROWS = 500_000  # partial sums held before they are merged (48 bytes each)
SLICES = 8  # the sums are kept in slices, merged one at a time
DIRECT_RATIO = 0.5  # a chunk with more groups than this share of its records...
DIRECT_CHUNKS = 7  # ...sends this many next chunks' records to the merges without grouping them first
MILLISECONDS_ABOVE = 2**31 - 1
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
OK_SPELLINGS = ("OK", "Ok", "oK", "ok")  # the seed lower-cases; listing them keeps the test vectorised
PARQUET_MISSING = ("-", "None", "")
_WHITESPACE = (" ", "\t", "\n", "\r", "\x0b", "\x0c")

# Working column names; real field names are hyphenated, so these cannot clash.
_BAD = "_bad"
_REASON = "_reason"
_HASH = "_h"
_HASH2 = "_h2"
_LOW = "_h2_low"
_HIGH = "_h2_high"
_ROW = "_row"
_SLICE = "_slice"
_LEFT = "_left"  # "<account> <eni> <srcaddr> <dstaddr>"
_RIGHT = "_right"  # "<action> <log-status>"
_NPACKETS = "_npackets"  # how many records had a packets value
_NBYTES = "_nbytes"
_KEY = [ACCOUNT, ENI, SRCADDR, DSTADDR, SRCPORT, DSTPORT, PROTOCOL, ACTION, STATUS]
_PART_VALUES = [PACKETS, _NPACKETS, BYTES, _NBYTES]
_REASONS = {1: SKIP_NO_DATA, 2: SKIP_BAD_NUMBER, 3: SKIP_OUTSIDE_WINDOW}

T = TypeVar("T")


def digest_objects(
    objects: Iterable[FlowLogObject],
    start: int,
    stop: int,
    out: BinaryIO,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    read_ahead: int = DEFAULT_READ_AHEAD,
) -> DigestFigures:
    """Digests `objects` for the window [start, stop) (Unix seconds) and writes the sorted text to `out`.

    `objects` is consumed once, one object at a time, from a helper thread when `read_ahead` > 0 (an
    iterator that is a generator is closed there if the digest stops early); a second helper thread then
    merges the groups of one chunk while the next one is parsed. Raises FlowLogReadError for an object
    that cannot be decoded, and lets the iterable's own FlowLogReadError through.
    """
    digester = _Digester(start, stop, chunk_bytes, threaded=read_ahead > 0)
    pieces = _read_ahead(_decoded(objects, min(chunk_bytes, BLOCK_BYTES)), read_ahead)
    try:
        for piece in pieces:
            digester.feed(piece)
        return digester.finish(out)
    finally:
        pieces.close()  # stops the helper threads at once if something failed
        digester.close()


# --- decoding: objects to pieces of whole lines or record batches -------------------------------------


@dataclass(frozen=True)
class _Lines:
    """Whole lines of one object, each ending in a newline; `head` marks the object's first line alone."""

    obj: int
    data: bytes
    head: bool = False


@dataclass(frozen=True)
class _Rows:
    """One Parquet record batch: the digest's columns as stored; `known` if any column is a field name."""

    obj: int
    frame: pl.DataFrame
    known: bool


@dataclass(frozen=True)
class _Done:
    obj: int
    stored_bytes: int


_Piece = _Lines | _Rows | _Done


def _decoded(objects: Iterable[FlowLogObject], block_bytes: int) -> Iterator[_Piece]:
    source = iter(objects)
    try:
        for number, obj in enumerate(source):
            key, data = obj.key, obj.data
            del obj  # only the bytes stay alive while they are decoded
            yield from _decode(number, key, data, block_bytes)
            yield _Done(number, len(data))
            del data
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _decode(number: int, key: str, data: bytes, block_bytes: int) -> Iterator[_Piece]:
    if data[:4] == PARQUET_MAGIC:
        yield from _parquet_pieces(number, key, data)
    elif data[:2] == GZIP_MAGIC:
        yield from _line_pieces(number, _gunzip(key, data, block_bytes))
    else:
        yield from _line_pieces(
            number, (data[at : at + block_bytes] for at in range(0, len(data), block_bytes))
        )


# isal's stubs type its error class as an instance
_GZIP_ERRORS = (OSError, EOFError, ValueError, cast("type[Exception]", isal_zlib.error))


def _gunzip(key: str, data: bytes, block_bytes: int) -> Iterator[bytes]:
    reader = igzip.GzipFile(fileobj=io.BytesIO(data))
    while True:
        try:
            block = reader.read(block_bytes)
        except _GZIP_ERRORS as error:
            raise FlowLogReadError(key, f"corrupt or truncated gzip: {error}") from error
        if not block:
            return
        yield block


def _line_pieces(number: int, blocks: Iterator[bytes]) -> Iterator[_Lines]:
    """Re-cuts blocks at newlines (one copy per block); the first line comes alone so a header is cheap."""
    pending: list[bytes] = []  # the tail of the last block: a line still waiting for its newline
    first = True
    for block in blocks:
        view = memoryview(block)
        begin = 0
        if first:
            begin = block.find(b"\n") + 1
            if begin == 0:
                pending.append(block)
                continue
            first = False
            yield _Lines(number, b"".join([*pending, view[:begin]]), head=True)
            pending = []
        cut = block.rfind(b"\n") + 1
        if cut > begin:
            yield _Lines(number, _joined(pending, block, begin, cut))
            pending = []
        pending.append(bytes(view[max(cut, begin) :]))
    tail = b"".join(pending)
    if tail:
        yield _Lines(number, tail + b"\n", head=first)


def _joined(pending: list[bytes], block: bytes, begin: int, cut: int) -> bytes:
    if not any(pending) and begin == 0 and cut == len(block):
        return block
    return b"".join([*pending, memoryview(block)[begin:cut]])


_PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError, TypeError, EOFError, KeyError, IndexError)


def _parquet_pieces(number: int, key: str, data: bytes) -> Iterator[_Rows]:
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        names = parquet.schema_arrow.names
        known = any(field_name(name) in KNOWN_FIELDS for name in names)
        # with no digest column, read the first one anyway: the batches still count the rows
        wanted = _parquet_columns(names) or names[:1]
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
            yield _Rows(number, _arrow_frame(batch), known)
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


# --- read-ahead thread -------------------------------------------------------------------------------


def _read_ahead(items: Iterator[T], depth: int) -> Generator[T, None, None]:
    """Runs `items` in a helper thread, `depth` items ahead; its errors are raised here, in order."""
    if depth <= 0:
        yield from items
        return
    handoff: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    thread = threading.Thread(
        target=_produce, args=(items, handoff, stop), name="flowlog-decode", daemon=True
    )
    thread.start()
    try:
        while True:
            more, item = handoff.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield item  # type: ignore[misc]  # queued by _produce from `items`
    finally:
        stop.set()
        while thread.is_alive():
            _drain(handoff)
            thread.join(0.05)


def _produce(items: Iterator[T], handoff: queue.Queue[tuple[bool, object]], stop: threading.Event) -> None:
    try:
        for item in items:
            if not _offer(handoff, (True, item), stop):
                break
        else:
            _offer(handoff, (False, None), stop)
    except BaseException as error:  # handed to the consumer, which raises it
        _offer(handoff, (False, error), stop)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _offer(
    handoff: queue.Queue[tuple[bool, object]], value: tuple[bool, object], stop: threading.Event
) -> bool:
    while not stop.is_set():
        try:
            handoff.put(value, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _drain(handoff: queue.Queue[tuple[bool, object]]) -> None:
    while True:
        try:
            handoff.get_nowait()
        except queue.Empty:
            return


class _Behind:
    """Runs the group steps of each chunk in order, in a helper thread while the next chunk is parsed.

    A chunk is handed over once the previous one is done, so at most two chunks' frames are alive. An
    error in the thread is raised by the next `submit` or by `close`.
    """

    def __init__(self, work: Callable[[pl.DataFrame, pl.DataFrame], None], threaded: bool) -> None:
        self._work = work
        self._error: BaseException | None = None
        self._handoff: queue.Queue[tuple[pl.DataFrame, pl.DataFrame] | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, name="flowlog-groups", daemon=True)
            self._thread.start()

    def submit(self, frame: pl.DataFrame, kept: pl.DataFrame) -> None:
        if self._thread is None:
            self._work(frame, kept)
            return
        self._handoff.join()  # the previous chunk is done: only two chunks' frames are ever alive
        self._raise()
        self._handoff.put((frame, kept))

    def close(self, raise_error: bool = True) -> None:
        """Waits for the chunks submitted so far."""
        if self._thread is not None:
            self._handoff.put(None)
            self._thread.join()
            self._thread = None
        if raise_error:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while (item := self._handoff.get()) is not None:
            if self._error is None:  # after an error, chunks are only drained
                try:
                    self._work(*item)
                except BaseException as error:  # raised by the caller's next submit or close
                    self._error = error
            del item
            self._handoff.task_done()


# --- the digester: pieces in, figures and groups out --------------------------------------------------


class _Digester:
    """Main-thread state: the layout in force per open object, the batch of lines waiting, the groups."""

    def __init__(self, start: int, stop: int, chunk_bytes: int, threaded: bool) -> None:
        self.figures = DigestFigures()
        self._window = (start, stop)
        self._chunk_bytes = chunk_bytes
        self._layouts: dict[int, Layout | None] = {}
        self._batch: list[_Lines] = []
        self._batch_layout: Layout | None = None
        self._batch_bytes = 0
        self._closed: list[int] = []
        self._groups = _Groups()
        self._grouping = _Behind(self._groups.add, threaded)
        self._first: int | None = None
        self._last: int | None = None

    def feed(self, piece: _Piece) -> None:
        if isinstance(piece, _Lines):
            if piece.head and self._header(piece):
                return
            self._add(piece)
        elif isinstance(piece, _Rows):
            self._rows(piece)
        else:
            self.figures.files += 1
            self.figures.bytes_read += piece.stored_bytes
            self._closed.append(piece.obj)

    def finish(self, out: BinaryIO) -> DigestFigures:
        self._flush()
        self._grouping.close()
        self.figures.groups = _write(_lines(self._groups.result(), self._first, self._last), out)
        return self.figures

    def close(self) -> None:
        """Stops the grouping thread, if any, without raising: for when the digest failed."""
        self._grouping.close(raise_error=False)

    def _header(self, piece: _Lines) -> bool:
        tokens = split_tokens(piece.data[:-1])
        if not is_header(tokens):
            return False
        self._layouts[piece.obj] = header_layout(tokens)
        return True

    def _add(self, piece: _Lines) -> None:
        layout = self._layouts.get(piece.obj)
        if self._batch and layout != self._batch_layout:
            self._flush()
            layout = self._layouts.get(piece.obj)
        self._batch.append(piece)
        self._batch_layout = layout
        self._batch_bytes += len(piece.data)
        if self._batch_bytes >= self._chunk_bytes:
            self._flush()

    def _flush(self) -> None:
        batch, layout = self._batch, self._batch_layout
        self._batch, self._batch_bytes = [], 0
        if batch:
            frame = _fast_frame([piece.data for piece in batch], layout)
            if frame is not None:
                batch = []  # the text is parsed: let it go before the frame is digested
                self._reduce(frame, checked=False)
            else:
                for piece in batch:
                    self._slow(piece)
        for number in self._closed:
            self._layouts.pop(number, None)
        self._closed = []

    def _slow(self, piece: _Lines) -> None:
        """Line by line: headers switch the layout, odd lines are counted, good ones are parsed in bulk."""
        layout = self._layouts.get(piece.obj)
        clean: dict[Layout, list[bytes]] = {}
        skipped = self.figures.skipped
        for line in piece.data.split(b"\n"):
            tokens = split_tokens(line)
            if not tokens:
                continue
            if is_header(tokens):
                layout = header_layout(tokens)
                continue
            target = layout if layout is not None else default_layout(len(tokens))
            reason = SKIP_UNKNOWN_LAYOUT if target is None else None
            if target is not None and len(tokens) != target.width:
                reason = SKIP_FIELD_COUNT
            if reason is not None:
                self.figures.records += 1
                skipped[reason] += 1
            elif target is not None:
                clean.setdefault(target, []).append(b" ".join(tokens))
        self._layouts[piece.obj] = layout
        for target, lines in clean.items():
            frame, checked = _clean_frame(b"\n".join(lines) + b"\n", target)
            self._reduce(frame, checked)

    def _rows(self, piece: _Rows) -> None:
        if not piece.known:
            self.figures.records += piece.frame.height
            self.figures.skipped[SKIP_UNKNOWN_LAYOUT] += piece.frame.height
            return
        self._reduce(_parquet_frame(piece.frame), checked=True)

    def _reduce(self, frame: pl.DataFrame, checked: bool) -> None:
        """Counts and drops the skipped records of a canonical frame, then groups the rest."""
        frame = frame.with_columns(
            _reason(self._window, checked), _seconds(START), _seconds(END), *self._groups.hashes()
        )
        counts = frame.select(
            (pl.col(_REASON) == code).sum().alias(reason) for code, reason in _REASONS.items()
        )
        dropped = 0
        for reason, count in counts.row(0, named=True).items():
            self.figures.skipped[reason] += count
            dropped += count
        self.figures.records += frame.height
        self.figures.in_window += frame.height - dropped
        if dropped == frame.height:
            return
        # only the narrow numeric columns are filtered; key strings are picked later, one row per group
        narrow = frame.lazy().select(PACKETS, BYTES, START, END, _HASH, _HASH2, _REASON).with_row_index(_ROW)
        kept = (narrow.filter(pl.col(_REASON) == 0) if dropped else narrow).collect()
        self._bounds(kept)
        self._grouping.submit(frame.select(*_KEY, _HASH, _HASH2), kept)

    def _bounds(self, kept: pl.DataFrame) -> None:
        first, last = kept.select(pl.col(START).min(), pl.col(END).max()).row(0)
        if first is not None:
            self._first = first if self._first is None else min(self._first, first)
        if last is not None:
            self._last = last if self._last is None else max(self._last, last)


def _reason(window: tuple[int, int], checked: bool) -> pl.Expr:
    """0 kept, else the code of the first skip reason that applies (see _REASONS)."""
    start, stop = window
    status = pl.col(STATUS)
    nodata = (status != "-") & ~status.is_in(OK_SPELLINGS)
    moment = pl.coalesce(_seconds(START), _seconds(END))
    outside = moment.is_not_null() & ((moment < start) | (moment >= stop))
    bad = pl.col(_BAD) if checked else pl.lit(False)
    reason = pl.when(nodata).then(1).when(bad).then(2).when(outside).then(3).otherwise(0)
    return reason.cast(pl.UInt8).alias(_REASON)


def _seconds(name: str) -> pl.Expr:
    column = pl.col(name)
    return pl.when(column > MILLISECONDS_ABOVE).then(column // 1000).otherwise(column).alias(name)


# --- text to canonical frames ------------------------------------------------------------------------


def _fast_frame(blocks: list[bytes], layout: Layout | None) -> pl.DataFrame | None:
    """The blocks as one canonical frame when every line is a well-formed record of `layout`, else None.

    The typed read fails on a bad number, a header line (it has names where numbers go) and a line with
    too many fields; an empty field (double space, short line, blank line) shows as a null in a text
    column, or as a null number whose raw line is then checked. Tabs and lone CRs are left to the slow path.
    """
    if layout is None:
        layout = default_layout(len(split_tokens(blocks[0][: blocks[0].find(b"\n")])))
    if layout is None or not layout.has_numbers:
        return None
    frames = []
    for block in blocks:  # one read per block keeps the parser's scratch memory small
        frame = _read_block(block, layout)
        if frame is None:
            return None
        frames.append(frame)
    return _canonical_text(pl.concat(frames), layout, typed=True)


def _read_block(block: bytes, layout: Layout) -> pl.DataFrame | None:
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    if b"\r" in block or b"\t" in block:
        return None
    try:
        frame = _read_text(block, layout, typed=True, lossy=False)
    except pl.exceptions.PolarsError:
        return None
    return frame if _well_formed(frame, layout, block) else None


def _clean_frame(data: bytes, layout: Layout) -> tuple[pl.DataFrame, bool]:
    """Lines already split and re-joined by the slow path: typed if every number parses, else checked."""
    try:
        frame = _read_text(data, layout, typed=True, lossy=True)
    except pl.exceptions.PolarsError:
        frame = _read_text(data, layout, typed=False, lossy=True)
        return _canonical_text(frame, layout, typed=False), True
    return _canonical_text(frame, layout, typed=True), False


def _read_text(data: bytes | list[bytes], layout: Layout, typed: bool, lossy: bool) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {}
    nulls: dict[str, str] = {}
    for position in range(layout.width):
        numeric = typed and layout.role(position) in NUMERIC_FIELDS
        schema[_column(position)] = pl.Int64() if numeric else pl.String()
        if numeric:
            nulls[_column(position)] = "-"
    return pl.read_csv(
        data,
        has_header=False,
        separator=" ",
        quote_char=None,
        schema=schema,
        null_values=nulls or None,
        encoding="utf8-lossy" if lossy else "utf8",
        raise_if_empty=False,
    )


def _well_formed(frame: pl.DataFrame, layout: Layout, block: bytes) -> bool:
    """No empty field anywhere: text columns have no nulls, and null numbers really were `-`."""
    numeric = [_column(p) for p in range(layout.width) if layout.role(p) in NUMERIC_FIELDS]
    if any(frame[name].null_count() for name in frame.columns if name not in numeric):
        return False
    if not any(frame[name].null_count() for name in numeric):
        return True
    suspects = frame.select(pl.any_horizontal(pl.col(numeric).is_null()).arg_true()).to_series()
    try:  # the raw lines as one column (much faster than bytes.split); a \x01 in them fails the read
        lines = pl.read_csv(
            block, has_header=False, separator="\x01", quote_char=None, schema={"line": pl.String}
        )
    except pl.exceptions.PolarsError:
        return False
    if lines.height != frame.height:
        return False
    fields = lines["line"].gather(suspects).str.split(" ")
    return bool((fields.list.len() == layout.width).all()) and not fields.list.contains("").any()


def _column(position: int) -> str:
    return f"c{position}"


def _canonical_text(frame: pl.DataFrame, layout: Layout, typed: bool) -> pl.DataFrame:
    """The digest's fields by name: absent text fields are `-`, absent numbers null; `_bad` if checked."""
    exprs: list[pl.Expr] = []
    for name in STRING_FIELDS:
        position = layout.index.get(name)
        exprs.append(pl.col(_column(position)) if position is not None else pl.lit("-"))
    bad: list[pl.Expr] = []
    for name in NUMERIC_FIELDS:
        position = layout.index.get(name)
        if position is None:
            exprs.append(pl.lit(None, pl.Int64))
        elif typed:
            exprs.append(pl.col(_column(position)))
        else:
            value = pl.col(_column(position))
            number = value.cast(pl.Int64, strict=False)
            exprs.append(number)
            bad.append(number.is_null() & (value != "-"))
    names = [*STRING_FIELDS, *NUMERIC_FIELDS]
    columns = [expr.alias(name) for expr, name in zip(exprs, names, strict=True)]
    if not typed:
        columns.append(pl.any_horizontal(bad).alias(_BAD) if bad else pl.lit(False).alias(_BAD))
    # with_columns broadcasts literals to the frame's height, select alone would not
    return frame.with_columns(columns).select([*names, *([] if typed else [_BAD])])


def _parquet_frame(frame: pl.DataFrame) -> pl.DataFrame:
    columns: list[pl.Expr] = []
    bad: list[pl.Expr] = [pl.lit(False)]
    for name in STRING_FIELDS:
        columns.append(_parquet_text(frame, name).alias(name))
    for name in NUMERIC_FIELDS:
        value, wrong = _parquet_number(frame, name)
        columns.append(value.alias(name))
        bad.append(wrong)
    columns.append(pl.any_horizontal(bad).alias(_BAD))
    selected = [*STRING_FIELDS, *NUMERIC_FIELDS, _BAD]
    return frame.with_columns(columns).select(selected)


def _parquet_text(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns or frame[name].dtype == pl.Null:
        return pl.lit("-")
    value = pl.col(name).cast(pl.String)
    value = pl.when(value.is_null() | (value == "")).then(pl.lit("-")).otherwise(value)
    if frame[name].cast(pl.String).str.contains_any(list(_WHITESPACE)).any():
        value = value.str.replace_many(_WHITESPACE, ["_"] * len(_WHITESPACE))
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


# --- groups --------------------------------------------------------------------------------------------


class _Groups:
    """Sums per digest line, kept as numbers keyed by the key's two hashes, plus one key row per line.

    A group is identified by two independently seeded 64-bit hashes of its key (128 bits; two keys would
    have to collide on both). Steps group on the first hash alone, which is faster, and check that the
    second one agrees within each group; when it does not, that step groups on both. The key text of a
    group is read once, the first time its hashes are seen, so the partial sums that pile up between
    merges are plain numbers and memory follows the number of groups.
    """

    def __init__(self) -> None:
        self._seeds = _hash_seeds()
        # sliced on the second hash, so a merge only ever holds one slice of the groups at once
        self._sums = [_Sums() for _ in range(SLICES)]
        self._keys: list[pl.DataFrame] = []  # _HASH, _HASH2 and the key columns, each pair once
        self._known: tuple[pl.Series, pl.Series] | None = None  # the two hash columns of _keys
        self._direct = 0  # chunks left whose rows skip the first grouping

    def hashes(self) -> list[pl.Expr]:
        key = pl.struct(_key_exprs())
        return [key.hash(self._seeds[0]).alias(_HASH), key.hash(self._seeds[1]).alias(_HASH2)]

    def add(self, frame: pl.DataFrame, kept: pl.DataFrame) -> None:
        """`frame`: canonical records with the hashes; `kept`: the numbers and `_row` of its kept rows."""
        if self._direct:
            # chunks lately had about as many groups as rows: grouping them first would not pay
            self._direct -= 1
            part = kept.select(_HASH, _HASH2, _ROW, *_RAW_VALUES)
        else:
            part = _by_hash(kept.lazy(), [pl.col(_ROW).first(), *_FIRST_SUMS])
            if part.height > DIRECT_RATIO * kept.height:
                self._direct = DIRECT_CHUNKS
        self._learn_keys(frame, part)
        slices = part.select(
            (pl.col(_HASH2) % len(self._sums)).alias(_SLICE), _HASH, _HASH2, *_PART_VALUES
        ).partition_by(_SLICE, as_dict=True, include_key=False)
        for (number, *_), piece in slices.items():
            self._sums[cast(int, number)].add(piece)

    def result(self) -> pl.LazyFrame | None:
        """One row per digest line: the sums and the key columns."""
        merged = [frame for frame in (sums.result() for sums in self._sums) if frame is not None]
        keys = self._keys
        self._sums, self._keys, self._known = [], [], None  # the result holds what is still needed
        if not merged:
            return None
        result = pl.concat(merged).join(pl.concat(keys), on=[_HASH, _HASH2], how="left", validate="1:1")
        del merged, keys
        if result[_LEFT].null_count():
            # a new key taken for a known one: both of its 64-bit hashes matched other keys' hashes
            raise RuntimeError("digest key hashes collided; run the digest again")
        return result.lazy()

    def _learn_keys(self, frame: pl.DataFrame, grouped: pl.DataFrame) -> None:
        pairs = grouped.select(_HASH, _HASH2, _ROW)
        if self._known is not None:
            # Two membership tests cost half an anti-join on the pair. A new pair passes for known only if
            # both of its hashes are each some known pair's: about (groups / 2**64)**2 per test.
            first, second = self._known
            seen = pairs[_HASH].is_in(first.implode()) & pairs[_HASH2].is_in(second.implode())
            pairs = pairs.filter(~seen)
        if pairs.height == 0:
            return
        pairs = pairs.unique([_HASH, _HASH2], keep="first")  # rows that were not grouped repeat pairs
        rows = frame.lazy().with_row_index(_ROW).filter(pl.col(_ROW).is_in(pairs[_ROW].implode()))
        keys = rows.select(_HASH, _HASH2, *_part_exprs(_key_exprs())).collect()
        self._keys.append(keys)
        if self._known is None:
            self._known = (keys[_HASH], keys[_HASH2])
        else:
            self._known = (
                pl.concat([self._known[0], keys[_HASH]], rechunk=True),
                pl.concat([self._known[1], keys[_HASH2]], rechunk=True),
            )


def _hash_seeds() -> tuple[int, int]:
    """Fresh for every digest: not a secret, but it makes crafted key collisions impractical."""
    seeds = random.Random()  # noqa: S311
    return seeds.getrandbits(63), seeds.getrandbits(63)


class _Sums:
    """One slice of the sums: parts pile up until they outnumber the merged rows (amortised linear)."""

    def __init__(self) -> None:
        self._parts: list[pl.DataFrame] = []  # _HASH, _HASH2 and the sums
        self._pending = 0
        self._merged: pl.DataFrame | None = None

    def add(self, part: pl.DataFrame) -> None:
        self._parts.append(part)
        self._pending += part.height
        floor = MERGE_MIN_ROWS // SLICES
        if self._pending >= max(floor, 0 if self._merged is None else self._merged.height):
            self._merge()

    def result(self) -> pl.DataFrame | None:
        self._merge()
        return self._merged

    def _merge(self) -> None:
        if not self._parts:
            return
        frames = ([] if self._merged is None else [self._merged]) + self._parts
        self._parts, self._pending = [], 0
        # even a lone part is grouped: records sent on without a first grouping repeat their pairs
        self._merged = _by_hash(pl.concat(frames).lazy(), _MERGE_SUMS)


def _key_exprs() -> list[pl.Expr]:
    """The group key of a canonical frame, with the ephemeral port (the higher one, or the source) at 0."""
    src, dst = pl.col(SRCPORT), pl.col(DSTPORT)
    both = src.is_not_null() & dst.is_not_null()
    return [
        pl.col(ACCOUNT),
        pl.col(ENI),
        pl.col(SRCADDR),
        pl.col(DSTADDR),
        pl.when(both & (src >= dst)).then(0).otherwise(src).alias(SRCPORT),
        pl.when(both & (src < dst)).then(0).otherwise(dst).alias(DSTPORT),
        pl.col(PROTOCOL),
        pl.col(ACTION),
        pl.col(STATUS),
    ]


def _part_exprs(key: list[pl.Expr]) -> list[pl.Expr]:
    """The key as written: the four text fields before the ports and the two after, joined by spaces."""
    return [
        pl.concat_str(key[:4], separator=" ").alias(_LEFT),
        key[4].alias(SRCPORT),
        key[5].alias(DSTPORT),
        key[6].alias(PROTOCOL),
        pl.concat_str(key[7:], separator=" ").alias(_RIGHT),
    ]


_FIRST_SUMS = [
    pl.col(PACKETS).sum(),
    pl.col(PACKETS).count().cast(pl.Int64).alias(_NPACKETS),
    pl.col(BYTES).sum(),
    pl.col(BYTES).count().cast(pl.Int64).alias(_NBYTES),
]
_MERGE_SUMS = [pl.col(name).sum() for name in _PART_VALUES]
_RAW_VALUES = [  # a record as a part of its own
    pl.col(PACKETS),
    pl.col(PACKETS).is_not_null().cast(pl.Int64).alias(_NPACKETS),
    pl.col(BYTES),
    pl.col(BYTES).is_not_null().cast(pl.Int64).alias(_NBYTES),
]


def _by_hash(rows: pl.LazyFrame, aggs: list[pl.Expr]) -> pl.DataFrame:
    """`aggs` per (`_h`, `_h2`): grouped on `_h` alone unless some `_h` group holds two `_h2` values."""
    grouped = (
        rows.group_by(_HASH)
        .agg(pl.col(_HASH2).min().alias(_LOW), pl.col(_HASH2).max().alias(_HIGH), *aggs)
        .collect()
    )
    if (grouped[_LOW] == grouped[_HIGH]).all():
        return grouped.drop(_HIGH).rename({_LOW: _HASH2})
    return rows.group_by(_HASH, _HASH2).agg(*aggs).collect()


# --- output --------------------------------------------------------------------------------------------


def _lines(groups: pl.LazyFrame | None, first: int | None, last: int | None) -> pl.DataFrame:
    """The digest lines, sorted, as one text column."""
    if groups is None:
        return pl.DataFrame(schema={"line": pl.String})
    line = pl.concat_str(
        [
            pl.lit("2"),
            pl.col(_LEFT),
            _text(SRCPORT),
            _text(DSTPORT),
            _text(PROTOCOL),
            pl.when(pl.col(_NPACKETS) > 0).then(_text(PACKETS)).otherwise(pl.lit("-")),
            pl.when(pl.col(_NBYTES) > 0).then(_text(BYTES)).otherwise(pl.lit("-")),
            pl.lit("-" if first is None else str(first)),
            pl.lit("-" if last is None else str(last)),
            pl.col(_RIGHT),
        ],
        separator=" ",
    )
    return groups.select(line.alias("line")).sort("line").collect()


def _write(lines: pl.DataFrame, out: BinaryIO) -> int:
    """Writes the lines, each ending in a newline; returns how many."""
    for part in lines.iter_slices(n_rows=65_536):
        out.write(part.write_csv(None, include_header=False, quote_style="never").encode())
    return lines.height


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).fill_null("-")
