"""What a digest run read, kept and skipped, and the reasons a record is skipped."""

from __future__ import annotations

from dataclasses import dataclass, field

# Reasons a flow-log line or row is skipped; the counts are stored on the Digest job.
SKIP_UNKNOWN_LAYOUT = "unknown_layout"  # no header/columns we can map (e.g. "Phony unsupported log format.")
SKIP_FIELD_COUNT = "field_count"  # token count differs from the layout in force
SKIP_BAD_NUMBER = "bad_number"  # a numeric field (port, packets, bytes, start, end, protocol) is not a number
SKIP_NO_DATA = "nodata_skipdata"  # log-status NODATA or SKIPDATA, in any case
# log-status `-` or any value but OK, NODATA and SKIPDATA; or, in a layout without log-status, a record with
# no port, protocol, packets or bytes value (what a NODATA or SKIPDATA record would be)
SKIP_UNKNOWN_STATUS = "unknown_status"
SKIP_OUTSIDE_WINDOW = "outside_window"  # record start not in [start, stop)
SKIP_REASONS = (
    SKIP_UNKNOWN_LAYOUT,
    SKIP_FIELD_COUNT,
    SKIP_BAD_NUMBER,
    SKIP_NO_DATA,
    SKIP_UNKNOWN_STATUS,
    SKIP_OUTSIDE_WINDOW,
)


@dataclass
class DigestFigures:
    """What a digest run read, kept and skipped."""

    files: int = 0
    bytes_read: int = 0  # stored bytes fetched
    records: int = 0  # data lines/rows seen, header lines excluded
    in_window: int = 0  # records that went into the digest
    groups: int = 0  # lines in the digest
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))
    # Groups the workers' tables held when the scan ended: a group held by two workers counts twice
    # (digests/engine/shards.py). How a run went, not what it found, so runs that differ only here are equal.
    held: int = field(default=0, compare=False)
    held_bytes: int = field(default=0, compare=False)  # the memory of those tables, keys and key text
