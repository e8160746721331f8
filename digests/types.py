"""Value types shared by the flow-log sources, the digest engine and the job services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Reasons a flow-log line or row is skipped; the counts are stored on the Digest job.
SKIP_UNKNOWN_LAYOUT = "unknown_layout"  # no header/columns we can map (e.g. "Phony unsupported log format.")
SKIP_FIELD_COUNT = "field_count"  # token count differs from the layout in force
SKIP_BAD_NUMBER = "bad_number"  # a numeric field (port, packets, bytes, start, end, protocol) is not a number
SKIP_NO_DATA = "nodata_skipdata"  # log-status NODATA or SKIPDATA (or any status other than OK)
SKIP_OUTSIDE_WINDOW = "outside_window"  # record start not in [start, stop)
SKIP_REASONS = (
    SKIP_UNKNOWN_LAYOUT,
    SKIP_FIELD_COUNT,
    SKIP_BAD_NUMBER,
    SKIP_NO_DATA,
    SKIP_OUTSIDE_WINDOW,
)


@dataclass(frozen=True)
class FlowLogRef:
    """One flow-log object found by a source listing (an S3 object or a file in a folder)."""

    key: str  # S3 key, or path relative to the folder; named in every error about the object
    size: int  # stored (compressed) size in bytes
    timestamp: (
        datetime | None
    )  # UTC time from the AWS file name (`..._20180620T1620Z_...`), None for loose files


@dataclass(frozen=True)
class FlowLogObject:
    """A fetched flow-log object: the bytes exactly as stored (gzip text, plain text or Parquet)."""

    key: str
    data: bytes


@dataclass
class DigestFigures:
    """What a digest run read, kept and skipped."""

    files: int = 0
    bytes_read: int = 0  # stored bytes fetched
    records: int = 0  # data lines/rows seen, header lines excluded
    in_window: int = 0  # records that went into the digest
    groups: int = 0  # lines in the digest
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))


class FlowLogReadError(Exception):
    """A flow-log object could not be listed, fetched or decoded (corrupt gzip, denied, vanished)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"cannot read flow-log object {key}: {reason}")
        self.key = key
        self.reason = reason
