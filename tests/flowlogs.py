"""Small flow-log files for job tests, in the AWS S3 layout and name pattern."""

from __future__ import annotations

import gzip
from pathlib import Path

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
T0 = 1546300800  # 2019-01-01T00:00:00Z
RECORDS = [
    f"2 123456789012 eni-0a1 10.0.1.10 10.0.2.20 49152 443 6 10 5000 {T0 + 60} {T0 + 120} ACCEPT OK",
    f"2 123456789012 eni-0a1 10.0.2.20 10.0.1.10 443 49152 6 8 7000 {T0 + 60} {T0 + 120} ACCEPT OK",
    f"2 123456789012 eni-0a1 10.0.1.10 10.0.2.20 49153 443 6 5 1000 {T0 + 300} {T0 + 360} ACCEPT OK",
    f"2 123456789012 eni-0b2 198.51.100.7 10.0.1.10 51515 22 6 3 180 {T0 + 900} {T0 + 960} REJECT OK",
    f"2 123456789012 eni-0b2 - - - - - - - {T0 + 900} {T0 + 960} - NODATA",
    f"2 123456789012 eni-0a1 10.0.1.10 10.0.2.20 49154 443 6 1 100 {T0 + 3600} {T0 + 3660} ACCEPT OK",
]
# Three records in the window, as a plain (not gzip) text file would hold them.
FLOW_LOG_TEXT = "\n".join([HEADER, RECORDS[0], RECORDS[1], RECORDS[3], ""])
KEY_DIR = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2019/01/01"
FILE_NAME = "123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20190101T0005Z_a1b2c3d4.log.gz"


def flow_log_bytes(records: list[str] | None = None) -> bytes:
    return gzip.compress(("\n".join([HEADER, *(RECORDS if records is None else records)]) + "\n").encode())


def write_flow_log(root: Path, records: list[str] | None = None, name: str = FILE_NAME) -> Path:
    path = root / KEY_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(flow_log_bytes(records))
    return path
