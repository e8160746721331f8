"""Graph jobs' public API: request, run, re-run, fail, and the stored files."""

from __future__ import annotations

import functools
from typing import IO

from graphs.flow import DOT_SUFFIX, SVG_SUFFIX, GraphFlow
from graphs.models import Graph
from jobs.models import Job
from jobs.window import Window

__all__ = ["DOT_SUFFIX", "SVG_SUFFIX"]


@functools.cache
def graph_flow() -> GraphFlow:
    return GraphFlow()


def graph_request(window: Window) -> Job:
    return graph_flow().request(window)


def graph_run(job_id: str, window: Window, *, requeue_on_failure: bool = True) -> Job | None:
    return graph_flow().run(job_id, window, requeue_on_failure=requeue_on_failure)


def graph_rerun(graph: Graph) -> Job:
    return graph_flow().rerun(graph)


def graph_fail_stuck(graph: Graph) -> bool:
    return graph_flow().fail_stuck(str(graph.id))


def graph_busy(graph: Graph) -> bool:
    """Queued within the marker lifetime, or running within the task timeout."""
    return graph_flow().busy(graph)


def graph_artifact_open(graph: Graph, suffix: str) -> IO[bytes]:
    """The stored DOT or SVG of a graph; raises jobs.ports.NotFound."""
    return graph_flow().store().open(str(graph.id), suffix)
