"""Graph jobs' public API: request, run, re-run, fail, and the stored files."""

from __future__ import annotations

import functools
import time
from typing import IO

from django.utils import timezone

from connections.table import ConnectionTable, table_get
from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
from graphs.connections_fold import ConnectionsMissing, connections_fold, fold_queue
from graphs.flow import DOT_SUFFIX, SVG_SUFFIX, GraphFlow
from graphs.models import Graph
from jobs.leases import run_ended
from jobs.models import Job, JobStatus
from jobs.window import Window

__all__ = ["DOT_SUFFIX", "SVG_SUFFIX", "ConnectionsMissing"]


@functools.cache
def graph_flow() -> GraphFlow:
    return GraphFlow()


def graph_request(window: Window) -> Job:
    return graph_flow().request(window)


def graph_run(job_id: str, window: Window, *, requeue_on_failure: bool = True) -> Job | None:
    return graph_flow().run(job_id, window, requeue_on_failure=requeue_on_failure)


def graph_rerun(graph: Graph, *, reuse_digest: bool = False) -> Job:
    """Build a graph again; its flow logs are read again unless `reuse_digest` (a complete stored digest
    of the window is then reused)."""
    return graph_flow().rerun(graph, reuse_digest=reuse_digest)


def graph_fail_stuck(graph: Graph) -> bool:
    return graph_flow().fail_stuck(str(graph.id))


def graph_busy(graph: Graph) -> bool:
    """Queued within the marker lifetime, or running within the task timeout."""
    return graph_flow().busy(graph)


def graph_finishing(graph: Graph) -> bool:
    """Done (its DOT stored) while its worker still stores the connection table and draws the preview:
    the run has not ended. A page that shows the preview waits for it rather than say none was drawn."""
    return graph.status == JobStatus.DONE and not run_ended(graph.lease_until, timezone.now())


def graph_artifact_open(graph: Graph, suffix: str) -> IO[bytes]:
    """The stored DOT or SVG of a graph; raises jobs.ports.NotFound."""
    return graph_flow().store().open(str(graph.id), suffix)


# How long a client waits before asking again for a table being stored: the worker stores it within
# seconds of the DOT for most windows; a bounded retry covers the long ones.
CONNECTIONS_RETRY_AFTER_S = 3


class ConnectionsNotReady(Exception):
    """The graph is done but its connection table is still being stored (by its worker, or folded from
    its digest by a task): ask again in `retry_after` seconds."""

    def __init__(self, graph: Graph, retry_after: int | None = None) -> None:
        super().__init__(f"graph {graph.id} is done; its connection table is still being built")
        self.graph = graph
        self.retry_after = CONNECTIONS_RETRY_AFTER_S if retry_after is None else retry_after


def graph_connections(graph: Graph, *, wait: bool = False) -> ConnectionTable:
    """The graph's connection table, loaded for queries. Web requests never wait for one that is being
    stored (a gunicorn thread would be held for as long as the worker takes): they get ConnectionsNotReady
    while its worker stores it, and for a graph that has none (built before connection views, or its
    worker died) the fold from its stored digest is queued as a task and ConnectionsNotReady said until
    the table exists. `wait` (a shell command, no web thread held) waits for the worker and folds here.
    Raises ConnectionsMissing when there is no table and no stored digest to make it from."""
    store = graph_flow().store()
    if not store.exists(str(graph.id), CONNECTIONS_SUFFIX) and graph_finishing(graph):
        if not wait:
            raise ConnectionsNotReady(graph)
        _table_wait(graph)
    if not store.exists(str(graph.id), CONNECTIONS_SUFFIX):
        if wait:
            connections_fold(graph, graph_flow())
        else:
            fold_queue(graph)  # unless a request before queued it (its lease is held)
            if not store.exists(str(graph.id), CONNECTIONS_SUFFIX):  # a worker may have been that quick
                raise ConnectionsNotReady(graph)
    key = f"{graph.id}:{graph.finished_at.isoformat() if graph.finished_at else ''}"
    return table_get(
        key,
        lambda: store.open(str(graph.id), CONNECTIONS_SUFFIX),
        lambda: store.open(str(graph.id), HOSTS_SUFFIX),
    )


def _table_wait(graph: Graph, poll_seconds: float = 0.5) -> None:
    """A done graph's worker stores its connection table right after the DOT: a shell command waits for
    it rather than fold the digest a second time (or, with a remote digester, say there is none), until its
    run ends (a worker that died stored none) or a silent job would count as abandoned."""
    store, deadline = graph_flow().store(), time.monotonic() + graph_flow().stale_after().total_seconds()
    while time.monotonic() < deadline and not store.exists(str(graph.id), CONNECTIONS_SUFFIX):
        graph.refresh_from_db(fields=["status", "lease_until"])
        if not graph_finishing(graph):
            return
        time.sleep(poll_seconds)
