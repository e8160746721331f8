"""Where VPC Flow Logs live in S3 and what their files are called (docs/flow-log-formats.md §4).

Four layouts, each under an optional key prefix and an optional organisation segment (`o-xxxx/`,
as community tools write it):

    default:       [prefix/]AWSLogs/[o-x/]{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/
    hourly:        ... /{yyyy}/{mm}/{dd}/{HH}/
    Hive:          [prefix/]AWSLogs/[o-x/]aws-account-id={account}/aws-service=vpcflowlogs/
                   aws-region={region}/year={yyyy}/month={mm}/day={dd}/
    Hive + hourly: ... /day={dd}/hour={HH}/

File names: `{account}_vpcflowlogs_{region}_{flow_log_id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz` (or `.log.parquet`;
plain `.log` and `.parquet` are accepted too).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

AWS_LOGS = "AWSLogs"
SERVICE = "vpcflowlogs"
ORG_MARK = "o-"
HIVE_ACCOUNT = "aws-account-id="
HIVE_SERVICE = "aws-service="
HIVE_REGION = "aws-region="

# Longest first, so `x.log.parquet` is not taken for `.parquet` with a stem ending in `.log`.
FLOW_LOG_SUFFIXES = (".log.parquet", ".log.gz", ".parquet", ".log")
TIMESTAMP_FORMAT = "%Y%m%dT%H%MZ"
_TIMESTAMP_SHAPE = re.compile(r"\d{8}T\d{4}Z")  # strptime alone accepts one-digit months and days

# A file named T holds records whose END is in [T, T+5 min) (AWS doc). A record that starts in the window
# [start, stop) ends at or after `start`, so it cannot sit in a file named before start - 5 min; we allow
# 15 min in case a producer groups files more coarsely than documented.
SLACK_BEFORE = timedelta(minutes=15)
# A record that starts before `stop` ends within one aggregation interval (10 min) plus the documented
# 60 s capture lag, so its file is named before stop + 11 min; 20 min leaves room for late publishing.
# The engine filters each record's own start exactly, so slack only costs a few extra files.
SLACK_AFTER = timedelta(minutes=20)


class DeliveryLayout(enum.Enum):
    """The S3 delivery layouts (DestinationOptions HiveCompatiblePartitions / PerHourPartition)."""

    DEFAULT = "default"
    HOURLY = "hourly"
    HIVE = "hive"
    HIVE_HOURLY = "hive-hourly"

    @property
    def hive(self) -> bool:
        return self in (DeliveryLayout.HIVE, DeliveryLayout.HIVE_HOURLY)

    @property
    def hourly(self) -> bool:
        return self in (DeliveryLayout.HOURLY, DeliveryLayout.HIVE_HOURLY)


@dataclass(frozen=True)
class FlowLogName:
    """The parts of an AWS flow-log file name."""

    account: str
    region: str
    flow_log_id: str
    timestamp: datetime  # aware, UTC
    hash: str
    suffix: str  # one of FLOW_LOG_SUFFIXES


def name_parse(basename: str) -> FlowLogName | None:
    """Parses an AWS flow-log file name; None (never an exception) when it is not one."""
    suffix = next((s for s in FLOW_LOG_SUFFIXES if basename.endswith(s)), None)
    if suffix is None:
        return None
    parts = basename[: -len(suffix)].split("_")
    if len(parts) != 6 or parts[1] != SERVICE or not all(parts):
        return None
    timestamp = timestamp_parse(parts[4])
    if timestamp is None:
        return None
    return FlowLogName(parts[0], parts[2], parts[3], timestamp, parts[5], suffix)


def timestamp_parse(text: str) -> datetime | None:
    """`20180620T1620Z` → 2018-06-20 16:20 UTC; None for anything else (e.g. `20181917T0030Z`)."""
    if not _TIMESTAMP_SHAPE.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def name_format(name: FlowLogName) -> str:
    stamp = name.timestamp.astimezone(UTC).strftime(TIMESTAMP_FORMAT)
    return f"{name.account}_{SERVICE}_{name.region}_{name.flow_log_id}_{stamp}_{name.hash}{name.suffix}"


def utc(moment: datetime) -> datetime:
    """The instant in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class FileWindow:
    """File-name timestamps worth reading for a record window: [first, last], both inclusive."""

    first: datetime
    last: datetime

    def contains(self, timestamp: datetime) -> bool:
        return self.first <= utc(timestamp) <= self.last

    def days(self) -> list[date]:
        count = (self.last.date() - self.first.date()).days + 1
        return [self.first.date() + timedelta(days=offset) for offset in range(count)]

    def hours(self, day: date) -> list[int]:
        """The hours of `day` whose files (named HH:00..HH:59) can fall in the window."""
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        return [
            hour
            for hour in range(24)
            if midnight + timedelta(hours=hour) <= self.last
            and midnight + timedelta(hours=hour + 1) > self.first
        ]


def file_window(start: datetime, stop: datetime) -> FileWindow | None:
    """The file window for records starting in [start, stop); None when the window is empty."""
    start, stop = utc(start), utc(stop)
    if stop <= start:
        return None
    return FileWindow(start - SLACK_BEFORE, stop + SLACK_AFTER)


def root_prefix(prefix: str) -> str:
    """`[prefix/]AWSLogs/`; a prefix that already ends in `AWSLogs` is not doubled."""
    prefix = prefix.strip("/")
    if not prefix:
        return f"{AWS_LOGS}/"
    if prefix == AWS_LOGS or prefix.endswith(f"/{AWS_LOGS}"):
        return f"{prefix}/"
    return f"{prefix}/{AWS_LOGS}/"


def account_segment(account: str, hive: bool) -> str:
    return f"{HIVE_ACCOUNT}{account}/" if hive else f"{account}/"


def service_segment(hive: bool) -> str:
    return f"{HIVE_SERVICE}{SERVICE}/" if hive else f"{SERVICE}/"


def region_segment(region: str, hive: bool) -> str:
    return f"{HIVE_REGION}{region}/" if hive else f"{region}/"


def day_segment(day: date, hive: bool) -> str:
    if hive:
        return f"year={day.year:04d}/month={day.month:02d}/day={day.day:02d}/"
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}/"


def hour_segment(hour: int, hive: bool) -> str:
    return f"hour={hour:02d}/" if hive else f"{hour:02d}/"


def account_parse(segment: str) -> tuple[str, bool] | None:
    """`123/` → ("123", False); `aws-account-id=123/` → ("123", True); an org segment or junk → None."""
    name = segment.strip("/")
    if name.startswith(HIVE_ACCOUNT):
        account = name[len(HIVE_ACCOUNT) :]
        return (account, True) if account else None
    if not name or name.startswith(ORG_MARK) or "=" in name:
        return None
    return name, False


def region_parse(segment: str, hive: bool) -> str | None:
    """`us-east-1/` (or `aws-region=us-east-1/` for Hive) → "us-east-1"; None when it is not that shape."""
    name = segment.strip("/")
    if hive:
        if not name.startswith(HIVE_REGION):
            return None
        name = name[len(HIVE_REGION) :]
    return name if name and "=" not in name else None


def is_org_segment(segment: str) -> bool:
    return segment.strip("/").startswith(ORG_MARK)


def region_prefix(prefix: str, account: str, region: str, hive: bool, org: str | None = None) -> str:
    """The key prefix holding one account's flow logs for one region, ending in `/`."""
    org_part = f"{org.strip('/')}/" if org else ""
    return (
        root_prefix(prefix)
        + org_part
        + account_segment(account, hive)
        + service_segment(hive)
        + region_segment(region, hive)
    )


def key_build(
    layout: DeliveryLayout,
    name: FlowLogName,
    *,
    prefix: str = "",
    org: str | None = None,
) -> str:
    """The full S3 key AWS would write for `name` in `layout` (used by the sample data and the tests)."""
    stamp = name.timestamp.astimezone(UTC)
    key = region_prefix(prefix, name.account, name.region, layout.hive, org)
    key += day_segment(stamp.date(), layout.hive)
    if layout.hourly:
        key += hour_segment(stamp.hour, layout.hive)
    return key + name_format(name)
