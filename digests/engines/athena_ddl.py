"""The Athena table over a flow-log bucket: its layout, detected from the bucket, and its DDL.

The table is partitioned by account, region and a date (`dt`) with partition projection, so Athena needs no
crawler and no `MSCK REPAIR`, and a digest query reads only the days (or hours) of its window. Its storage
template follows the delivery layout found in the bucket (default, hourly, Hive, Hive + hourly, with the
key prefix and an organisation segment if any). Text objects are one column `line` (the default `\\001`
field delimiter never splits a flow-log line), so the digest SQL itself reads the header lines, as the
built-in engine does; Parquet objects keep their own columns, named and typed from one object's schema.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from digests.engine.objects import FlowLogRef
from digests.sources.delivery import (
    DeliveryLayout,
    account_segment,
    region_segment,
    service_segment,
)
from digests.sources.s3 import RegionPrefix, S3Source

PARTITION_FORMATS = {
    DeliveryLayout.DEFAULT: ("yyyy/MM/dd", "DAYS", "%Y/%m/%d"),
    DeliveryLayout.HOURLY: ("yyyy/MM/dd/HH", "HOURS", "%Y/%m/%d/%H"),
    DeliveryLayout.HIVE: ("'year='yyyy'/month='MM'/day='dd", "DAYS", "year=%Y/month=%m/day=%d"),
    DeliveryLayout.HIVE_HOURLY: (
        "'year='yyyy'/month='MM'/day='dd'/hour='HH",
        "HOURS",
        "year=%Y/month=%m/day=%d/hour=%H",
    ),
}
FIRST_DAY = "2015/06/01"  # VPC Flow Logs were launched in June 2015
# Arrow types → the Hive types Athena reads them as; a column of another type is left out of the table.
_HIVE_TYPES = {
    "int8": "tinyint",
    "int16": "smallint",
    "int32": "int",
    "int64": "bigint",
    "uint8": "smallint",
    "uint16": "int",
    "uint32": "bigint",
    "float": "float",
    "double": "double",
    "bool": "boolean",
    "string": "string",
    "large_string": "string",
}


class LayoutNotFound(Exception):
    """The bucket holds no flow-log object under the configured prefix, accounts and regions."""


@dataclass(frozen=True)
class TableLayout:
    """Where the flow logs are and how: what the DDL and the digest query's partition filter need."""

    bucket: str
    template: str  # the storage location template, `${account_id}`, `${region}` and `${dt}` in it
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    delivery: DeliveryLayout
    columns: tuple[tuple[str, str], ...] = ()  # Parquet: (name, Hive type); empty for text

    @property
    def parquet(self) -> bool:
        return bool(self.columns)

    def partitions(self, start: datetime, stop: datetime) -> tuple[str, str]:
        """The first and last `dt` values whose objects may hold records of [start, stop) (with slack)."""
        _, _, strftime = PARTITION_FORMATS[self.delivery]
        slack = timedelta(minutes=20)  # digests/sources/delivery.py: SLACK_BEFORE/SLACK_AFTER at most
        return (start - slack).strftime(strftime), (stop + slack).strftime(strftime)


def layout_detect(source: S3Source) -> TableLayout:
    """The layout of the flow logs in the source's bucket: accounts, regions, delivery and format."""
    prefixes = source.region_prefixes()
    if not prefixes:
        raise LayoutNotFound(f"no AWSLogs account/region prefix found in s3://{source.bucket}")
    first = prefixes[0]
    key, size = _first_object(source, first)
    delivery = _delivery(first, key)
    columns = parquet_columns(source.read(FlowLogRef(key, size, None))) if ".parquet" in key else ()
    return TableLayout(
        bucket=source.bucket,
        template=_template(first),
        accounts=tuple(sorted({p.account for p in prefixes})),
        regions=tuple(sorted({p.region for p in prefixes})),
        delivery=delivery,
        columns=columns,
    )


def _first_object(source: S3Source, where: RegionPrefix) -> tuple[str, int]:
    page = source.client.list_objects_v2(Bucket=source.bucket, Prefix=where.prefix, MaxKeys=50)
    for item in page.get("Contents", []):
        key = item.get("Key", "")
        if key.endswith((".log.gz", ".log", ".parquet", ".gz")):
            return key, int(item.get("Size", 0))
    raise LayoutNotFound(f"no flow-log object under s3://{source.bucket}/{where.prefix}")


def _delivery(where: RegionPrefix, key: str) -> DeliveryLayout:
    folders = key[len(where.prefix) :].split("/")[:-1]  # yyyy/mm/dd[/HH], or year=/month=/day=[/hour=]
    hourly = len(folders) >= 4
    if where.hive:
        return DeliveryLayout.HIVE_HOURLY if hourly else DeliveryLayout.HIVE
    return DeliveryLayout.HOURLY if hourly else DeliveryLayout.DEFAULT


def _template(where: RegionPrefix) -> str:
    tail = account_segment(where.account, where.hive) + service_segment(where.hive)
    tail += region_segment(where.region, where.hive)
    root = where.prefix[: len(where.prefix) - len(tail)]
    spelled = account_segment("${account_id}", where.hive) + service_segment(where.hive)
    return root + spelled + region_segment("${region}", where.hive) + "${dt}/"


def parquet_columns(data: bytes) -> tuple[tuple[str, str], ...]:
    import pyarrow.parquet as pq  # the worker's stack

    schema = pq.read_schema(io.BytesIO(data))
    return tuple(
        (field.name, _HIVE_TYPES[str(field.type)])
        for field in schema
        # a column Athena could not name is not one the digest reads
        if field.name.isidentifier() and str(field.type) in _HIVE_TYPES
    )


def athena_ddl(layout: TableLayout, database: str, table: str) -> str:
    """CREATE EXTERNAL TABLE with partition projection for `layout`."""
    pattern, unit, _ = PARTITION_FORMATS[layout.delivery]
    first = datetime.strptime(FIRST_DAY, "%Y/%m/%d").strftime(PARTITION_FORMATS[layout.delivery][2])
    if layout.parquet:
        columns = ",\n".join(f"  `{name}` {kind}" for name, kind in layout.columns)
        storage = "STORED AS PARQUET"
    else:
        columns = "  `line` string"
        storage = "ROW FORMAT DELIMITED LINES TERMINATED BY '\\n'\nSTORED AS TEXTFILE"
    properties = {
        "projection.enabled": "true",
        "projection.account_id.type": "enum",
        "projection.account_id.values": ",".join(layout.accounts),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(layout.regions),
        "projection.dt.type": "date",
        "projection.dt.format": pattern,
        "projection.dt.range": f"{first},NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": unit,
        "storage.location.template": f"s3://{layout.bucket}/{layout.template}",
    }
    listed = ",\n".join(f"  '{key}' = '{_quoted(value)}'" for key, value in properties.items())
    fixed = layout.template.split("${", 1)[0]  # `…/AWSLogs/`, or `…/AWSLogs/aws-account-id=` for Hive
    root = fixed[: fixed.rfind("/") + 1]
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (\n{columns}\n)\n"
        "PARTITIONED BY (`account_id` string, `region` string, `dt` string)\n"
        f"{storage}\nLOCATION 's3://{layout.bucket}/{root}'\nTBLPROPERTIES (\n{listed}\n)"
    )


def _quoted(value: str) -> str:
    """A Hive DDL string literal's content: backslash escapes (the Hive date patterns quote their text)."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def athena_ddl_for_bucket(bucket: str, prefix: str, database: str, table: str) -> str:
    """The DDL of the Athena table over the flow logs in `bucket` (under `prefix`), from the configured
    accounts, regions and credentials; raises LayoutNotFound or FlowLogReadError."""
    from ops.config import config_get

    config = config_get()
    source = S3Source(
        bucket,
        region=config.flow_logs_region or None,
        role_arn=config.flow_logs_role or None,
        prefix=prefix,
        accounts=config.scan_accounts,
        regions=config.scan_regions,
    )
    return athena_ddl(layout_detect(source), database, table)
