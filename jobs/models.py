"""Job rows: the abstract `Job` that graphs and digests extend, and its statuses.

The database row is the source of truth for people (admin, pages, API v1); the progress markers mirror
it for clients of the Go services."""

from __future__ import annotations

from django.db import models

from jobs.completeness import incomplete_reason


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """One window's job: deterministic id (UUIDv5 of the window), claimed by conditional UPDATE."""

    id = models.UUIDField(primary_key=True, editable=False)
    start = models.DateTimeField(
        db_index=True, help_text="Window start (inclusive), truncated to the minute."
    )
    stop = models.DateTimeField(help_text="Window stop (exclusive), truncated to the minute.")
    # The times exactly as the job message carries them (RFC3339Nano with the client's UTC offset).
    start_text = models.CharField(max_length=40)
    stop_text = models.CharField(max_length=40)
    status = models.CharField(
        max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A running job's worker renews this every few seconds (jobs.leases); once it has passed, the worker
    # is gone and the reaper (jobs.reaper) queues the job again.
    lease_until = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the running attempt is doing ("reading files 3/12, 40 MB"), written by jobs.progress.
    stage = models.CharField(max_length=200, blank=True, default="")
    warnings = models.JSONField(
        default=list, blank=True, help_text="Why the result may be empty or partial, in plain words."
    )
    complete = models.BooleanField(
        default=True,
        help_text="False when built from no flow-log file, or before AWS's delivery delay had passed: "
        "a new request rebuilds it (jobs.completeness).",
    )
    rebuild_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the delivery delay has passed and the schedule rebuilds this incomplete window.",
    )

    class Meta:
        abstract = True
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.start_text} → {self.stop_text} ({self.status})"

    @property
    def incompleteness(self) -> str:
        """Why a built job is not final, in plain words; empty when it is (jobs.completeness)."""
        return incomplete_reason(self)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
