"""One pass of the digest engine over a window's objects into a gzip file: a whole window, or an edge of a
window that is digested hour by hour (digests.partials)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from digests.connections import RichInput
from digests.engine.figures import DigestFigures
from digests.engine.gzip_blocks import GzipBlocks
from digests.engine.objects import FlowLogObject, FlowLogRef
from digests.rich import RichCopies
from digests.sources.base import FlowLogSource
from jobs.progress import JobProgress, megabytes

if TYPE_CHECKING:  # the engines' stacks load in the worker only, when a digest is built
    from digests.engines.base import DigestEngine

HOUR = 3600
STORED_LEVEL = 2  # ISA-L's level: its levels 0 to 2 take the same time, 2 stores the least


@dataclass
class PieceDigest:
    """A digest written to `path` (gzip), what its run read and kept, and where its rich records are."""

    path: Path
    figures: DigestFigures
    extra: dict[str, Any] = field(default_factory=dict)  # what the engine adds (Athena's query id, cost)
    rich: RichInput = field(default_factory=RichInput)


def piece_digest(
    engine: DigestEngine,
    source: FlowLogSource,
    refs: list[FlowLogRef],
    window: tuple[int, int],
    path: Path,
    progress: JobProgress,
) -> PieceDigest:
    """Digests the objects `refs` for the window [start, stop) (Unix seconds) into `path`. The objects with
    rich fields are copied beside it (`<path>.rich/`) for the connection fold."""
    from digests.engines.base import EngineInput

    copies = RichCopies(path.with_name(f"{path.name}.rich"))
    copies.folder.mkdir()
    counted = functools.partial(files_counted, refs=refs, progress=progress)
    # ISA-L's gzip writes the same format several times faster than zlib at a similar ratio; the built-in
    # engine's finisher threads compress the blocks (digests/engine/gzip_blocks.py).
    with path.open("wb") as stored, GzipBlocks(stored, STORED_LEVEL) as text:
        given = EngineInput(source, refs, window[0], window[1], watch=counted)
        run = engine.digest(given, cast(BinaryIO, text), copies)
    return PieceDigest(path, run.figures, run.extra, RichInput(copies=copies, window=window))


def whole_hour(window: tuple[int, int]) -> bool:
    """Whether the window is one UTC hour, [H, H+1h): the piece that windows digested hour by hour reuse."""
    return window[0] % HOUR == 0 and window[1] - window[0] == HOUR


def files_counted(
    objects: Iterable[FlowLogObject], refs: list[FlowLogRef], progress: JobProgress
) -> Iterator[FlowLogObject]:
    """Passes the objects on to the engine, reporting "reading files n/m" as it takes each one."""
    total = sum(ref.size for ref in refs)
    read = 0
    for number, flow_log in enumerate(objects, start=1):
        read += len(flow_log.data)
        text = f"reading files {number}/{len(refs)}, {megabytes(read)} of {megabytes(total)}"
        progress.stage(text, new=number == 1)  # the first file at once, then at most twice a second
        yield flow_log
    progress.stage(f"digesting the records of {len(refs)} files")
