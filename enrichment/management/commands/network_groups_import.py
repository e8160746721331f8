"""`manage.py network_groups_import FILE`: create or update the operator's network groups by name."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from enrichment.errors import EnrichmentError
from enrichment.services import network_groups_import


class Command(BaseCommand):
    help = (
        'Import network groups from JSON [{"name": ..., "cidrs": [...], "description": ...}] or CSV '
        "name,cidr[,description] (one row per CIDR; rows with the same name form one group; an optional "
        "header row). Groups are created or updated by name (CIDRs replaced; the description kept when "
        "the file gives none); groups not in the file are kept. A bad row stores nothing: the error names "
        "its line."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = network_groups_import(options["file"])
        except EnrichmentError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(summary))
