"""The connection table of a graph that has none (built before connection views, or its worker died
before storing it), folded from the stored digest of its window by a django-q2 task, not by the web
request that asked for it: a large digest takes tens of seconds to fold, and a web thread waiting for
that is one of gunicorn's few.

The fold holds the graph's lease the way its worker did while it stored the table (jobs.leases): the
done graph is "finishing" until the fold ends, so concurrent requests answer "not ready, retry" and
queue nothing more, a re-run waits for the fold's writes, and a fold whose worker died lets the lease
run out, after which the next request queues it again.
"""

from __future__ import annotations

import logging
import shutil

from django.db.models import Q, QuerySet
from django.utils import timezone

from digests.connections import CONNECTIONS_SUFFIX
from digests.services import digest_flow
from graphs.flow import GraphFlow
from graphs.models import Graph
from jobs import adapters
from jobs.leases import LeaseKeeper, lease_until
from jobs.models import JobStatus
from jobs.ports import DependencyFailure
from jobs.window import job_window
from ops.tempfiles import temp_folder

log = logging.getLogger(__name__)
FOLD_TASK = "graphs.tasks.graph_connections_fold_task"  # django-q2 stores the path: keep it
FOLD_GROUP = "graph-connections"


class ConnectionsMissing(Exception):
    """The graph has no connection table and it cannot be made from a stored digest."""


def digest_stored(graph: Graph) -> bool:
    digests = digest_flow()
    return graph.digest_id is not None and digests.store().exists(str(graph.digest_id), digests.suffix)


def fold_queue(graph: Graph) -> bool:
    """Take the graph's lease for a fold and queue the fold; False when its run has not ended (a worker
    or a fold already holds the lease). Raises ConnectionsMissing when no digest is stored to fold, and
    jobs.ports.DependencyFailure when the task cannot be queued (the lease is let go again)."""
    if not digest_stored(graph):
        raise _missing(graph)
    now = timezone.now()
    ended = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    if not _this_run(graph).filter(ended).update(lease_until=lease_until(now)):
        return False
    try:
        adapters.worker_pool_queuer(FOLD_TASK, FOLD_GROUP).queue(str(graph.id), job_window(graph))
    except DependencyFailure:
        _this_run(graph).update(lease_until=None)
        raise
    log.info("connections-fold-queued graph %s: folding its table from the stored digest", graph.id)
    return True


def fold_run(graph_id: str) -> str:
    """The task's body: fold the table unless it is there by now, then let the lease go. Idempotent (a
    second delivery finds the table) and deterministic (the same digest folds to the same table)."""
    graph = Graph.objects.filter(id=graph_id, status=JobStatus.DONE).first()
    if graph is None:
        return "skipped"  # deleted, or built again meanwhile: its own run stores its table
    flow = GraphFlow()
    if flow.store().exists(graph_id, CONNECTIONS_SUFFIX):
        # A second delivery, after a fold that let its lease go. The lease is left alone here: it may be
        # a worker's now (the graph built again meanwhile), and a stray one runs out by itself.
        return "exists"
    renew = lambda: _this_run(graph).update(lease_until=lease_until())  # noqa: E731
    # A fold that fails keeps the lease until it runs out: the requests meanwhile answer "retry", and
    # the first one after it queues the fold again, so a digest that cannot be folded is tried at most
    # once per lease, not once per request.
    with LeaseKeeper(renew, f"graph {graph_id} connections"):
        count = connections_fold(graph, flow)
    _this_run(graph).update(lease_until=None)
    log.info("connections-folded graph %s: %s connections", graph_id, count)
    return "folded"


def connections_fold(graph: Graph, flow: GraphFlow) -> int:
    """Fold and store the table from the stored digest, here and now (the task, and `graph_view` from a
    shell, which holds no web thread); raises ConnectionsMissing when no digest is stored."""
    digests = digest_flow()
    if not digest_stored(graph):
        raise _missing(graph)
    with temp_folder() as folder:
        digest_path = folder / "digest.log.gz"  # DuckDB reads gzip text by the name's ending
        with (
            digests.store().open(str(graph.digest_id), digests.suffix) as source,
            digest_path.open("wb") as target,
        ):
            shutil.copyfileobj(source, target, 1 << 20)
        count = flow.connections_store(str(graph.id), digest_path, folder)
    Graph.objects.filter(id=graph.id).update(connections=count)
    return count


def _this_run(graph: Graph) -> QuerySet[Graph]:
    """The row while it is still the done run this fold is for: its claim's start time is the token, so a
    fold never touches the lease of a run that replaced it."""
    return Graph.objects.filter(id=graph.id, status=JobStatus.DONE, started_at=graph.started_at)


def _missing(graph: Graph) -> ConnectionsMissing:
    return ConnectionsMissing(
        f"graph {graph.id} has no connection table and the digest of its window is not stored here; "
        "re-run the graph to build it"
    )
