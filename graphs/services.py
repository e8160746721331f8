"""Graph jobs: digest a window, convert it to DOT (seed format), render an SVG preview, store both."""

from __future__ import annotations

import functools
import io
import logging
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from digests import wiring
from digests.jobflow import JobKind, job_fail_stuck, job_request, job_rerun, job_run
from digests.models import Job
from digests.window import Window
from grapherd_site.config import config_get, stale_after
from graphs.dot import Edge, dot_write, edges_read
from graphs.models import Graph
from graphs.svg import SvgRenderError, SvgTooLarge, svg_render

log = logging.getLogger(__name__)
DOT_SUFFIX = ".dot"
SVG_SUFFIX = ".svg"


def _edges(path: Path) -> Iterator[Edge]:
    with path.open(encoding="utf-8", errors="replace", newline="\n") as lines:
        yield from edges_read(lines)


def _build(job: Job, window: Window) -> dict[str, Any]:
    store = graph_kind().store()
    with tempfile.TemporaryDirectory(prefix="grapherd-") as folder:
        digest_path = Path(folder) / "digest.log"
        with digest_path.open("wb") as digest:
            wiring.digester().digest(window, digest)
        with digest_path.open("rb") as digest_lines:
            records = sum(1 for _ in digest_lines)
        with tempfile.TemporaryFile() as dot:
            text = io.TextIOWrapper(dot, encoding="utf-8", newline="")
            figures = dot_write(lambda: _edges(digest_path), text)
            text.flush()
            store.save(str(job.id), DOT_SUFFIX, text.detach())
        svg = _svg_build(str(job.id), digest_path)
    return {
        "digest_id": window.job_id("digest") if not config_get().digester_endpoint else None,
        "records": records,
        "edges": figures.edges,
        "nodes": figures.nodes,
        "dot_bytes": figures.bytes,
        **svg,
    }


def _svg_build(job_id: str, digest_path: Path) -> dict[str, Any]:
    """The SVG is a convenience: when it cannot be made the graph is still done, and the page says why."""
    config = config_get()
    with tempfile.TemporaryFile() as svg:
        try:
            figures = svg_render(
                _edges(digest_path), svg, timeout=config.svg_timeout_s, max_edges=config.svg_max_edges
            )
        except (SvgTooLarge, SvgRenderError) as error:
            graph_kind().store().delete(job_id, SVG_SUFFIX)
            return {"svg_bytes": 0, "svg_engine": "", "svg_error": str(error)}
        size = graph_kind().store().save(job_id, SVG_SUFFIX, svg)
    return {"svg_bytes": size, "svg_engine": figures.engine, "svg_error": ""}


@functools.cache
def graph_kind() -> JobKind:
    return JobKind(
        namespace="graph",
        model=Graph,
        suffix=DOT_SUFFIX,
        store=lambda: wiring.artifact_store("graphs"),
        marker=lambda: wiring.marker("graph-progress", config_get().graph_progress_timeout_ms),
        queuer=lambda: wiring.queuer("graphs.tasks.graph_run_task", "graph"),
        build=_build,
        max_attempts=lambda: config_get().max_attempts,
        stale_after=lambda: stale_after(config_get()),
        progress_ttl=lambda: timedelta(milliseconds=config_get().graph_progress_timeout_ms),
        exists_message=_exists_message,
    )


def _exists_message(job_id: str, window: Window) -> str:
    # The Go service printed the start time twice here; the stop time is what was meant.
    return f"graph for the time {window.start.rfc3339()} to {window.stop.rfc3339()} already exists"


def graph_request(window: Window) -> Job:
    return job_request(graph_kind(), window)


def graph_run(job_id: str, window: Window, *, requeue_on_failure: bool = True) -> Job | None:
    return job_run(graph_kind(), job_id, window, requeue_on_failure=requeue_on_failure)


def graph_rerun(graph: Graph) -> Job:
    return job_rerun(graph_kind(), graph)


def graph_fail_stuck(graph: Graph) -> bool:
    return job_fail_stuck(graph_kind(), str(graph.id))


def graph_artifact_open(graph: Graph, suffix: str) -> IO[bytes]:
    """The stored DOT or SVG of a graph; raises digests.ports.NotFound."""
    return graph_kind().store().open(str(graph.id), suffix)
