"""Digest (or raw v2 flow-log) text to DOT, in the wire format of go-vpcflow's `DOTConverter`.

vpcflow-diffd parses this output line by line, so the layout is kept byte for byte (docs/go-services-behaviour.md §3.6):
`digraph {`, TAB-indented statements, edges first in input order, then nodes, `}` with no trailing
newline. Flaws of the Go service are fixed without changing the wire format (§7 items 10, 11, 15):
node statements are sorted so the same digest gives the same bytes, values are escaped, node ids that
are not bare DOT ids are quoted, colliding node ids are made unique, and the text is streamed statement
by statement instead of built in memory. The README's Compatibility section lists each difference.

This module is the definition of the format. The graph job writes its DOT with graphs/dot_fast.py, which
makes the same bytes in bulk with polars and calls the functions here for every line or id out of the
ordinary; its differential tests (tests/graphs/test_dot_fast.py) hold the two together.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, TextIO, TypeVar

# Field indices of the v2 default format: version account eni src dst srcport dstport protocol packets
# bytes start end action log-status.
_FIELDS = 14

# diffd splits attributes on single spaces, and graphviz (and XML, for the SVG) chokes on control
# characters, so both become `_`. Split lines cannot hold a space or `\n`; this is defence in depth.
_BLANKS = re.compile(r"[\s\x00-\x1f\x7f]")
_UNSAFE = re.compile(r'[\s\x00-\x1f\x7f"\\]')
# A DOT id that needs no quotes: letters, digits and `_` (not first), and every non-ASCII character.
_BARE_ID = re.compile(r"[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*")
# DOT keywords are case-insensitive; `node` is the only one an `n`-prefixed id can spell.
_KEYWORDS = frozenset({"node", "edge", "graph", "digraph", "subgraph", "strict"})
# What Go's strings.TrimSpace trims: Unicode White_Space. Python's str.strip() trims U+001C-U+001F too.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)

K = TypeVar("K", str, tuple[str, str])
_STATEMENTS_A_WRITE = 512


class Edge(NamedTuple):
    """One accepted flow-log or digest line; values are kept as the raw strings of the line. A named tuple,
    not a frozen dataclass: a window makes one per line twice, and a frozen dataclass is several times
    slower to make."""

    account: str
    eni: str
    src: str
    dst: str
    srcport: str
    dstport: str
    protocol: str
    packets: str
    bytes: str
    start: str
    end: str
    action: str

    @property
    def rejected(self) -> bool:
        return self.action.lower() == "reject"


@dataclass
class DotFigures:
    edges: int = 0
    nodes: int = 0
    bytes: int = 0  # UTF-8 bytes written


def edges_read(lines: Iterable[str]) -> Iterator[Edge]:
    """Yield one edge per line kept by the Go service's filter: version `2` and log-status `ok` (any case).

    Lines are split on single spaces as the Go service does; a line with fewer than 14 fields (a blank line,
    a truncated record) is skipped where the Go service panicked. A whole text passed as one `str` is split
    on `\\n` rather than iterated character by character.
    """
    if isinstance(lines, str):
        lines = lines.split("\n")
    for line in lines:
        f = line.split(" ")
        if len(f) < _FIELDS or f[0] != "2" or (f[13] != "OK" and go_trim_space(f[13]).lower() != "ok"):
            continue
        yield Edge(f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12])


def go_trim_space(text: str) -> str:
    """Go's strings.TrimSpace: `text` without leading and trailing Unicode White_Space."""
    return text.strip(GO_SPACE)


def dot_value(value: str) -> str:
    """Escape a value for a DOT double-quoted string (without the quotes)."""
    if _UNSAFE.search(value) is None:  # the common case: digits, dots, `eni-…`
        return value
    value = _BLANKS.sub("_", value)
    return value.replace("\\", "\\\\").replace('"', '\\"')


def unique_ids(keys: Iterable[K], base: Callable[[K], str]) -> dict[K, str]:
    """Give each key `base(key)`, or `base(key)_2`, `_3`, … where bases collide.

    Within a collision the smallest key keeps the plain base, so ids depend on the set of keys only,
    never on the order they were seen in. Every plain base is claimed before any suffix is handed
    out, so a suffixed id can never take a plain one (`n1` + `_2` versus an address spelling `n1_2`).
    """
    groups: defaultdict[str, list[K]] = defaultdict(list)
    for key in set(keys):
        groups[base(key)].append(key)
    taken = set(groups)
    ids: dict[K, str] = {}
    for plain in sorted(groups):
        members = groups[plain]
        if len(members) == 1:  # no collision: most keys, and no sort to pay for
            ids[members[0]] = plain
            continue
        members.sort()
        ids[members.pop(0)] = plain
        suffix = 2
        for key in members:
            while f"{plain}_{suffix}" in taken:
                suffix += 1
            ids[key] = f"{plain}_{suffix}"
            taken.add(ids[key])
    return ids


def node_ids(addresses: Iterable[str]) -> dict[str, str]:
    """Map each address to a unique DOT node id.

    The id is the Go service's, `n` + the address without `.` and `:`, kept as it is when it is a bare
    DOT id (`n1723116139`, `né1`, `n日本`), else written in double quotes (`"n-"`, `"nfe801%eth0"`, the
    keyword `"node"`): quotes change how the id is written, not which node it names. Characters that
    would break a quoted id or a line (whitespace, control characters, `"` and `\\`, never in an
    address) become `_`. On a collision (`1.11.1.1` and `11.1.1.1` both give `n11111`) the smallest
    address keeps the plain id and the others get `_2`, `_3`, … (see `unique_ids`).
    """
    plain = unique_ids(addresses, node_base)
    return {address: dot_id(text) for address, text in plain.items()}


def node_base(address: str) -> str:
    """The Go service's node id for `address` before collisions and quoting: `n` + the address without
    `.` and `:`, with characters that would break a quoted id or a line made `_`."""
    return _UNSAFE.sub("_", "n" + address.replace(".", "").replace(":", ""))


def dot_id(text: str) -> str:
    """`text` as a DOT id: bare when DOT reads it as one, else quoted (it holds no `"` or `\\`)."""
    if _BARE_ID.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    return f'"{text}"'


def edge_statement(edge: Edge, src_id: str, dst_id: str) -> str:
    """The Go service's edge statement: govpc_* attributes, `color`, and the label last (diffd appends to it)."""
    values: tuple[str, ...] = (edge.account, edge.eni, edge.srcport, edge.dstport, edge.protocol)
    values += (edge.packets, edge.bytes, edge.start, edge.end)
    if _UNSAFE.search("".join(values)) is not None:  # one search for the common, clean line
        values = tuple(dot_value(value) for value in values)
    account, eni, srcport, dstport, protocol, packets, nbytes, start, end = values
    color = "red" if edge.rejected else "green"
    return (
        f'{src_id} -> {dst_id} [govpc_accountID="{account}" govpc_eniID="{eni}" govpc_srcPort="{srcport}"'
        f' govpc_dstPort="{dstport}" govpc_protocol="{protocol}" govpc_packets="{packets}"'
        f' govpc_bytes="{nbytes}" govpc_start="{start}" govpc_end="{end}" color={color}'
        f' label="accountID={account}\\neniID={eni}\\nsrcPort={srcport}\\ndstPort={dstport}'
        f'\\nprotocol={protocol}\\npackets={packets}\\nbytes={nbytes}\\nstart={start}\\nend={end}"]'
    )


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace"))


def dot_write(edges: Callable[[], Iterable[Edge]], out: TextIO) -> DotFigures:
    """Stream the DOT for `edges` to `out` and return what was written.

    `edges` is called twice: the first pass only collects addresses (node ids must be known before the
    first edge is written, and collisions depend on every address), the second writes. Memory grows
    with the number of nodes, never with the number of edges.
    """
    addresses: set[str] = set()
    for edge in edges():
        addresses.add(edge.src)
        addresses.add(edge.dst)
    ids = node_ids(addresses)

    figures = DotFigures(nodes=len(ids))
    pending: list[str] = []  # statements are written a few hundred at a time: one write a line costs more

    def emit(text: str) -> None:
        pending.append(text)
        if len(pending) >= _STATEMENTS_A_WRITE:
            flush()

    def flush() -> None:
        text = "".join(pending)
        pending.clear()
        out.write(text)
        figures.bytes += _utf8_len(text)

    emit("digraph {\n")
    for edge in edges():
        try:
            src_id, dst_id = ids[edge.src], ids[edge.dst]
        except KeyError:
            raise ValueError(
                "dot_write: the second pass over the edges saw an address the first did not"
            ) from None
        emit(f"\t{edge_statement(edge, src_id, dst_id)}\n")
        figures.edges += 1
    for node_id, address in sorted((node_id, address) for address, node_id in ids.items()):
        emit(f'\t{node_id} [label="{dot_value(address)}"]\n')
    emit("}")
    flush()
    return figures


def dot_text(lines: Iterable[str]) -> str:
    """The whole DOT for `lines` as one string; for tests and small inputs only."""
    kept = list(edges_read(lines))
    buffer = io.StringIO()
    dot_write(lambda: kept, buffer)
    return buffer.getvalue()
