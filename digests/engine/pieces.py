"""The pieces a worker's decoding hands to its scan: whole lines of an object, or what else it found."""

from __future__ import annotations

from dataclasses import dataclass

from digests.engine.layouts import RecordLayout


@dataclass(frozen=True)
class Lines:
    """Whole lines data[begin:end] of one object, each ending in a newline.

    `layout` is set for lines made from Parquet rows: they are in that layout, with no header among them.
    """

    obj: int
    data: bytes
    begin: int
    end: int
    layout: RecordLayout | None = None


@dataclass(frozen=True)
class Unknown:
    """Records of a Parquet file with no column the digest knows."""

    obj: int
    records: int


@dataclass(frozen=True)
class Done:
    """The end of an object, with its stored size for the figures."""

    obj: int
    stored_bytes: int


Piece = Lines | Unknown | Done
