"""Digest job rows: a window's digest and the figures of the run that built it."""

from __future__ import annotations

from django.db import models

from digests.engine.figures import SKIP_REASONS
from jobs.models import Job


def _skipped_default() -> dict[str, int]:
    return dict.fromkeys(SKIP_REASONS, 0)


class Digest(Job):
    files = models.PositiveIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    records = models.BigIntegerField(default=0, help_text="Flow-log records read (headers excluded).")
    in_window = models.BigIntegerField(default=0, help_text="Records digested.")
    groups = models.BigIntegerField(default=0, help_text="Lines in the digest.")
    skipped = models.JSONField(default=_skipped_default, help_text="Skipped records by reason.")
    skipped_keys = models.PositiveIntegerField(
        default=0, help_text="Objects whose names could not be parsed."
    )
    digest_bytes = models.BigIntegerField(default=0, help_text="Stored (gzip) size.")
    connections = models.BigIntegerField(
        default=0, help_text="Connections in the window's connection table, stored beside the digest."
    )

    engine = models.CharField(
        max_length=16,
        default="builtin",
        help_text="The digest engine that built it (GRAPHERD_DIGEST_ENGINE).",
    )
    engine_figures = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the engine adds: Athena's query id, bytes scanned and cost estimate (USD).",
    )

    partials = models.PositiveIntegerField(
        default=1,
        help_text="Pieces the window was digested in: its whole UTC hours and the edges around them "
        "(GRAPHERD_DIGEST_PARTIALS=hourly); 1 for one pass.",
    )
    partials_reused = models.PositiveIntegerField(
        default=0, help_text="Whole hours whose complete digests were already stored and reused."
    )

    piece = models.BooleanField(
        default=False,
        help_text="Queued as an hour of a longer window: its connection table is left to a graph of the "
        "hour, which folds it from the digest and the stored rich records.",
    )
    reread = models.BooleanField(
        default=False,
        help_text="The next build reads every hour's flow logs again instead of reusing stored hours "
        "(set by a re-run; cleared when it is done).",
    )

    class Meta(Job.Meta):
        verbose_name = "digest"
