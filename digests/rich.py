"""Flow-log records richer than the Go-compatible digest can hold, kept for the connection views.

Versions 3 to 5 of the flow-log format can carry `pkt-srcaddr`/`pkt-dstaddr` (the addresses before a NAT
gateway translated them), `vpc-id`, `subnet-id`, `instance-id`, `flow-direction` and `traffic-path`. The
digest keeps none of them, so a digest job copies the objects whose layout names any of them (by the
header line, or the Parquet columns) into a folder while the engine reads them, and the connection fold
(`digests.connections`) reads those records again with DuckDB. Windows without such fields pay nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from isal import isal_zlib

from digests.engine.objects import FlowLogObject

RICH_FIELDS = frozenset(
    {"pkt-srcaddr", "pkt-dstaddr", "vpc-id", "subnet-id", "instance-id", "flow-direction", "traffic-path"}
)
_GZIP_MAGIC, _PARQUET_MAGIC = b"\x1f\x8b", b"PAR1"
_PEEK = 64 * 1024  # a header line fits: AWS's longest layout is well under 1 KB


@dataclass
class RichCopies:
    """Where the rich objects of one digest were copied: gzip or plain text files, and Parquet files."""

    folder: Path
    text: list[Path] = field(default_factory=list)
    parquet: list[Path] = field(default_factory=list)

    def watch(self, objects: Iterable[FlowLogObject]) -> Iterator[FlowLogObject]:
        """Passes every object on, copying the rich ones."""
        for number, flow_log in enumerate(objects):
            kind = rich_kind(flow_log.data)
            if kind:
                path = self.folder / f"{number}{kind}"
                path.write_bytes(flow_log.data)
                (self.parquet if kind == ".parquet" else self.text).append(path)
            yield flow_log

    @property
    def found(self) -> bool:
        return bool(self.text or self.parquet)


def rich_kind(data: bytes) -> str:
    """The copy's file ending when the object's layout has a rich field (".log.gz", ".log", ".parquet"),
    else ""."""
    if data[:4] == _PARQUET_MAGIC:
        return ".parquet" if RICH_FIELDS & _parquet_names(data) else ""
    if data[:2] == _GZIP_MAGIC:
        try:
            head = isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS).decompress(data[:_PEEK], _PEEK)
        except (OSError, ValueError, EOFError, cast("type[Exception]", isal_zlib.error)):
            return ""  # the engine names the corrupt object; nothing to copy
        return ".log.gz" if _header_rich(head) else ""
    return ".log" if _header_rich(data[:_PEEK]) else ""


def _header_rich(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    tokens = first.decode("ascii", "replace").split()
    return bool(tokens) and not tokens[0][:1].isdigit() and bool(RICH_FIELDS & set(tokens))


def _parquet_names(data: bytes) -> set[str]:
    import pyarrow.parquet as pq  # the worker's stack; never loaded by the web tier

    try:
        names = pq.read_schema(io.BytesIO(data)).names
    except Exception:  # a corrupt file: the engine names it
        return set()
    return {name.replace("_", "-") for name in names}
