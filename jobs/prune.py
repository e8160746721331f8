"""Removing finished jobs older than an age: their rows, stored artifacts and markers.

Never a job in progress: a row is deleted only by a conditional DELETE that still sees it done or
failed and old, so a job re-run meanwhile is kept. Its artifacts go after the row, the main artifact
(`<id>.dot`, `<id>.log.gz`) last: while that exists a new request of the window is refused as already
built, so no new job of the window can start before its old files are gone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from jobs.flow import JobFlow
from jobs.models import JobStatus


@dataclass
class Pruned:
    """What was (or, in a dry run, would be) removed of one kind of job."""

    rows: int = 0
    files: int = 0


def old_jobs_q(cutoff: datetime) -> Q:
    """Done or failed, and finished (or, never finished, created) before `cutoff`."""
    finished = Q(status__in=(JobStatus.DONE, JobStatus.FAILED))
    old = Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
    return finished & old


def jobs_prune(
    flow: JobFlow,
    suffixes: Iterable[str],
    cutoff: datetime,
    *,
    keep: Collection[str] = (),
    dry_run: bool = False,
) -> Pruned:
    """Remove `flow`'s jobs that `old_jobs_q(cutoff)` selects, except `keep`, with their artifacts
    (`suffixes` besides the flow's own) and markers."""
    where = old_jobs_q(cutoff) & ~Q(id__in=list(keep))
    ids = list(flow.model._default_manager.filter(where).values_list("id", flat=True))
    extra = [suffix for suffix in suffixes if suffix != flow.suffix]
    pruned = Pruned()
    for job_id in ids:
        if not dry_run and not flow.model._default_manager.filter(where, id=job_id).delete()[0]:
            continue  # re-run since it was listed: in progress now, so kept
        pruned.rows += 1
        pruned.files += _artifacts_remove(flow, str(job_id), [*extra, flow.suffix], dry_run=dry_run)
    return pruned


def _artifacts_remove(flow: JobFlow, job_id: str, suffixes: list[str], *, dry_run: bool) -> int:
    store = flow.store()
    present = [suffix for suffix in suffixes if store.exists(job_id, suffix)]
    if not dry_run:
        flow.marker().unmark(job_id)
        for suffix in present:  # in order: the main artifact last
            store.delete(job_id, suffix)
    return len(present)
