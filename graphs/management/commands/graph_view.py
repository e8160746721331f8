"""`manage.py graph_view`: the connection view or a top list of a built graph, from a shell."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from connections import selectors
from connections.filters import FILTER_PARAMETERS, FilterInvalid, filters_parse
from graphs.api.serializers import WindowInvalid, window_clean
from graphs.models import Graph
from graphs.selectors import graph_get
from graphs.services import ConnectionsMissing, graph_connections
from graphs.view_query import MAX_NODES_LIMIT, MAX_PORTS_LIMIT, TOP_LIMIT
from jobs.completeness import incomplete_reason
from jobs.models import JobStatus


def _count(limit: int) -> Callable[[str], int]:
    """An option's parser: a whole number from 1 to `limit`, as the API takes it (graphs.view_query)."""

    def parse(value: str) -> int:
        if not value.isdigit() or not 1 <= int(value) <= limit:
            raise ArgumentTypeError(f"{value!r} must be a whole number from 1 to {limit}")
        return int(value)

    return parse


class Command(BaseCommand):
    help = (
        "Print a built graph's connection view (nodes and edges, grouped) or, with --top, a top list. "
        "Filters are the API's: --port 443,8000-8080 --protocol tcp --action reject --address 10.0.0.0/16 "
        "--client/--server CIDR --account ID --eni ID --min-bytes N --internet in|out --search TEXT "
        "--path igw,1."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("graph", nargs="?", help="The graph id (or give --start and --stop).")
        parser.add_argument("--start", help="Window start, as graph_create takes it.")
        parser.add_argument("--stop", help="Window stop.")
        parser.add_argument("--group", choices=selectors.GROUPS, default="auto")
        parser.add_argument("--max-nodes", type=_count(MAX_NODES_LIMIT), default=selectors.MAX_NODES)
        parser.add_argument("--expand", action="append", default=[], help="A node id to open (repeatable).")
        parser.add_argument(
            "--max-ports",
            type=_count(MAX_PORTS_LIMIT),
            default=selectors.MAX_PORTS,
            help="Ports per node pair; more merge into -1.",
        )
        parser.add_argument("--top", choices=selectors.TOPS, help="Print this top list instead of the view.")
        parser.add_argument("--by", choices=selectors.RANKS, default="bytes")
        parser.add_argument("--limit", type=_count(TOP_LIMIT), default=20)
        parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
        for name in FILTER_PARAMETERS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=f"filter_{name}", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        graph = self._graph(options)
        # On stderr, so that the CSV or JSON on stdout stays clean.
        for note in [*(f"warning: {warning}" for warning in graph.warnings), incomplete_reason(graph)]:
            if note:
                self.stderr.write(note)
        try:
            filters = filters_parse({name: options[f"filter_{name}"] for name in FILTER_PARAMETERS})
            # A shell holds no web thread: it waits for a table being stored, and folds a missing one.
            table = graph_connections(graph, wait=True)
        except FilterInvalid as error:
            raise CommandError(str(error)) from error
        except ConnectionsMissing as error:
            raise CommandError(str(error)) from error
        if options["top"]:
            top = selectors.connection_top(table, filters, options["top"], options["by"], options["limit"])
            self._print(top, top["rows"], selectors.TOP_CSV_COLUMNS, options["format"])
            return
        expand = tuple(options["expand"])
        view = selectors.connection_view(
            table, filters, options["group"], options["max_nodes"], expand, options["max_ports"]
        )
        self._print(view, selectors.view_csv_rows(view), selectors.EDGE_CSV_COLUMNS, options["format"])
        if options["format"] == "table":
            totals = view["totals"]
            self.stderr.write(
                f"group {view['group']}: {len(view['nodes'])} nodes, {len(view['edges'])} edges"
                f"{' (truncated)' if view['truncated'] else ''}; {totals['connections']} connections"
            )

    def _graph(self, options: dict[str, Any]) -> Graph:
        if options["graph"]:
            try:
                graph = graph_get(UUID(options["graph"]))
            except ValueError as error:
                raise CommandError(f"{options['graph']!r} is not a graph id") from error
        else:
            if not (options["start"] and options["stop"]):
                raise CommandError("give a graph id, or --start and --stop")
            try:
                window = window_clean(options["start"], options["stop"])
            except WindowInvalid as error:
                raise CommandError(str(error)) from error
            graph = graph_get(UUID(window.job_id("graph")))
        if graph is None:
            raise CommandError("no such graph; request it with manage.py graph_create")
        if graph.status != JobStatus.DONE:
            stage = f" ({graph.stage})" if graph.stage else ""
            raise CommandError(f"graph {graph.id} is {graph.status}{stage}, not done")
        return graph

    def _print(
        self, whole: dict[str, Any], rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str
    ) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps(whole, indent=2))
        elif fmt == "csv":
            writer = csv.DictWriter(
                self.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(rows)
        else:
            widths = [max([len(column), *(len(str(row[column])) for row in rows)]) for column in columns]
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
            for row in rows:
                self.stdout.write(
                    "  ".join(str(row[c]).ljust(w) for c, w in zip(columns, widths, strict=True))
                )
