"""`manage.py prune` and its optional schedule: remove graphs and digests finished longer ago than an
age, with their DOT, SVG, digests, connection tables and markers; never a job in progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX, RICH_SUFFIX
from digests.services import digest_flow
from graphs.models import Graph
from graphs.services import DOT_SUFFIX, SVG_SUFFIX, graph_flow
from jobs.models import ACTIVE_STATUSES
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
    """Graphs, then digests, finished more than `older_than` ago. The digest of a window whose graph is
    queued or running is kept: that graph's build may be about to read it."""
    cutoff = timezone.now() - older_than
    graphs = jobs_prune(graph_flow(), (SVG_SUFFIX, *TABLES, DOT_SUFFIX), cutoff, dry_run=dry_run)
    digests = digest_flow()
    active = Graph.objects.filter(status__in=ACTIVE_STATUSES)
    needed = {job_window(graph).job_id(digests.namespace) for graph in active}
    kept = needed | {str(graph.digest_id) for graph in active if graph.digest_id}
    return PruneReport(
        graphs, jobs_prune(digests, (*TABLES, RICH_SUFFIX), cutoff, keep=kept, dry_run=dry_run)
    )


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
