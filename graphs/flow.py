"""Graph jobs: digest a window, convert it to DOT (the Go service's format), render an SVG preview,
store both."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils import timezone

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX, RICH_SUFFIX, RichInput, connections_build
from digests.flow import DigestFlow
from digests.services import digest_finished
from graphs.digesters import digester
from graphs.dot import Edge, edges_read
from graphs.dot_fast import dot_write_file
from graphs.models import Graph
from graphs.svg import SvgRenderError, SvgTooLarge, svg_render
from graphs.trust import graph_trust
from jobs.flow import JobFlow
from jobs.models import Job
from jobs.progress import JobProgress, progress_into
from jobs.stage_pause import stage_reached
from jobs.window import Window
from jobs.window import job_window as window_of
from ops.config import config_get
from ops.tempfiles import temp_folder

DOT_SUFFIX = ".dot"
SVG_SUFFIX = ".svg"
SVG_NOT_DRAWN = "the worker stopped before the SVG preview was drawn"


class GraphFlow(JobFlow):
    namespace = "graph"
    model = Graph
    suffix = DOT_SUFFIX
    store_alias = "graphs"
    marker_alias = "graph-progress"
    task = "graphs.tasks.graph_run_task"

    def progress_timeout_ms(self) -> int:
        return config_get().graph_progress_timeout_ms

    def exists_message(self, job_id: str, window: Window) -> str:
        # The Go service printed the start time twice here; the stop time is what was meant.
        return f"graph for the time {window.start.rfc3339()} to {window.stop.rfc3339()} already exists"

    def rerun(self, job: Job, **values: Any) -> Job:
        """A re-run reads the flow logs again (its digest is rebuilt) unless `reuse_digest=True`."""
        return super().rerun(job, **{"reuse_digest": False, **values})

    def build(self, job: Job, window: Window) -> dict[str, Any]:
        progress = JobProgress(Graph, str(job.id))
        progress.stage("digesting" if not config_get().digester_endpoint else "waiting for the digester")
        built_at = timezone.now()
        reuse = getattr(job, "reuse_digest", True)
        with temp_folder() as folder:
            digest_path = folder / "digest.log"
            with digest_path.open("wb") as digest, progress_into(progress):
                digester().digest(window, digest, reuse=reuse)
            records = lines_count(digest_path)
            progress.stage("writing DOT")
            with tempfile.TemporaryFile() as dot:
                # The bulk writer: the bytes `dot_write` writes for these lines, several times faster.
                figures = dot_write_file(digest_path, dot)
                stage_reached("dot")
                self.store().save(str(job.id), DOT_SUFFIX, dot)
            graph = {
                **graph_trust(window, records, built_at),
                "stage": "",
                "reuse_digest": True,  # a request for reuse is for one build only
                "digest_id": window.job_id("digest") if not config_get().digester_endpoint else None,
                "records": records,
                "edges": figures.edges,
                "nodes": figures.nodes,
                "dot_bytes": figures.bytes,
            }
            # The DOT is the graph: stored, the graph is done (the Go routes serve it from here on). The
            # connection table and the preview follow; a worker lost meanwhile leaves a done graph whose
            # page says why it has no preview, and the connection views build their table when asked.
            self.artifact_stored(job, {**graph, "svg_error": SVG_NOT_DRAWN, "connections": 0})
            progress.stage("connections")
            stage_reached("connections")
            connections = self.connections_store(str(job.id), digest_path, folder)
            progress.stage("rendering the SVG preview")
            stage_reached("svg")
            svg = self._svg_build(str(job.id), digest_path, figures.nodes)
        return {**graph, "connections": connections, **svg}

    def connections_store(self, job_id: str, digest_path: Path, folder: Path) -> int:
        """The window's connection table and hosts, stored beside the DOT: the built-in digester's (made
        from the records, rich fields included), else folded from the digest text (digests.connections)."""
        copied = self._connections_of_digest(job_id, folder)
        if copied is not None:
            return copied
        paths = folder / "connections.parquet", folder / "hosts.parquet"
        figures = connections_build(digest_path, *paths, rich=self._stored_rich(job_id, folder))
        for path, suffix in zip(paths, (CONNECTIONS_SUFFIX, HOSTS_SUFFIX), strict=True):
            with path.open("rb") as content:
                self.store().save(job_id, suffix, content)
        return figures.connections

    def _stored_rich(self, job_id: str, folder: Path) -> RichInput:
        """The rich records an hour's digest kept (digests.partials), so the fold keeps its rich fields."""
        digest_id, store = self._digest_id(job_id), DigestFlow().store()
        if config_get().digester_endpoint or not store.exists(digest_id, RICH_SUFFIX):
            return RichInput()
        table = folder / "rich.parquet"
        with store.open(digest_id, RICH_SUFFIX) as content, table.open("wb") as copy:
            shutil.copyfileobj(content, copy, 1 << 20)
        return RichInput(stored=[table])

    def _connections_of_digest(self, job_id: str, folder: Path) -> int | None:
        if config_get().digester_endpoint:
            return None
        digest, store = digest_finished(self._digest_id(job_id)), DigestFlow().store()
        # No finished row, no count (a worker killed between the table and the row's end, or a digest
        # built before connection tables) or a file missing: fold the digest's text here instead.
        if digest is None or digest.connections <= 0:
            return None
        if not all(store.exists(str(digest.id), suffix) for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)):
            return None
        for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX):
            with store.open(str(digest.id), suffix) as content:
                self.store().save(job_id, suffix, content)
        return digest.connections

    def _svg_build(self, job_id: str, digest_path: Path, nodes: int) -> dict[str, Any]:
        """The SVG is a convenience: when it cannot be made the graph is still done, and the page says why."""
        config = config_get()
        with tempfile.TemporaryFile() as svg:
            try:
                edges = _edges(digest_path)
                timeout, most = config.svg_timeout_s, config.svg_max_edges
                figures = svg_render(edges, svg, timeout=timeout, max_edges=most, nodes=nodes)
            except (SvgTooLarge, SvgRenderError) as error:
                self.store().delete(job_id, SVG_SUFFIX)
                return {"svg_bytes": 0, "svg_engine": "", "svg_error": str(error)}
            size = self.store().save(job_id, SVG_SUFFIX, svg)
        return {"svg_bytes": size, "svg_engine": figures.engine, "svg_error": ""}

    def _digest_id(self, job_id: str) -> str:
        graph = Graph.objects.get(id=job_id)
        return window_of(graph).job_id("digest")


def lines_count(path: Path, block: int = 1 << 20) -> int:
    """The lines of a file, as iterating over it counts them (a last line without a newline counts): a
    count of newlines a block at a time, not a Python loop over 1.5 M lines."""
    count, last = 0, b"\n"
    with path.open("rb") as file:
        while data := file.read(block):
            count += data.count(b"\n")
            last = data[-1:]
    return count + (last != b"\n")


def _edges(path: Path) -> Iterator[Edge]:
    with path.open(encoding="utf-8", errors="replace", newline="\n") as lines:
        yield from edges_read(lines)
