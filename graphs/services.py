"""Graph jobs' public API: request, run, re-run, fail, and the stored files."""

from __future__ import annotations

import functools
import shutil
import time
from typing import IO

from django.utils import timezone

from connections.table import ConnectionTable, table_get
from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
from digests.services import digest_flow
from graphs.flow import DOT_SUFFIX, SVG_SUFFIX, GraphFlow
from graphs.models import Graph
from jobs.leases import run_ended
from jobs.models import Job, JobStatus
from jobs.window import Window
from ops.tempfiles import temp_folder

__all__ = ["DOT_SUFFIX", "SVG_SUFFIX"]


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


class ConnectionsMissing(Exception):
    """The graph has no connection table and it cannot be made from a stored digest."""


def graph_connections(graph: Graph) -> ConnectionTable:
    """The graph's connection table, loaded for queries. A graph built before connection views gets its
    table now, from the digest of its window when that is stored here."""
    flow = graph_flow()
    store = flow.store()
    if not store.exists(str(graph.id), CONNECTIONS_SUFFIX) and graph_finishing(graph):
        _table_wait(graph)
    if not store.exists(str(graph.id), CONNECTIONS_SUFFIX):
        _connections_from_stored_digest(graph)
    key = f"{graph.id}:{graph.finished_at.isoformat() if graph.finished_at else ''}"
    return table_get(
        key,
        lambda: store.open(str(graph.id), CONNECTIONS_SUFFIX),
        lambda: store.open(str(graph.id), HOSTS_SUFFIX),
    )


def _table_wait(graph: Graph, poll_seconds: float = 0.5) -> None:
    """A done graph's worker stores its connection table right after the DOT: wait for it rather than
    fold the digest a second time here (or, with a remote digester, say there is none), until its run
    ends (a worker that died stored none) or a silent job would count as abandoned."""
    store, deadline = graph_flow().store(), time.monotonic() + graph_flow().stale_after().total_seconds()
    while time.monotonic() < deadline and not store.exists(str(graph.id), CONNECTIONS_SUFFIX):
        graph.refresh_from_db(fields=["status", "lease_until"])
        if not graph_finishing(graph):
            return
        time.sleep(poll_seconds)


def _connections_from_stored_digest(graph: Graph) -> None:
    digests = digest_flow()
    if graph.digest_id is None or not digests.store().exists(str(graph.digest_id), digests.suffix):
        raise ConnectionsMissing(
            f"graph {graph.id} has no connection table and the digest of its window is not stored here; "
            "re-run the graph to build it"
        )
    with temp_folder() as folder:
        digest_path = folder / "digest.log.gz"  # DuckDB reads gzip text by the name's ending
        with (
            digests.store().open(str(graph.digest_id), digests.suffix) as source,
            digest_path.open("wb") as target,
        ):
            shutil.copyfileobj(source, target, 1 << 20)
        count = graph_flow().connections_store(str(graph.id), digest_path, folder)
    Graph.objects.filter(id=graph.id).update(connections=count)
