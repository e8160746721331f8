"""Flow-log objects as the sources list and fetch them, and the error that names one that cannot be read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FlowLogRef:
    """One flow-log object found by a source listing (an S3 object or a file in a folder)."""

    key: str  # S3 key, or path relative to the folder; named in every error about the object
    size: int  # stored (compressed) size in bytes
    timestamp: (
        datetime | None
    )  # UTC time from the AWS file name (`..._20180620T1620Z_...`); None for loose files


@dataclass(frozen=True)
class FlowLogObject:
    """A fetched flow-log object: the bytes exactly as stored (gzip text, plain text or Parquet)."""

    key: str
    data: bytes


class FlowLogReadError(Exception):
    """A flow-log object could not be listed, fetched or decoded (corrupt gzip, denied, vanished)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"cannot read flow-log object {key}: {reason}")
        self.key = key
        self.reason = reason


class DigestMergeError(Exception):
    """A piece of a window digested hour by hour is not a digest (a line without the 14 fields); names it."""
