"""`manage.py prune --older-than 30d [--dry-run]`: remove old finished graphs and digests."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from graphs.prune import old_jobs_prune
from ops.ages import AgeInvalid, age_parse


class Command(BaseCommand):
    help = (
        "Remove graphs and digests finished longer ago than --older-than: their rows, DOT, SVG, digests, "
        "connection tables and markers. Jobs queued or running are never removed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--older-than", required=True, metavar="AGE", help="An age such as 30d, 12h or 1d12h."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; remove nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            age = age_parse(options["older_than"])
        except AgeInvalid as error:
            raise CommandError(f"--older-than: {error}") from error
        self.stdout.write(old_jobs_prune(age, dry_run=options["dry_run"]).text(dry_run=options["dry_run"]))
