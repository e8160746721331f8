"""`manage.py enrich_import FILE…`: store AWS describe-* output and ip-ranges.json for the lookups."""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter

from enrichment.errors import EnrichmentError
from enrichment.services import enrichment_import_file

EPILOG = """\
Scope: an import replaces the earlier imports of the same kind and scope.
  describe-* output: "<accounts>/<regions>": the accounts are --account, else the entries' owner
  ids (OwnerId); the regions are --region, else those of the entries' availability zones. When
  either is unknown (describe-vpcs output names no region: give --region), or the file is empty,
  the scope is the file's name: only a later file of the same name replaces it.
  ip-ranges.json: "global": a new one replaces the previous, whatever its name.

examples:
  aws ec2 describe-network-interfaces > enis.json
  aws ec2 describe-vpcs --region us-east-1 > vpcs.json
  curl -sO https://ip-ranges.amazonaws.com/ip-ranges.json
  manage.py enrich_import enis.json ip-ranges.json
  manage.py enrich_import --region us-east-1 vpcs.json

Each file is one transaction: a file that is not JSON, is none of the kinds, or has a malformed entry
stores nothing; the others are still imported, and the command then fails naming every bad file.
"""


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Django's option order, with the epilog kept as written."""


class Command(BaseCommand):
    help = (
        "Import the JSON printed by aws ec2 describe-network-interfaces, describe-instances,\n"
        "describe-subnets or describe-vpcs, or AWS's ip-ranges.json. Each file's kind is\n"
        "recognised by its content. One summary line per file."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(
            prog_name, subcommand, formatter_class=_HelpFormatter, epilog=EPILOG, **kwargs
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--region", default="", help="The region the files were listed in (scopes describe-vpcs output)."
        )
        parser.add_argument(
            "--account",
            default="",
            help="The account the files were listed in; scopes the imports instead of the entries' owners.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failures = []
        for path in options["files"]:
            try:
                summary = enrichment_import_file(path, account=options["account"], region=options["region"])
            except EnrichmentError as error:
                failures.append(str(error))
                self.stderr.write(str(error))
            else:
                self.stdout.write(str(summary))
        if failures:
            count = len(options["files"])
            raise CommandError(f"{len(failures)} of {count} files not imported: " + "; ".join(failures))
