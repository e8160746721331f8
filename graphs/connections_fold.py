"""The connection table of a graph that has none (built before connection views, or its worker died
before storing it), folded from the stored digest of its window by a django-q2 task, not by the web
request that asked for it: a large digest takes tens of seconds to fold, and a web thread waiting for
that is one of gunicorn's few.

The fold holds the graph's lease the way its worker did while it stored the table (jobs.leases): the
done graph is "finishing" until the fold ends, so concurrent requests answer "not ready, retry" and
queue nothing more, a re-run waits for the fold's writes, and a fold whose worker died lets the lease
run out, after which the next request queues it again.

The task acts only for the run it was queued for. `fold_queue` takes the lease of one run (its claim's
`started_at`, the run token of jobs.flow) and queues that token with the graph's id. A task that waits in
the queue past its lease may find the graph built again meanwhile: done, its worker still storing its own
table under its own lease. Reading the row then would take that run for the fold's and fold beside its
worker, then let go of the worker's lease; with the token the late task sees a run that is not its own
and does nothing. A task queued before the token travelled (only the id) cannot tell the two apart, so
it does nothing either: the lease its queuer took runs out, and the next view queues the fold again.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from uuid import UUID

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
    now, run = timezone.now(), _run_token(graph.started_at)
    ended = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    if not _this_run(graph.id, run).filter(ended).update(lease_until=lease_until(now)):
        return False
    queuer = adapters.worker_pool_queuer(FOLD_TASK, FOLD_GROUP)
    try:
        queuer.queue(str(graph.id), job_window(graph), task_args=(run,))
    except DependencyFailure:
        _this_run(graph.id, run).update(lease_until=None)
        raise
    log.info("connections-fold-queued graph %s: folding its table from the stored digest", graph.id)
    return True


def fold_run(graph_id: str, run: str | None = None) -> str:
    """The task's body: fold the table of the run it was queued for (`run`, its token) unless it is there
    by now, then let that run's lease go. Idempotent (a second delivery finds the table) and deterministic
    (the same digest folds to the same table). It never touches another run of the graph."""
    if run is None:
        log.warning("connections-fold-skipped graph %s: queued without its run's token", graph_id)
        return "skipped: queued without its run; its lease runs out and the next view queues it again"
    graph = _this_run(graph_id, run).first()
    if graph is None:
        return "skipped: not the graph's current run (built again or deleted since it was queued)"
    flow = GraphFlow()
    if flow.store().exists(graph_id, CONNECTIONS_SUFFIX):
        # A second delivery, after a fold that let its lease go. The lease is left alone: another fold of
        # this run may hold it now (queued once this one's ran out), and a stray one runs out by itself.
        return "exists"
    renew = lambda: _this_run(graph_id, run).update(lease_until=lease_until())  # noqa: E731
    # A fold that fails keeps the lease until it runs out: the requests meanwhile answer "retry", and
    # the first one after it queues the fold again, so a digest that cannot be folded is tried at most
    # once per lease, not once per request.
    with LeaseKeeper(renew, f"graph {graph_id} connections"):
        count = connections_fold(graph, flow)
    _this_run(graph_id, run).update(lease_until=None)
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


def _run_token(started_at: datetime | None) -> str:
    """The token of a run as the task carries it: its claim's start time (ISO 8601, to the microsecond
    as the database keeps it); empty for a row never claimed."""
    return started_at.isoformat() if started_at else ""


def _this_run(graph_id: UUID | str, run: str) -> QuerySet[Graph]:
    """The row while it is still the done run the fold is for (jobs.flow's token: the claim's start
    time), so a fold never folds for, nor touches the lease of, a run that replaced it."""
    started_at = datetime.fromisoformat(run) if run else None
    return Graph.objects.filter(id=graph_id, status=JobStatus.DONE, started_at=started_at)


def _missing(graph: Graph) -> ConnectionsMissing:
    return ConnectionsMissing(
        f"graph {graph.id} has no connection table and the digest of its window is not stored here; "
        "re-run the graph to build it"
    )
