"""`manage.py graph_create`: request the graph of a window from the shell, optionally build it here."""

from __future__ import annotations

import time
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter

from graphs.api.serializers import WindowInvalid, window_clean
from graphs.artifact_output import artifact_output
from graphs.models import Graph
from graphs.selectors import graph_get
from graphs.services import (
    DOT_SUFFIX,
    SVG_SUFFIX,
    graph_busy,
    graph_finishing,
    graph_request,
    graph_rerun,
    graph_run,
)
from jobs.completeness import incomplete_reason
from jobs.errors import ArtifactExists, JobFailed, JobInProgress
from jobs.models import JobStatus
from jobs.ports import DependencyFailure
from jobs.progress import progress_listening
from jobs.window import Window
from ops.health import worker_seen
from ops.heartbeat import worker_settings_differences

EPILOG = """\
examples:
  Queue the graph of the first hour of 2019 for the worker, print its id:
    manage.py graph_create --start 2019-01-01T00:00:00Z --stop 2019-01-01T01:00:00Z

  Queue the last hour:
    manage.py graph_create --start=-1h --stop=now    (with '=': argparse takes -1h for an option)

  Wait for it (the running worker builds it, or this process when no worker runs) and save the DOT:
    manage.py graph_create --start 2019-01-01T00:00:00Z --stop 2019-01-01T01:00:00Z \\
        --wait --output graph.dot

  Build it in this process even though a worker runs, reading the flow logs again if it exists:
    manage.py graph_create --start 2019-01-01T00:00:00Z --stop 2019-01-01T01:00:00Z --here --rerun

  Print the SVG preview of a graph built earlier:
    manage.py graph_create --start 2019-01-01T00:00:00Z --stop 2019-01-01T01:00:00Z \\
        --output - --format svg

The id goes to stdout (to stderr with --output -); progress, stages and the graph's warnings go to
stderr, and so does a note when this shell's settings (flow-log source, database, storage) differ from
the running worker's. The exit status is 0 when the graph is queued, done or already built, and 1 when
the window is invalid or the graph failed.
"""


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Django's option order, with the examples kept as written."""


class Command(BaseCommand):
    help = (
        "Request the connection graph of the time window [start, stop): queue it for the\n"
        "worker, or with --wait build it (or wait for the worker building it) until it is\n"
        "done. Times are RFC 3339 or a common form (UTC unless a zone is given, a date,\n"
        "epoch seconds, now, -1h) and are truncated to the minute."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(
            prog_name, subcommand, formatter_class=_HelpFormatter, epilog=EPILOG, **kwargs
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--start",
            required=True,
            help="Window start (inclusive), UTC unless a zone is given: 2019-01-01T00:00:00Z, "
            "'2019-01-01 00:00', 2019-01-01, epoch seconds, now, or an age before now written "
            "with '=': --start=-1h (also -30m, -2d).",
        )
        parser.add_argument(
            "--stop", required=True, help="Window stop (exclusive), in the same forms as --start."
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Wait until the graph is built: by the running worker when one is alive (its heartbeat), "
            "else in this process; show its stages on stderr; fail with the job's error.",
        )
        parser.add_argument(
            "--here",
            action="store_true",
            help="Build the graph in this process (implies --wait), even when a worker is running.",
        )
        parser.add_argument(
            "--rerun",
            action="store_true",
            help="Build the graph again when it exists, reading the flow logs again.",
        )
        parser.add_argument(
            "--reuse-digest",
            action="store_true",
            help="With --rerun, reuse the stored digest of the window when it is complete.",
        )
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="Write the graph to FILE ('-' for stdout). Needs a built graph: use with --wait unless "
            "it already exists.",
        )
        parser.add_argument(
            "--format",
            choices=("dot", "svg"),
            default="dot",
            help="What --output writes: the DOT graph (default) or the SVG preview.",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="With --wait, how often to look at a job a worker is building (default: 1).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="With --wait, stop waiting for a worker after this long (default: 0, no limit); a build "
            "running in this process is not interrupted.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.started = time.monotonic()
        window = _window(options["start"], options["stop"])
        to_stdout = options["output"] == "-"
        worker_alive = self._worker_report()
        graph_id, built = self._request(window, options["rerun"], options["reuse_digest"])
        (self.stderr if to_stdout else self.stdout).write(graph_id)
        here = options["here"] or (options["wait"] and not worker_alive)
        # Done once its DOT is stored, a graph may still have its worker on the table and the SVG.
        if (not built or _finishing(graph_id)) and (here or options["wait"]):
            self._wait(graph_id, window, options["poll"], options["timeout"], here=here)
        elif not built and not worker_alive:
            self._progress("no worker is running: the graph waits in the queue (add --here to build it now)")
        self._trust_report(graph_id)
        if options["output"]:
            suffix = SVG_SUFFIX if options["format"] == "svg" else DOT_SUFFIX
            artifact_output(graph_id, options["output"], suffix, self.stdout, self._progress)

    def _worker_report(self) -> bool:
        """Whether a worker is alive; says so when it is not, and when its settings differ from ours."""
        verdict = worker_seen()
        if verdict != "ok":
            self._progress(f"worker: {verdict}")
            return False
        for difference in worker_settings_differences():
            self._progress(f"warning: this shell's settings differ from the worker's: {difference}")
        return True

    def _request(self, window: Window, rerun: bool, reuse_digest: bool) -> tuple[str, bool]:
        """The graph's id, and whether it is already built."""
        try:
            job = graph_request(window)
        except ArtifactExists as exists:
            if rerun:
                return self._rerun(exists.job_id, reuse_digest), False
            self._progress(f"already built: {exists}")
            return exists.job_id, True
        except JobInProgress as busy:
            self._progress(f"already requested: {busy}")
            return busy.job_id, False
        except DependencyFailure as error:
            raise CommandError(f"could not queue the graph: {error}") from error
        self._progress("queued")
        return str(job.id), False

    def _rerun(self, graph_id: str, reuse_digest: bool) -> str:
        graph = graph_get(graph_id)
        if graph is None:
            raise CommandError(f"graph {graph_id} was built by another grapherd (no job row here)")
        try:
            graph_rerun(graph, reuse_digest=reuse_digest)
        except DependencyFailure as error:
            raise CommandError(f"could not queue the graph: {error}") from error
        reading = "reusing its digest" if reuse_digest else "reading the flow logs again"
        self._progress(f"queued again, {reading}")
        return graph_id

    def _wait(self, graph_id: str, window: Window, poll: float, timeout: float, *, here: bool) -> None:
        deadline = time.monotonic() + timeout if timeout > 0 else None
        shown = ""
        while True:
            graph = graph_get(graph_id)
            if graph is None:
                raise CommandError(f"graph {graph_id} is being built by another grapherd (no job row here)")
            if _claimable(graph, here):
                self._progress(f"running here (attempt {graph.attempts + 1})")
                with progress_listening(lambda stage: self._progress(f"  {stage}")):
                    graph = self._run(graph_id, window) or graph
            stage = _stage(graph)
            if stage != shown:
                self._progress(stage)
                shown = stage
            if graph.status == JobStatus.DONE and not graph_finishing(graph):
                return
            if graph.status == JobStatus.FAILED:
                raise CommandError(f"graph {graph_id} failed: {graph.error}")
            if deadline is not None and time.monotonic() > deadline:
                raise CommandError(f"gave up after {timeout:g} s: graph {graph_id} is still {graph.status}")
            time.sleep(poll)

    def _run(self, graph_id: str, window: Window) -> Graph | None:
        # The claim inside graph_run makes this safe against a worker taking the same job; fail fast
        # rather than re-queue, since someone is watching.
        try:
            built = graph_run(graph_id, window, requeue_on_failure=False)
        except JobFailed as error:
            raise CommandError(str(error)) from error
        except DependencyFailure as error:
            raise CommandError(f"graph {graph_id}: {error}") from error
        graph = graph_get(graph_id)
        if built is None and graph is not None and graph.status == JobStatus.QUEUED:
            # Not claimable although queued: its attempts are used up (the limit was lowered).
            raise CommandError(f"graph {graph_id} is queued but has no attempts left; re-run it")
        return graph

    def _trust_report(self, graph_id: str) -> None:
        """The warnings of a built graph, and why it is incomplete."""
        graph = graph_get(graph_id)
        if graph is None or graph.status != JobStatus.DONE:
            return
        for warning in graph.warnings:
            self._progress(f"warning: {warning}")
        if reason := incomplete_reason(graph):
            self._progress(reason)

    def _progress(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stderr.write(f"[{elapsed:5.1f} s] {message}", style_func=lambda text: text)


def _window(start: str, stop: str) -> Window:
    """The API's validation and messages, naming the option (`--start "x" is not a time; …`)."""
    try:
        return window_clean(start, stop)
    except WindowInvalid as invalid:
        messages = [
            message.replace(field, f"--{field}", 1) if field else message
            for field, message in invalid.errors.items()
        ]
        raise CommandError("; ".join(messages)) from invalid


def _claimable(graph: Graph, here: bool) -> bool:
    """Queued and not yet claimed by a worker (when building here), or running on a worker that has gone
    silent for longer than a task may run (graph_run's claim then takes it over)."""
    if graph.status == JobStatus.QUEUED:
        return here
    return graph.status == JobStatus.RUNNING and not graph_busy(graph)


def _finishing(graph_id: str) -> bool:
    graph = graph_get(graph_id)
    return graph is not None and graph_finishing(graph)


def _stage(graph: Graph) -> str:
    if graph_finishing(graph):
        return f"DOT stored, the worker goes on: {graph.stage or 'connections and SVG preview'}"
    if graph.status == JobStatus.DONE:
        svg = f"SVG {graph.svg_bytes} bytes" if not graph.svg_error else f"no SVG: {graph.svg_error}"
        return (
            f"done: {graph.records} records, {graph.edges} edges, {graph.nodes} nodes, "
            f"DOT {graph.dot_bytes} bytes, {svg}"
        )
    if graph.status == JobStatus.RUNNING:
        stage = f": {graph.stage}" if graph.stage else ""
        return f"running on a worker (attempt {graph.attempts}){stage}"
    if graph.status == JobStatus.QUEUED and graph.error:
        return f"queued again after: {graph.error}"
    return str(graph.status)
