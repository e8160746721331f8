"""`manage.py prune` and its optional schedule: remove graphs and digests finished longer ago than an
age, with their DOT, SVG, digests, connection tables and markers; never a job in progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX, RICH_SUFFIX
from digests.models import Digest
from digests.partials import window_pieces
from digests.services import digest_flow
from graphs.models import Graph
from graphs.services import DOT_SUFFIX, SVG_SUFFIX, graph_flow
from jobs.models import ACTIVE_STATUSES, JobStatus
from jobs.prune import Pruned, jobs_prune
from jobs.window import job_window
from ops.config import config_get

PRUNE_TASK = "graphs.tasks.prune_task"
PRUNE_SCHEDULE = "grapherd prune"
TABLES = (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)


@dataclass
class PruneReport:
    graphs: Pruned
    digests: Pruned

    def text(self, *, dry_run: bool) -> str:
        verb = "would remove" if dry_run else "removed"
        return (
            f"{verb} {self.graphs.rows} graphs ({self.graphs.files} files) and "
            f"{self.digests.rows} digests ({self.digests.files} files)"
        )


def old_jobs_prune(older_than: timedelta, *, dry_run: bool = False) -> PruneReport:
    """Graphs, then digests, finished more than `older_than` ago, except the digests a job in progress
    may be about to read (`digests_in_use`)."""
    cutoff = timezone.now() - older_than
    graphs = jobs_prune(graph_flow(), (SVG_SUFFIX, *TABLES, DOT_SUFFIX), cutoff, dry_run=dry_run)
    digests = digest_flow()
    kept = digests_in_use()
    return PruneReport(
        graphs, jobs_prune(digests, (*TABLES, RICH_SUFFIX), cutoff, keep=kept, dry_run=dry_run)
    )


def digests_in_use() -> set[str]:
    """The digests of the windows of graphs and digests in progress, and of each whole hour in them (a
    window built hour by hour merges them). A done graph whose run has not ended (lease held) is still
    in progress here: it copies its digest's connection table after its DOT is stored."""
    graphs = Graph.objects.filter(
        Q(status__in=ACTIVE_STATUSES) | Q(status=JobStatus.DONE, lease_until__isnull=False)
    )
    digests = Digest.objects.filter(status__in=ACTIVE_STATUSES)
    kept = {str(graph.digest_id) for graph in graphs if graph.digest_id}
    for window in [job_window(job) for job in [*graphs, *digests]]:
        pieces = window_pieces(window.start.epoch_seconds, window.stop.epoch_seconds)
        kept.add(window.job_id("digest"))
        kept.update(piece.window().job_id("digest") for piece in pieces if piece.whole_hour)
    return kept


def scheduled_prune() -> str:
    """The schedule's task: prune by GRAPHERD_PRUNE_AFTER, or nothing when it is unset."""
    age = config_get().prune_after
    if age is None:
        return "GRAPHERD_PRUNE_AFTER is unset: nothing pruned"
    return old_jobs_prune(age).text(dry_run=False)


def prune_schedule_ensure() -> None:
    """A daily schedule while GRAPHERD_PRUNE_AFTER is set, none otherwise; safe on every migrate."""
    if config_get().prune_after is None:
        Schedule.objects.filter(name=PRUNE_SCHEDULE).delete()
        return
    Schedule.objects.update_or_create(
        name=PRUNE_SCHEDULE,
        defaults={"func": PRUNE_TASK, "schedule_type": Schedule.HOURLY, "repeats": -1},
    )
