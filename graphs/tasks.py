"""django-q2 tasks (by dotted path, stored in django-q2's tables: keep the path): thin, they take a job
id and call one service."""

from __future__ import annotations

from graphs.connections_fold import fold_run
from graphs.prune import scheduled_prune
from graphs.services import graph_flow


def graph_run_task(job_id: str) -> str:
    return graph_flow().run_queued(job_id)


def graph_rebuild_due_task() -> int:
    """Every minute (graphs.rebuild): rebuild the incomplete windows whose delivery delay has passed."""
    from graphs.rebuild import graph_rebuild_due

    return graph_rebuild_due()


def prune_task() -> str:
    return scheduled_prune()


def graph_connections_fold_task(graph_id: str, run: str | None = None) -> str:
    """Queued by a connection view of a graph without a table, with the token of the run it is for
    (graphs.connections_fold); `run` is optional for the tasks queued before it was passed."""
    return fold_run(graph_id, run)
