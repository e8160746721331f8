"""The digest engine port: the window's flow-log objects in, the Go-compatible digest text out.

Every engine writes the same bytes for the same window (digests/engine/digest.py has the rules) and keeps
the objects with rich fields for the connection views (digests.rich), so the views read the same columns.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogObject, FlowLogRef
from digests.rich import RichCopies
from digests.sources.base import FlowLogSource
from digests.sources.prefetch import fetch_objects
from ops.config import config_get


@dataclass
class EngineRun:
    """What a digest run read and kept, and what the engine adds (e.g. Athena's query id and cost)."""

    figures: DigestFigures
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineInput:
    """The window's objects as the source listed them, and the window [start, stop) in Unix seconds."""

    source: FlowLogSource
    refs: list[FlowLogRef]
    start: int
    stop: int
    # Sees each fetched object on its way to the engine (the digest job counts them for its stage).
    watch: Callable[[Iterable[FlowLogObject]], Iterable[FlowLogObject]] = iter


class DigestEngine(Protocol):
    name: str

    def digest(self, given: EngineInput, out: BinaryIO, rich: RichCopies) -> EngineRun:
        """Writes the sorted digest lines (uncompressed) into `out`; copies rich objects into `rich`.
        Raises FlowLogReadError for an object that cannot be read."""
        ...


def objects_fetched(given: EngineInput) -> Generator[FlowLogObject, None, None]:
    """The window's objects, fetched ahead by the source (VPC_MAX_CONCURRENT_PREFETCH, VPC_MAX_BYTES_PREFETCH);
    close it (contextlib.closing) to cancel the queued downloads when the digest fails half-way."""
    config = config_get()
    fetched = fetch_objects(
        given.source, given.refs, config.max_concurrent_prefetch, config.max_bytes_prefetch
    )
    try:
        yield from given.watch(fetched)
    finally:
        fetched.close()
