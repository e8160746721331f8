"""Whether a built job is final, and when an incomplete one is rebuilt.

AWS delivers a flow-log file minutes after its records (`GRAPHERD_DELIVERY_DELAY`, default 15 min): a
window whose stop is closer than that to the build time may still gain records, so it is incomplete
and the rebuild schedule (`graphs.rebuild`) builds it again once the delay has passed. A job built from
no flow-log file at all is incomplete too (a wrong prefix or region, files not delivered yet): it is not
rebuilt on a timer, but the next request builds it again instead of answering 409 "already exists".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from ops.config import config_get

if TYPE_CHECKING:  # jobs.models uses incomplete_reason for its property
    from jobs.models import Job


def delivery_delay() -> timedelta:
    return timedelta(seconds=config_get().delivery_delay_s)


def completeness_values(stop: datetime, built_at: datetime, *, found_files: bool) -> dict[str, Any]:
    """The row's `complete` and `rebuild_at` for a window built at `built_at`."""
    ready = stop + delivery_delay()
    rebuild_at = ready if built_at < ready else None
    return {"complete": found_files and rebuild_at is None, "rebuild_at": rebuild_at}


def job_final(job: Job | None) -> bool:
    """A stored artifact counts as "already exists" (Go's 409) only when its job is complete; a job this
    database has no row for was built elsewhere and counts as final, as in Go."""
    return job is None or job.complete


def incomplete_reason(job: Job) -> str:
    """Plain words for the page, the admin and the CLI; empty when the job is complete or not built."""
    if job.complete or job.status != "done":
        return ""
    if job.rebuild_at is not None and job.rebuild_at > timezone.now():
        when = job.rebuild_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            "incomplete: flow logs of this window may still arrive (AWS delivers them late); "
            f"it is rebuilt automatically after {when}"
        )
    if job.rebuild_at is not None:
        return "incomplete: the delivery delay has passed; it is being rebuilt"
    return "incomplete: built from no flow-log file; the next request builds it again"
