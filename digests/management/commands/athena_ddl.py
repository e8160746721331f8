"""`manage.py athena_ddl`: print the Athena table DDL for a flow-log bucket, for an operator to review and run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digests.engine.objects import FlowLogReadError
from digests.engines.athena_ddl import LayoutNotFound, athena_ddl_for_bucket
from ops.config import config_get


class Command(BaseCommand):
    help = (
        "Print CREATE EXTERNAL TABLE (partition projection by account, region and day or hour) for the\n"
        "flow logs in a bucket, as GRAPHERD_DIGEST_ENGINE=athena queries them. The layout (default,\n"
        "hourly, Hive; text or Parquet) is detected from the bucket's keys and one object."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        config = config_get()
        parser.add_argument("--bucket", default=config.flow_logs_bucket, help="default: VPC_FLOW_LOGS_BUCKET")
        parser.add_argument("--prefix", default=config.flow_logs_prefix, help="default: VPC_FLOW_LOGS_PREFIX")
        parser.add_argument(
            "--database", default=config.athena_database, help="default: GRAPHERD_ATHENA_DATABASE"
        )
        parser.add_argument("--table", default=config.athena_table, help="default: GRAPHERD_ATHENA_TABLE")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["bucket"]:
            raise CommandError("name the bucket: --bucket, or VPC_FLOW_LOGS_BUCKET")
        try:
            ddl = athena_ddl_for_bucket(
                options["bucket"], options["prefix"], options["database"], options["table"]
            )
        except (LayoutNotFound, FlowLogReadError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(ddl + ";")
