"""`python manage.py sample_data`: writes the synthetic flow-log sample (see `digests.sample_data`)."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from digests.sample_data import sample_data_write

DEFAULT_DATE = date(2019, 1, 1)  # the README's example window 2019-01-01T00:00:00Z..01:00:00Z


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = (
        "Writes SYNTHETIC VPC Flow Logs of a small three-tier VPC in the AWS default S3 layout "
        "(gzip text, one file per 5 minutes). Running it again rewrites the same files."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--path", type=Path, help="folder to write into (default DATA_DIR/flowlogs)")
        parser.add_argument("--date", type=_day, default=DEFAULT_DATE, help="UTC day (default 2019-01-01)")
        parser.add_argument("--hours", type=int, default=24, help="hours from 00:00 UTC (default 24)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")

    def handle(self, *args: Any, **options: Any) -> None:
        root: Path = options["path"] or Path(settings.DATA_DIR) / "flowlogs"
        if options["hours"] < 1:
            raise CommandError("--hours must be at least 1")
        figures = sample_data_write(root, options["date"], hours=options["hours"], seed=options["seed"])
        self.stdout.write(
            f"Wrote {figures.files} synthetic flow-log files ({figures.records} records, "
            f"{figures.bytes} bytes) under {root}"
        )
