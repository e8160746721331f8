from __future__ import annotations

from django.db import models
from django.urls import reverse

from jobs.models import Job


class Graph(Job):
    digest_id = models.UUIDField(
        null=True, blank=True, help_text="The digest of the same window, when built here."
    )
    records = models.BigIntegerField(default=0, help_text="Digest lines read.")
    edges = models.BigIntegerField(default=0)
    nodes = models.BigIntegerField(default=0)
    connections = models.BigIntegerField(
        default=0, help_text="Connections (client → server:port/protocol) in the connection views."
    )
    dot_bytes = models.BigIntegerField(default=0)
    svg_bytes = models.BigIntegerField(default=0)
    svg_engine = models.CharField(max_length=16, blank=True, default="")
    svg_error = models.TextField(blank=True, default="", help_text="Why no SVG preview was made.")
    reuse_digest = models.BooleanField(
        default=True,
        help_text="Whether the next build may reuse the complete stored digest of the window; a re-run "
        "re-reads the flow logs unless asked to reuse it.",
    )

    class Meta(Job.Meta):
        verbose_name = "graph"

    def get_absolute_url(self) -> str:
        return reverse("graphs:detail", args=[self.id])
