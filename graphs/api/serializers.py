"""Serializers of the v1 views, and `window_clean`, the one validation of a requested window.

The API, the preview page's form and `manage.py graph_create` all validate a window with `window_clean`,
so they accept the same time forms and give the same plain messages (`jobs.time_forms`); only the
Go-compatible routes keep Go's parser and texts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.settings import api_settings

from graphs.models import Graph
from graphs.selectors import graph_digest_figures
from jobs.models import JobStatus
from jobs.progress import job_elapsed
from jobs.time_forms import WindowInvalid, window_from_texts
from jobs.window import Window, WindowError, window_check_length
from ops.config import config_get

__all__ = ["WindowInvalid", "window_clean"]
TIME_HELP = (
    "A time, truncated to the minute: RFC 3339 (`2019-01-01T00:00:00Z`), `2019-01-01 00:00` or "
    "`2019-01-01T00:00` (UTC when the zone is left out), a date alone (`2019-01-01`, its midnight UTC), "
    "epoch seconds (`1546300800`), `now`, or an age before now (`-1h`, `-30m`, `-2d`)."
)


def window_clean(start: str, stop: str) -> Window:
    """The window `[start, stop)` of two typed times (`jobs.time_forms`), or WindowInvalid."""
    window = window_from_texts(start, stop, now=timezone.now())
    try:
        return window_check_length(window, config_get().max_window_s)
    except WindowError as error:
        raise WindowInvalid({None: str(error)}) from error


class WindowInputSerializer(serializers.Serializer):
    """A time window `[start, stop)` in any of the forms of `jobs.time_forms`."""

    # A blank is said as a missing time is; the schema then says minLength 1.
    start = serializers.CharField(
        trim_whitespace=False,
        min_length=1,
        error_messages={"required": "start is required", "blank": "start is required"},
        help_text=TIME_HELP,
    )
    stop = serializers.CharField(
        trim_whitespace=False,
        min_length=1,
        error_messages={"required": "stop is required", "blank": "stop is required"},
        help_text=TIME_HELP,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            window = window_clean(attrs["start"], attrs["stop"])
        except WindowInvalid as invalid:
            raise serializers.ValidationError(
                {
                    field or api_settings.NON_FIELD_ERRORS_KEY: [message]
                    for field, message in invalid.errors.items()
                }
            ) from invalid
        return {**attrs, "window": window}


# --- output ----------------------------------------------------------------------------------------


class GraphWindowSerializer(serializers.Serializer):
    start = serializers.CharField(source="start_text", help_text="Inclusive; truncated, offset as requested.")
    stop = serializers.CharField(source="stop_text", help_text="Exclusive; truncated, offset as requested.")


class GraphTimingsSerializer(serializers.Serializer):
    created = serializers.DateTimeField(source="created_at")
    queued = serializers.DateTimeField(source="queued_at", allow_null=True)
    started = serializers.DateTimeField(source="started_at", allow_null=True)
    finished = serializers.DateTimeField(source="finished_at", allow_null=True)
    duration = serializers.FloatField(
        source="duration_seconds",
        allow_null=True,
        help_text="Seconds from start to finish of the last attempt.",
    )


class GraphFiguresSerializer(serializers.Serializer):
    records = serializers.IntegerField(help_text="Digest lines read.")
    edges = serializers.IntegerField()
    nodes = serializers.IntegerField()
    dot_bytes = serializers.IntegerField()
    svg_bytes = serializers.IntegerField()
    svg_engine = serializers.CharField()
    svg_error = serializers.CharField(help_text="Why no SVG preview was made; empty when there is one.")
    connections = serializers.IntegerField(help_text="Connections in the window's connection views.")
    digest_engine = serializers.SerializerMethodField(
        help_text="The engine that built the window's digest (builtin, duckdb, athena; "
        "GRAPHERD_DIGEST_ENGINE); empty when a remote digesterd built it."
    )

    partials = serializers.SerializerMethodField(
        help_text="Pieces the window's digest was built from: its whole UTC hours and the edges around them "
        "(GRAPHERD_DIGEST_PARTIALS=hourly); 1 for a digest built in one pass, 0 when unknown."
    )
    partials_reused = serializers.SerializerMethodField(
        help_text="Of those, the hours whose complete digests were already stored and were reused."
    )

    def get_digest_engine(self, graph: Graph) -> str:
        return str(graph_digest_figures(graph)["engine"])

    def get_partials(self, graph: Graph) -> int:
        return int(graph_digest_figures(graph)["partials"])

    def get_partials_reused(self, graph: Graph) -> int:
        return int(graph_digest_figures(graph)["partials_reused"])


class GraphLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    dot = serializers.URLField()
    svg = serializers.URLField()
    rerun = serializers.URLField()
    preview = serializers.URLField(help_text="The preview page (login required).")
    view = serializers.URLField(help_text="The connection view (`?group=auto` and the filters).")
    top = serializers.URLField(help_text="The top lists (`?of=talkers&by=bytes`).")
    seed = serializers.URLField(help_text="The Go-compatible `GET /?start&stop` URL of the DOT.")


class GraphOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    window = GraphWindowSerializer(source="*")
    status = serializers.ChoiceField(choices=JobStatus.choices)
    attempts = serializers.IntegerField()
    error = serializers.CharField(help_text="Why the last attempt failed; empty otherwise.")
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why the graph may be empty or partial: no flow-log file under the prefixes listed "
        "(named), files but no record in the window, every record skipped.",
    )
    complete = serializers.BooleanField(
        help_text="False when built from no flow-log file (the next request builds it again) or before "
        "AWS's delivery delay had passed (rebuilt automatically at `rebuild_at`)."
    )
    incomplete_reason = serializers.CharField(
        source="incompleteness", help_text="Why the graph is incomplete, in plain words; empty when complete."
    )
    rebuild_at = serializers.DateTimeField(
        allow_null=True, help_text="When an incomplete window is rebuilt by the schedule; null otherwise."
    )
    stage = serializers.SerializerMethodField(
        help_text="What the running attempt is doing (listing, reading files n/m, digesting, writing "
        "DOT, rendering, connections); empty unless running."
    )
    elapsed = serializers.SerializerMethodField(
        help_text="Seconds since the graph was queued (queued), started (running), or its duration."
    )
    timings = GraphTimingsSerializer(source="*")
    figures = GraphFiguresSerializer(source="*")
    links = serializers.SerializerMethodField()

    @extend_schema_field(GraphLinksSerializer)
    def get_links(self, graph: Graph) -> dict[str, str]:
        return graph_links(graph, self.context.get("request"))

    @extend_schema_field(serializers.CharField())
    def get_stage(self, graph: Graph) -> str:
        # A failed attempt leaves its last stage on the row (the admin shows it); here it would mislead.
        return graph.stage if graph.status == JobStatus.RUNNING else ""

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_elapsed(self, graph: Graph) -> float | None:
        return job_elapsed(graph)


class RerunInputSerializer(serializers.Serializer):
    reuse_digest = serializers.BooleanField(
        default=False,
        help_text="Reuse the stored digest of the window when it is complete, instead of reading the flow "
        "logs again (the default).",
    )


class GraphProgressSerializer(serializers.Serializer):
    busy = serializers.BooleanField(
        help_text="Queued within the marker lifetime or running within the task timeout; false for a queued "
        "or running graph means its worker stopped (request the window again)."
    )
    worker = serializers.CharField(
        help_text="`ok` when a worker was seen recently (as `/healthz` judges), else why not; a graph "
        "queued while no worker runs waits until one starts."
    )


class GraphDetailOutputSerializer(GraphOutputSerializer):
    progress = serializers.SerializerMethodField()

    @extend_schema_field(GraphProgressSerializer)
    def get_progress(self, graph: Graph) -> dict[str, object]:
        return self.context["progress"]


def graph_links(graph: Graph, request: Request | None) -> dict[str, str]:
    """Absolute when a request is at hand (API answers), else site-relative."""
    names = ("detail", "dot", "svg", "rerun", "view", "top")
    api = {name: reverse(f"api:graph-{name}", args=[graph.id]) for name in names}
    links = {
        "self": api["detail"],
        "dot": api["dot"],
        "svg": api["svg"],
        "rerun": api["rerun"],
        "view": api["view"],
        "top": api["top"],
        "preview": graph.get_absolute_url(),
        "seed": reverse("root") + "?" + urlencode({"start": graph.start_text, "stop": graph.stop_text}),
    }
    if request is None:
        return links
    return {name: request.build_absolute_uri(url) for name, url in links.items()}


# --- errors, for the schema -------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class GraphConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    id = serializers.UUIDField(help_text="The graph of the window.")
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
    url = serializers.URLField(help_text="The graph's API URL.")


class NotReadySerializer(serializers.Serializer):
    detail = serializers.CharField()
    id = serializers.UUIDField(help_text="The graph.")
    url = serializers.URLField(help_text="The graph's API URL.")
    retry_after = serializers.IntegerField(
        help_text="Seconds to wait before asking again (as `Retry-After`)."
    )


class WindowErrorsSerializer(serializers.Serializer):
    start = serializers.ListField(child=serializers.CharField(), required=False)
    stop = serializers.ListField(child=serializers.CharField(), required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class DependencyErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    dependency = serializers.CharField(help_text="storage, marker, queuer or digester")
