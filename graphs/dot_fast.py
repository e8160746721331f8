"""The DOT of a digest file in bulk: the bytes and figures of `graphs.dot.dot_write`, written with polars.

`dot_write` runs a Python loop over every line, twice; on a 1.5 M-edge window it took two thirds of the
graph job. This writer parses the digest a block of lines at a time with polars' string kernels and builds
the statements as column expressions. graphs/dot.py stays the definition of the wire format: a line the
bulk path cannot judge alone (a character outside printable ASCII, or a `"` or `\\` that must be escaped)
goes through the reference functions in its place, and so does every node id that is not simply `n` +
the address without `.` and `:` (ids that need quotes, that collide, that spell a keyword). Like
`dot_write` it reads the file twice (node ids depend on every address), so memory grows with the nodes
and the blocks in flight (BLOCK_BYTES, BLOCKS_AT_ONCE), not with the window's edges.

polars is imported inside the functions: the web tier imports graphs.flow, never polars (tests/test_layers.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TypeVar

from graphs.dot import DotFigures, Edge, dot_id, dot_value, edge_statement, edges_read, node_base, node_ids

if TYPE_CHECKING:
    import polars as pl

# Bytes of whole lines parsed at a time (a line longer than this is read whole): ~70 k digest lines. The
# DOT of a block is about 4 times its size and is held a few times over while it is built and written,
# so this and BLOCKS_AT_ONCE bound the memory for edges. Module-level so tests can make tiny blocks.
BLOCK_BYTES = 8 << 20
# Blocks in flight: two overlap one block's Python steps with another's polars steps and the writes
# (6.0 s against 4.5 s on the 1.5 M-line window of bench/dot_bench.py, 2 cores).
BLOCKS_AT_ONCE = 2
R = TypeVar("R")
# The fields of a v2 line up to log-status; a 15th column takes the rest of the line, so the 14th is exact.
_FIELDS = (
    "version", "account", "eni", "src", "dst", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "status", "rest",
)  # fmt: skip
# The edge attributes in the Go service's order: (field, name); `govpc_<name>` and `<name>=` in the label.
_ATTRIBUTES = (
    ("account", "accountID"), ("eni", "eniID"), ("srcport", "srcPort"), ("dstport", "dstPort"),
    ("protocol", "protocol"), ("packets", "packets"), ("bytes", "bytes"), ("start", "start"), ("end", "end"),
)  # fmt: skip
# A line the bulk path judges: printable ASCII and spaces, no `"` or `\`. Its fields then need no
# `dot_value` escaping and its status no Unicode trimming; anything else goes to the reference functions.
_UNUSUAL_LINE = r'[^ -~]|["\\]'
_USUAL_BYTES = bytes(range(0x20, 0x7F)).replace(b'"', b"").replace(b"\\", b"") + b"\n"
# An address whose Go id (`n` + the address without `.` and `:`) is a bare DOT id as it is.
_PLAIN_ADDRESS = r"^[0-9A-Za-z_.:]*$"
# `unique_ids` suffixes a colliding id `P` as `P_2`, `P_3`, … while avoiding every plain id, so addresses
# whose id has that form are resolved together with the collision (ASCII digits: `\d` is Unicode in polars).
_SUFFIX = r"_[0-9]+$"


class _Block(NamedTuple):
    kept: pl.DataFrame  # the bulk path's kept lines: `row` (position in the block) and the fields
    odd: list[tuple[int, Edge]]  # the reference's edges of the other lines, by row


def dot_write_file(path: Path, out: BinaryIO) -> DotFigures:
    """Write the DOT of the digest at `path` to `out` (UTF-8 bytes) and return what was written: exactly
    what `dot_write` writes for the file's edges, read as UTF-8 with errors="replace" and newline="\\n"."""
    nodes = _node_table(path)
    # Most ids are computed from the address on the fly; these are the others.
    special = nodes.filter(nodes["id"] != _go_id(nodes["address"])).select("address", "id")
    figures = DotFigures(nodes=nodes.height)

    def write(data: bytes | memoryview) -> None:
        out.write(data)
        figures.bytes += len(data)

    def block_dot(block: _Block) -> tuple[int, memoryview]:
        statements = _edge_statements(block, special)
        return len(statements), _utf8(statements)

    write(b"digraph {\n")
    for edges, data in _blocks(path, block_dot):
        figures.edges += edges
        write(data)
    write(_utf8(_node_statements(nodes)))
    write(b"}")
    return figures


def _blocks(path: Path, work: Callable[[_Block], R]) -> Iterator[R]:
    """`work` of each block of the file, parsed, in order. BLOCKS_AT_ONCE blocks are parsed and worked on
    at once, in threads: polars releases the GIL, so one block's Python steps (decoding, splitting) and
    the caller's writes overlap another block's polars steps."""
    with ThreadPoolExecutor(BLOCKS_AT_ONCE) as pool:
        pending: deque[Future[R]] = deque()
        for data in _raw_blocks(path):
            pending.append(pool.submit(lambda data: work(_parsed(data)), data))
            if len(pending) >= BLOCKS_AT_ONCE:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _raw_blocks(path: Path) -> Iterator[bytes]:
    """The file's lines, BLOCK_BYTES at a time. Lines are split on `\\n` only, as the reference reads
    them; a block ends after a `\\n` (or at the end of the file), so decoding it alone gives the same
    text as decoding the whole file."""
    with path.open("rb") as file:
        carry = b""
        while data := file.read(BLOCK_BYTES):
            data = carry + data
            end = data.rfind(b"\n") + 1
            carry = data[end:]
            if end:
                yield data[:end]
        if carry:
            yield carry


def _parsed(data: bytes) -> _Block:
    import polars as pl

    # A text ending in `\n` gives a last empty element: an empty line, which the filter drops anyway.
    lines = data.decode("utf-8", "replace").split("\n")
    frame = pl.Series("line", lines, dtype=pl.String).to_frame().with_row_index("row")
    odd: list[tuple[int, Edge]] = []
    if data.translate(None, _USUAL_BYTES):  # one pass over the bytes spares most blocks the per-line test
        unusual = frame["line"].str.contains(_UNUSUAL_LINE)
        odd = [
            (row, edge)
            for row, line in frame.filter(unusual).iter_rows()
            for edge in edges_read([line])  # the line without its `\n`: the status is trimmed of it anyway
        ]
        frame = frame.filter(~unusual)
    fields = pl.col("line").str.splitn(" ", len(_FIELDS)).struct.rename_fields(list(_FIELDS))
    kept = (
        frame.select("row", fields.struct.unnest())
        .filter(
            pl.col("status").is_not_null()  # at least 14 fields
            & (pl.col("version") == "2")
            & (pl.col("status").str.to_lowercase() == "ok")
        )
        .drop("version", "status", "rest")
    )
    return _Block(kept, odd)


def _go_id(addresses: Any) -> Any:
    """The Go service's id of each address (a polars Series or expression): `n` + the address without `.`
    and `:`. It is the DOT id for every plain address that collides with no other."""
    return "n" + addresses.str.replace_all(".", "", literal=True).str.replace_all(":", "", literal=True)


def _node_table(path: Path) -> pl.DataFrame:
    """Every address of a kept line with its node id and escaped label (`address`, `id`, `label`)."""
    import polars as pl

    def block_addresses(block: _Block) -> tuple[pl.Series, set[str]]:
        unique = pl.concat([block.kept["src"], block.kept["dst"]]).unique()
        return unique, {address for _, edge in block.odd for address in (edge.src, edge.dst)}

    parts: list[pl.Series] = []
    held, compacted = 0, 0
    odd: set[str] = set()
    for unique, odd_addresses in _blocks(path, block_addresses):
        parts.append(unique)
        odd |= odd_addresses
        held += len(unique)
        # Deduplicated again when the held addresses doubled (plus a block's worth): O(1) times each.
        if held > 2 * compacted + BLOCK_BYTES // 8:
            parts = [pl.concat(parts).unique()]
            held = compacted = len(parts[0])
    parts.append(pl.Series(sorted(odd), dtype=pl.String))
    addresses = pl.concat(parts).unique().rename("address")
    return _ids_given(addresses.to_frame())


def _ids_given(table: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    address = pl.col("address")
    table = table.with_columns(plain=address.str.contains(_PLAIN_ADDRESS))
    table = table.with_columns(
        base=pl.when("plain").then(_go_id(address)), label=pl.when("plain").then(address)
    )
    other = table["plain"].not_().arg_true()
    if len(other):  # bases and labels of the other addresses as the reference makes them
        others = table["address"].gather(other).to_list()
        table = table.with_columns(
            table["base"].scatter(other, [node_base(text) for text in others]),
            table["label"].scatter(other, [dot_value(text) for text in others]),
        )
    base = pl.col("base")
    colliding = table.filter(base.is_duplicated())["base"].unique().implode()
    resolved = base.is_in(colliding) | base.str.replace(_SUFFIX, "").is_in(colliding)
    table = table.with_columns(
        resolved=resolved,
        id=pl.when(pl.col("plain") & ~resolved & (base.str.to_lowercase() != "node")).then(base),
    )
    return _ids_filled(table).select("address", "id", "label")


def _ids_filled(table: pl.DataFrame) -> pl.DataFrame:
    """The ids the bulk rule leaves out, filled in: quoted ones (`dot_id`), and collisions together with
    every address whose plain id a suffix could take, resolved by `node_ids` as the reference does."""
    rows = table["id"].is_null().arg_true()
    if not len(rows):
        return table
    left = table.select("address", "base", "resolved")[rows]
    together = node_ids(left.filter("resolved")["address"].to_list())
    ids = [together[address] if resolved else dot_id(base) for address, base, resolved in left.iter_rows()]
    return table.with_columns(table["id"].scatter(rows, ids))


def _edge_statements(block: _Block, special: pl.DataFrame) -> pl.Series:
    """The block's edge statements (each with its TAB and `\\n`), in line order."""
    import polars as pl

    kept, count = block.kept, block.kept.height
    ids = _go_id(pl.concat([kept["src"], kept["dst"]]))
    if special.height:
        ends = pl.concat([kept["src"], kept["dst"]]).to_frame("address")
        found = ends.join(special, on="address", how="left", maintain_order="left")["id"]
        ids = found.fill_null(ids)
    kept = kept.with_columns(src_id=ids[:count], dst_id=ids[count:])
    col = pl.col
    rejected = col("action").str.to_lowercase() == "reject"
    pieces: list[Any] = ["\t", col("src_id"), " -> ", col("dst_id"), " ["]
    for index, (name, attribute) in enumerate(_ATTRIBUTES):
        pieces += [" " if index else "", f'govpc_{attribute}="', col(name), '"']
    pieces += [" color=", pl.when(rejected).then(pl.lit("red")).otherwise(pl.lit("green")), ' label="']
    for index, (name, attribute) in enumerate(_ATTRIBUTES):
        pieces += ["\\n" if index else "", f"{attribute}=", col(name)]
    pieces += ['"]\n']
    exprs = [pl.lit(piece) if isinstance(piece, str) else piece for piece in pieces]
    statements = kept.select("row", statement=pl.concat_str(exprs))
    if block.odd:
        statements = pl.concat([statements, _odd_statements(block.odd, special)]).sort("row")
    return statements["statement"]


def _odd_statements(odd: list[tuple[int, Edge]], special: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    addresses = pl.Series("address", sorted({a for _, edge in odd for a in (edge.src, edge.dst)}))
    found = addresses.to_frame().join(special, on="address", how="left", maintain_order="left")["id"]
    ids = dict(zip(addresses.to_list(), found.fill_null(_go_id(addresses)).to_list(), strict=True))
    statements = [f"\t{edge_statement(edge, ids[edge.src], ids[edge.dst])}\n" for _, edge in odd]
    rows = pl.Series([row for row, _ in odd], dtype=pl.get_index_type())
    return pl.DataFrame({"row": rows, "statement": statements})


def _node_statements(nodes: pl.DataFrame) -> pl.Series:
    import polars as pl

    statement = pl.concat_str([pl.lit("\t"), "id", pl.lit(' [label="'), "label", pl.lit('"]\n')])
    # Sorted as the reference sorts its (id, address) pairs: ids are unique, and statements order as their
    # ids do, since the byte after an id is a space and an id holds nothing that sorts below one (no
    # whitespace or control characters); polars compares UTF-8 bytes, which orders as code points do.
    # Sorting the one column is several times faster than sorting the table by its id column.
    return nodes.select(statement=statement)["statement"].sort()


def _utf8(statements: pl.Series) -> memoryview:
    """The statements' UTF-8 bytes, one after the other, without a copy: the data buffer of the Arrow
    string array (statements are never null)."""
    import numpy as np
    import polars as pl

    array = statements.rechunk().to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string
    if not len(array):
        return memoryview(b"")
    _, offsets, data = array.buffers()
    first, last = np.frombuffer(offsets, dtype=np.int64)[[array.offset, array.offset + len(array)]]
    return memoryview(data)[int(first) : int(last)]
